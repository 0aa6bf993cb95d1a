// Presigned links we make: their shape, the same signature the official SDK computes, and the
// emulator (clock injected) serving them whole, ranged, version-pinned, with a file name, with a
// session token, until the second they expire. The SDK's own links and curl are in presign-peers.
import COS from 'cos-nodejs-sdk-v5';
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../src/base/request.js';
import {
  DEFAULT_LINK_SECONDS,
  linkWindow,
  type PresignRequest,
  presignObjectUrl,
} from '../src/cos/presign.js';
import { redactUrl } from '../src/cos/redact.js';
import { crc64ReferenceDecimal, type Emulator, startEmulator } from '../src/emulator/index.js';

const KEYS: Credentials = { secretId: 'AKIDpresigntest0001', secretKey: 'presign-test-secret' };
const TEMP: Credentials = {
  secretId: 'AKIDpresigntemp0002',
  secretKey: 'presign-temp-secret',
  sessionToken: 'session/token+with=odd&chars',
};
const NOW_MS = 1_700_000_000_250; // a fixed instant, not on a second boundary
const NOW = 1_700_000_000;
const COS_ENDPOINT = 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com';

function fields(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

describe('presignObjectUrl (pure)', () => {
  it('writes the signature fields in the query, signs host and every object parameter, valid 1 h by default', () => {
    const { url, expiresAt } = presignObjectUrl(
      {
        endpoint: COS_ENDPOINT,
        credentials: KEYS,
        key: 'releases/v1.2/app (linux).tar.gz',
        versionId: 'MTg0NDUxNTc1NjIzMTQ1MDAwODg',
        responseOverrides: { contentDisposition: 'attachment; filename="app.tar.gz"' },
        trafficLimit: 819_200,
      },
      NOW_MS,
    );
    const parsed = new URL(url);
    expect(parsed.origin).toBe(COS_ENDPOINT);
    expect(parsed.pathname).toBe('/releases/v1.2/app%20%28linux%29.tar.gz');
    expect([...parsed.searchParams.keys()]).toEqual([
      'q-sign-algorithm',
      'q-ak',
      'q-sign-time',
      'q-key-time',
      'q-header-list',
      'q-url-param-list',
      'q-signature',
      'versionId',
      'response-content-disposition',
      'x-cos-traffic-limit',
    ]);
    expect(fields(url)).toMatchObject({
      'q-sign-algorithm': 'sha1',
      'q-ak': KEYS.secretId,
      'q-sign-time': `${NOW - 60};${NOW + 3600}`,
      'q-key-time': `${NOW - 60};${NOW + 3600}`,
      'q-header-list': 'host',
      'q-url-param-list': 'response-content-disposition;versionid;x-cos-traffic-limit',
      versionId: 'MTg0NDUxNTc1NjIzMTQ1MDAwODg',
      'response-content-disposition': 'attachment; filename="app.tar.gz"',
      'x-cos-traffic-limit': '819200',
    });
    expect(fields(url)['q-signature']).toMatch(/^[0-9a-f]{40}$/);
    expect(DEFAULT_LINK_SECONDS).toBe(3600);
    expect(expiresAt.toISOString()).toBe(new Date((NOW + 3600) * 1000).toISOString());
    expect(linkWindow(url)).toEqual({ start: new Date((NOW - 60) * 1000), end: expiresAt });
  });

  it('computes exactly the Authorization the official SDK computes for the same request and key time', () => {
    const request: PresignRequest = {
      endpoint: COS_ENDPOINT,
      credentials: KEYS,
      key: 'dir/a b+c ü.txt',
      versionId: 'v1',
      responseOverrides: { contentType: 'text/plain; charset=utf-8', contentDisposition: 'inline' },
      expiresSeconds: 600,
    };
    const ours = fields(presignObjectUrl(request, NOW_MS).url);
    const theirs = COS.getAuthorization({
      SecretId: KEYS.secretId,
      SecretKey: KEYS.secretKey,
      Method: 'get',
      Key: request.key,
      Query: {
        versionId: 'v1',
        'response-content-type': 'text/plain; charset=utf-8',
        'response-content-disposition': 'inline',
      },
      Headers: { host: new URL(COS_ENDPOINT).host },
      KeyTime: `${NOW - 60};${NOW + 600}`,
    });
    const signature = [
      'q-sign-algorithm',
      'q-ak',
      'q-sign-time',
      'q-key-time',
      'q-header-list',
      'q-url-param-list',
      'q-signature',
    ]
      .map((name) => `${name}=${ours[name]}`)
      .join('&');
    expect(signature).toBe(theirs);
  });

  it('adds the session token of temporary credentials, unsigned, encoded', () => {
    const { url } = presignObjectUrl({ endpoint: COS_ENDPOINT, credentials: TEMP, key: 'a.txt' }, NOW_MS);
    expect(url).toContain('&x-cos-security-token=session%2Ftoken%2Bwith%3Dodd%26chars');
    expect(fields(url)['x-cos-security-token']).toBe(TEMP.sessionToken);
    expect(fields(url)['q-url-param-list']).toBe('');
  });

  it('keeps the port and the path of the endpoint, and signs the path as requested', () => {
    const { url } = presignObjectUrl(
      { endpoint: 'http://127.0.0.1:9000/examplebucket-1250000000/', credentials: KEYS, key: 'k.bin' },
      NOW_MS,
    );
    expect(
      url.startsWith('http://127.0.0.1:9000/examplebucket-1250000000/k.bin?q-sign-algorithm=sha1&'),
    ).toBe(true);
    const theirs = COS.getAuthorization({
      SecretId: KEYS.secretId,
      SecretKey: KEYS.secretKey,
      Method: 'get',
      Pathname: '/examplebucket-1250000000/k.bin',
      Headers: { host: '127.0.0.1:9000' },
      KeyTime: `${NOW - 60};${NOW + 3600}`,
    });
    expect(theirs).toContain(`q-signature=${fields(url)['q-signature']}`);
  });

  it('says nothing of its signature or token once redacted', () => {
    const { url } = presignObjectUrl(
      { endpoint: COS_ENDPOINT, credentials: TEMP, key: 'a.txt', versionId: 'v9' },
      NOW_MS,
    );
    const shown = redactUrl(url);
    expect(shown).toBe(
      `${COS_ENDPOINT}/a.txt?q-sign-algorithm=***&q-ak=***&q-sign-time=***&q-key-time=***&q-header-list=***` +
        '&q-url-param-list=***&q-signature=***&x-cos-security-token=***&versionId=v9',
    );
    for (const secret of [TEMP.secretId, fields(url)['q-signature'] ?? '', 'session']) {
      expect(shown).not.toContain(secret);
    }
  });

  it.each([
    ['zero seconds', { expiresSeconds: 0 }],
    ['a fraction', { expiresSeconds: 1.5 }],
    ['no key', { key: '' }],
  ])('refuses %s (RangeError: the input parser lets none through)', (_name, bad) => {
    expect(() =>
      presignObjectUrl({ endpoint: COS_ENDPOINT, credentials: KEYS, key: 'a', ...bad }, NOW_MS),
    ).toThrow(RangeError);
  });

  it('reads no window from a URL without a COS signature', () => {
    expect(linkWindow(`${COS_ENDPOINT}/a.txt`)).toBeUndefined();
    expect(linkWindow(`${COS_ENDPOINT}/a.txt?q-sign-time=1;2`)).toBeUndefined();
    expect(linkWindow('not a url')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------

const xml = new XMLParser({ parseTagValue: false });

describe('links we make, on the emulator', () => {
  let emulator: Emulator;
  let clockMs = NOW_MS;
  const body = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  let v1: string;

  const make = (request: Partial<PresignRequest> = {}) =>
    presignObjectUrl({ endpoint: emulator.url, credentials: KEYS, key: 'pkg/app.bin', ...request }, NOW_MS);

  async function get(url: string, headers: Record<string, string> = {}) {
    const response = await request(url, { headers });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.from(await response.body.arrayBuffer()),
    };
  }

  beforeAll(async () => {
    emulator = await startEmulator({ credentials: [KEYS, TEMP], now: () => clockMs });
    emulator.setVersioning(true);
    v1 = emulator.put('pkg/app.bin', 'version one').versionId;
    emulator.put('pkg/app.bin', body);
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    clockMs = NOW_MS;
  });

  it('serves the whole object and a range of it', async () => {
    const { url } = make();
    const whole = await get(url);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(body)).toBe(true);
    expect(whole.headers['x-cos-hash-crc64ecma']).toBe(crc64ReferenceDecimal(body));
    const part = await get(url, { range: 'bytes=10-15' });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe('abcdef');
    expect(part.headers['content-range']).toBe(`bytes 10-15/${body.length}`);
  });

  it('pins a version', async () => {
    const old = await get(make({ versionId: v1 }).url);
    expect(old.body.toString()).toBe('version one');
    expect(old.headers['x-cos-version-id']).toBe(v1);
  });

  it('answers with the file name a response-content-disposition link asks for', async () => {
    const disposition = 'attachment; filename="app-1.2.bin"';
    const answer = await get(make({ responseOverrides: { contentDisposition: disposition } }).url);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-disposition']).toBe(disposition);
  });

  it('carries x-cos-traffic-limit to the emulator, which checks it like COS (400 out of range)', async () => {
    const answer = await get(make({ trafficLimit: 838_860_800 }).url);
    expect(answer.status).toBe(200);
    expect(emulator.stats.requests.at(-1)?.query['x-cos-traffic-limit']).toBe('838860800');
    const tooSlow = await get(make({ trafficLimit: 8 }).url);
    expect(tooSlow.status).toBe(400);
    expect(tooSlow.body.toString()).toContain('x-cos-traffic-limit');
  });

  it('works until expiresAt and answers 403 Request has expired one second later', async () => {
    const { url, expiresAt } = make({ expiresSeconds: 600 });
    clockMs = expiresAt.getTime();
    expect((await get(url)).status).toBe(200);
    clockMs = expiresAt.getTime() + 1000;
    const expired = await get(url);
    expect(expired.status).toBe(403);
    const error = (xml.parse(expired.body.toString()) as { Error: { Code: string; Message: string } }).Error;
    expect(error).toMatchObject({ Code: 'AccessDenied', Message: 'Request has expired' });
  });

  it('refuses a tampered q-signature with 403 SignatureDoesNotMatch', async () => {
    const { url } = make();
    const signature = fields(url)['q-signature'] ?? '';
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    const answer = await get(url.replace(signature, flipped));
    expect(answer.status).toBe(403);
    expect(answer.body.toString()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('works with temporary credentials, and not without their token', async () => {
    const { url } = make({ credentials: TEMP });
    expect((await get(url)).body.equals(body)).toBe(true);
    const withoutToken = url.replace(/&x-cos-security-token=[^&]*/, '');
    expect((await get(withoutToken)).body.toString()).toContain('<Code>InvalidToken</Code>');
  });
});
