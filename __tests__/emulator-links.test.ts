// The emulator checks a presigned link (the signature in the query string) as COS does: the signed
// host and parameters, the time window against its own (injected) clock, and the session token in
// the query. Links are built by hand here from sign.ts's primitives, so every field can be bent.
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../src/base/request.js';
import { computeSignature, cosEncode } from '../src/cos/sign.js';
import { type Emulator, startEmulator } from '../src/emulator/index.js';

const KEYS: Credentials = { secretId: 'AKIDlinktest000001', secretKey: 'link-test-secret' };
const TEMP: Credentials = {
  secretId: 'AKIDlinktemp000002',
  secretKey: 'link-temp-secret',
  sessionToken: 'tok+/=1',
};
const T0 = 1_700_000_000; // seconds: the emulator's clock in these tests, unless a test moves it

let emulator: Emulator;
let clockMs = T0 * 1000;
let versionId: string;

interface LinkSpec {
  readonly key?: string;
  readonly params?: Record<string, string>;
  /** [start, end] in seconds; default [T0 - 60, T0 + 3600]. */
  readonly window?: readonly [number, number];
  readonly credentials?: Credentials;
  readonly signHost?: boolean;
  /** Put the session token in the query (default: when the credentials have one). */
  readonly tokenInQuery?: boolean;
}

