// Presigned links across peers: the official SDK's getObjectUrl links are accepted by the emulator,
// ours match the SDK's link for the same instant field for field (the same q-signature), and curl
// downloads our links. The emulator runs on the real clock here, as the SDK and curl do.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import COS from 'cos-nodejs-sdk-v5';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Credentials } from '../src/base/request.js';
import { presignObjectUrl } from '../src/cos/presign.js';
import { type Emulator, startEmulator } from '../src/emulator/index.js';

const run = promisify(execFile);

const KEYS: Credentials = { secretId: 'AKIDpeerstest000001', secretKey: 'peers-test-secret' };
const TEMP: Credentials = {
  secretId: 'AKIDpeerstemp000002',
  secretKey: 'peers-temp-secret',
  sessionToken: 'peer-token',
};
const KEY = 'releases/v1/app ü+1.bin';
const body = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(100));

let emulator: Emulator;
let v1: string;
let folder: string;

function sdk(credentials: Credentials = KEYS): COS {
  return new COS({
    SecretId: credentials.secretId,
    SecretKey: credentials.secretKey,
    ...(credentials.sessionToken === undefined ? {} : { SecurityToken: credentials.sessionToken }),
    Protocol: 'http:',
    // A plain host:port: the SDK then signs Host 127.0.0.1:PORT and puts the key in the path.
    Domain: new URL(emulator.url).host,
  });
}

function sdkUrl(cos: COS, params: Partial<COS.GetObjectUrlParams> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    cos.getObjectUrl(
      { Bucket: emulator.bucket, Region: emulator.region, Key: KEY, Sign: true, ...params },
      (error, data) => (error ? reject(error) : resolve(data.Url)),
    );
  });
}

async function get(url: string) {
  const response = await request(url);
  return {
    status: response.statusCode,
    headers: response.headers,
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}

function sorted(url: string): Array<[string, string]> {
  return [...new URL(url).searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

beforeAll(async () => {
  emulator = await startEmulator({ credentials: [KEYS, TEMP] });
  emulator.setVersioning(true);
  v1 = emulator.put(KEY, 'the first version').versionId;
  emulator.put(KEY, body);
  folder = await mkdtemp(path.join(tmpdir(), 'presign-peers-'));
});

afterAll(async () => {
  await emulator.close();
  await rm(folder, { recursive: true, force: true });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the official SDK's getObjectUrl links", () => {
  it('are served by the emulator: plain, version-pinned with a file name, and with temporary credentials', async () => {
    const plain = await get(await sdkUrl(sdk()));
    expect(plain.status).toBe(200);
    expect(plain.body.equals(body)).toBe(true);

    const disposition = 'attachment; filename="app.bin"';
    const pinned = await get(
      await sdkUrl(sdk(), { Query: { versionId: v1, 'response-content-disposition': disposition } }),
    );
    expect(pinned.status).toBe(200);
    expect(pinned.body.toString()).toBe('the first version');
    expect(pinned.headers['content-disposition']).toBe(disposition);

    const temporary = await get(await sdkUrl(sdk(TEMP)));
    expect(temporary.status).toBe(200);
  });

  it('match ours made at the same instant: the same path, parameters and q-signature', async () => {
    const seconds = Math.floor(Date.now() / 1000);
    const query = { versionId: v1, 'response-content-disposition': 'attachment; filename="a.bin"' };
    // The SDK opens its window 1 s before its clock and we open ours 60 s before: make the windows equal.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(seconds * 1000);
    const theirs = sdk(TEMP).getObjectUrl({
      Bucket: emulator.bucket,
      Region: emulator.region,
      Key: KEY,
      Sign: true,
      Expires: 3600,
      Query: query,
    });
    vi.useRealTimers();
    const ours = presignObjectUrl(
      {
        endpoint: emulator.url,
        credentials: TEMP,
        key: KEY,
        versionId: v1,
        responseOverrides: { contentDisposition: query['response-content-disposition'] },
        expiresSeconds: 3600 - 60,
      },
      (seconds + 59) * 1000,
    );
    expect(new URL(ours.url).pathname).toBe(new URL(theirs).pathname);
    expect(sorted(ours.url)).toEqual(sorted(theirs));
    expect(new URL(ours.url).searchParams.get('q-sign-time')).toBe(`${seconds - 1};${seconds - 1 + 3600}`);
    const [a, b] = await Promise.all([get(ours.url), get(theirs)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.equals(b.body)).toBe(true);
  });
});

describe('curl and our links', () => {
  async function curl(url: string, ...flags: string[]): Promise<{ code: string; file: Buffer }> {
    const out = path.join(folder, `out-${Math.random().toString(16).slice(2)}`);
    const { stdout } = await run('curl', [
      '--noproxy',
      '*',
      '--globoff',
      '-sS',
      '-o',
      out,
      '-w',
      '%{http_code}',
      ...flags,
      url,
    ]);
    return { code: stdout, file: await readFile(out) };
  }

  it('downloads the object, a range, and a pinned version', async () => {
    const link = (versionId?: string) =>
      presignObjectUrl(
        {
          endpoint: emulator.url,
          credentials: KEYS,
          key: KEY,
          ...(versionId === undefined ? {} : { versionId }),
        },
        Date.now(),
      ).url;
    const whole = await curl(link());
    expect(whole.code).toBe('200');
    expect(whole.file.equals(body)).toBe(true);
    const part = await curl(link(), '-r', '100-199');
    expect(part.code).toBe('206');
    expect(part.file.equals(body.subarray(100, 200))).toBe(true);
    const old = await curl(link(v1));
    expect(old.file.toString()).toBe('the first version');
  });

  it('gets 403 "Request has expired" for a link that expired an hour ago', async () => {
    const { url } = presignObjectUrl(
      { endpoint: emulator.url, credentials: KEYS, key: KEY, expiresSeconds: 600 },
      Date.now() - 2 * 3600 * 1000,
    );
    const answer = await curl(url);
    expect(answer.code).toBe('403');
    expect(answer.file.toString()).toContain('<Message>Request has expired</Message>');
  });
});