function link(spec: LinkSpec = {}): string {
  const key = spec.key ?? 'a.txt';
  const params = spec.params ?? {};
  const credentials = spec.credentials ?? KEYS;
  const [start, end] = spec.window ?? [T0 - 60, T0 + 3600];
  const keyTime = `${start};${end}`;
  const host = new URL(emulator.url).host;
  const parts = computeSignature(
    credentials.secretKey,
    keyTime,
    'GET',
    `/${key}`,
    params,
    spec.signHost === false ? {} : { host },
  );
  const query: Array<[string, string]> = [
    ['q-sign-algorithm', 'sha1'],
    ['q-ak', credentials.secretId],
    ['q-sign-time', keyTime],
    ['q-key-time', keyTime],
    ['q-header-list', parts.headerList],
    ['q-url-param-list', parts.urlParamList],
    ['q-signature', parts.signature],
  ];
  if (credentials.sessionToken !== undefined && spec.tokenInQuery !== false) {
    query.push(['x-cos-security-token', credentials.sessionToken]);
  }
  query.push(...Object.entries(params));
  const path = key.split('/').map(cosEncode).join('/');
  return `${emulator.url}/${path}?${query.map(([k, v]) => `${cosEncode(k)}=${cosEncode(v)}`).join('&')}`;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await request(url, { headers });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

const xml = new XMLParser({ parseTagValue: false });
function error(answer: Answer): { Code?: string; Message?: string } {
  return (xml.parse(answer.body) as { Error?: { Code?: string; Message?: string } }).Error ?? {};
}

beforeAll(async () => {
  emulator = await startEmulator({ credentials: [KEYS, TEMP], now: () => clockMs });
  emulator.setVersioning(true);
  versionId = emulator.put('a.txt', 'first').versionId;
  emulator.put('a.txt', 'hello, link');
  emulator.put('dir/ü b+c.txt', 'odd key');
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  clockMs = T0 * 1000;
});

describe('a presigned link on the emulator', () => {
  it('serves the object, with a Range and If-Match riding on it unsigned (strict mode)', async () => {
    expect(await get(link())).toMatchObject({ status: 200, body: 'hello, link' });
    const part = await get(link(), { range: 'bytes=7-10' });
    expect(part).toMatchObject({ status: 206, body: 'link' });
    expect(part.headers['content-range']).toBe('bytes 7-10/11');
    const etag = String(part.headers.etag);
    expect((await get(link(), { range: 'bytes=0-4', 'if-match': etag })).status).toBe(206);
    const changed = await get(link(), { range: 'bytes=0-4', 'if-match': '"another"' });
    expect(changed.status).toBe(412);
  });

  it('serves an odd key and the signed version', async () => {
    expect(await get(link({ key: 'dir/ü b+c.txt' }))).toMatchObject({ status: 200, body: 'odd key' });
    expect(await get(link({ params: { versionId } }))).toMatchObject({ status: 200, body: 'first' });
  });

  it('is valid through the last second of its window and expired one second later, however long ago', async () => {
    clockMs = (T0 + 3600) * 1000;
    expect((await get(link())).status).toBe(200);
    for (const late of [3601, 3600 + 900 + 1, 30 * 86_400]) {
      clockMs = (T0 + late) * 1000;
      const answer = await get(link());
      expect(answer.status).toBe(403);
      expect(error(answer)).toEqual(
        expect.objectContaining({ Code: 'AccessDenied', Message: 'Request has expired' }),
      );
    }
  });

  it('answers RequestTimeTooSkewed for a link from the future, and still for a far-off header signature', async () => {
    const answer = await get(link({ window: [T0 + 2000, T0 + 5000] }));
    expect(answer.status).toBe(403);
    expect(error(answer).Code).toBe('RequestTimeTooSkewed');
    // Within the skew allowance a link that starts a little later than the server's clock is fine.
    expect((await get(link({ window: [T0 + 300, T0 + 5000] }))).status).toBe(200);
  });

  it.each([
    ['a tampered q-signature', (url: string) => url.replace(/q-signature=[0-9a-f]{6}/, 'q-signature=000000')],
    ['a changed signed parameter', (url: string) => url.replace(/versionId=[^&]+/, 'versionId=null')],
    ['a dropped signed parameter', (url: string) => url.replace(/&versionId=[^&]+/, '')],
    ['an added parameter', (url: string) => `${url}&response-content-type=text%2Fhtml`],
    ['a widened window', (url: string) => url.replaceAll(`${T0 + 3600}`, `${T0 + 7200}`)],
    ['another object', (url: string) => url.replace('/a.txt?', '/b.txt?')],
  ])('refuses %s with 403 SignatureDoesNotMatch', async (_name, bend) => {
    emulator.put('b.txt', 'other');
    const answer = await get(bend(link({ params: { versionId } })));
    expect(answer.status).toBe(403);
    expect(error(answer).Code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a link that does not sign host, and one used through another host name', async () => {
    const unsigned = await get(link({ signHost: false }));
    expect(error(unsigned)).toMatchObject({ Code: 'SignatureDoesNotMatch' });
    expect(error(unsigned).Message).toContain('"host"');
    const port = new URL(emulator.url).port;
    const elsewhere = await get(link().replace(`127.0.0.1:${port}`, `localhost:${port}`));
    expect(error(elsewhere).Code).toBe('SignatureDoesNotMatch');
  });

  it('takes temporary credentials with the token in the query, and only there', async () => {
    expect((await get(link({ credentials: TEMP }))).status).toBe(200);
    const none = await get(link({ credentials: TEMP, tokenInQuery: false }));
    expect(error(none).Code).toBe('InvalidToken');
    const inHeader = await get(link({ credentials: TEMP, tokenInQuery: false }), {
      'x-cos-security-token': TEMP.sessionToken ?? '',
    });
    expect(error(inHeader).Code).toBe('InvalidToken');
    const forged = await get(link({ credentials: { ...TEMP, sessionToken: 'forged' } }));
    expect(error(forged).Code).toBe('InvalidToken');
  });

  it('records link requests as signed, without their signature or token', async () => {
    emulator.stats.reset();
    await get(link({ credentials: TEMP }));
    const [record] = emulator.stats.requests;
    expect(record?.signed).toBe(true);
    expect(record?.query['q-signature']).toBe('***');
    expect(record?.query['x-cos-security-token']).toBe('***');
    expect(JSON.stringify(record)).not.toContain(TEMP.sessionToken);
  });
});
