// The COS emulator over real loopback HTTP: signatures, GET/HEAD Object semantics, ListObjects,
// faults and stats. Requests are built and signed by hand (src/cos/sign.ts), read with undici.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../src/base/request.js';
import { authorization, cosEncode } from '../src/cos/sign.js';
import { main as emulatorMain } from '../src/emulator/cli.js';
import { decideRange, evaluatePreconditions } from '../src/emulator/http-rules.js';
import {
  crc64Reference,
  crc64ReferenceDecimal,
  crc64ToDecimal,
  crc64ToHex,
  type Emulator,
  startEmulator,
} from '../src/emulator/index.js';

const KEYS: Credentials = { secretId: 'AKIDemulatortest0001', secretKey: 'emulator-test-secret-key' };
const TOKEN_KEYS: Credentials = {
  secretId: 'AKIDtemporary0002',
  secretKey: 'temporary-secret',
  sessionToken: 'tok-123',
};

interface Call {
  method?: string;
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** null = anonymous; default KEYS. */
  credentials?: Credentials | null;
  /** Added after signing (so not signed). */
  unsignedHeaders?: Record<string, string>;
  unsignedQuery?: Record<string, string>;
  tamper?: (authorization: string) => string;
  signedAt?: number;
  bodyTimeout?: number;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function objectPath(key: string): string {
  return `/${key.split('/').map(cosEncode).join('/')}`;
}

function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${cosEncode(k)}=${cosEncode(v)}`)
    .join('&');
}

function flat(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function send(emulator: Emulator, call: Call): Promise<Answer> {
  const method = call.method ?? 'GET';
  const query = call.query ?? {};
  const headers: Record<string, string> = { host: new URL(emulator.url).host, ...call.headers };
  const credentials = call.credentials === undefined ? KEYS : call.credentials;
  if (credentials !== null) {
    if (credentials.sessionToken !== undefined) headers['x-cos-security-token'] = credentials.sessionToken;
    const auth = authorization(
      credentials,
      { method, path: `/${call.key}`, query, headers },
      call.signedAt ?? Date.now() / 1000,
    );
    headers.authorization = call.tamper === undefined ? auth : call.tamper(auth);
  }
  Object.assign(headers, call.unsignedHeaders);
  const search = queryString({ ...query, ...call.unsignedQuery });
  const response = await request(
    `${emulator.url}${objectPath(call.key)}${search === '' ? '' : `?${search}`}`,
    {
      method: method as 'GET',
      headers,
      ...(call.bodyTimeout === undefined ? {} : { bodyTimeout: call.bodyTimeout }),
    },
  );
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: flat(response.headers), body };
}

const xml = new XMLParser({
  parseTagValue: false,
  isArray: (name) => name === 'Contents' || name === 'CommonPrefixes',
});

function errorCode(answer: Answer): string {
  const parsed = xml.parse(answer.body.toString('utf8')) as { Error?: { Code?: string } };
  return parsed.Error?.Code ?? `(no error body, status ${answer.status})`;
}

function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

describe('crc64-reference', () => {
  it('matches the CRC-64/XZ check value and continues a running CRC', () => {
    const all = crc64Reference(Buffer.from('123456789'));
    expect(crc64ToHex(all)).toBe('995dc9bbdf1939fa');
    expect(crc64ToDecimal(all)).toBe('11051210869376104954');
    expect(crc64ToDecimal(crc64Reference(Buffer.from('56789'), crc64Reference(Buffer.from('1234'))))).toBe(
      '11051210869376104954',
    );
    expect(crc64ReferenceDecimal(new Uint8Array(0))).toBe('0');
  });
});

describe('http rules', () => {
  it.each([
    [undefined, 10, { kind: 'whole' }],
    ['bytes=2-5', 10, { kind: 'partial', start: 2, end: 5 }],
    ['bytes=7-', 10, { kind: 'partial', start: 7, end: 9 }],
    ['bytes=-3', 10, { kind: 'partial', start: 7, end: 9 }],
    ['bytes=-30', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=5-100', 10, { kind: 'partial', start: 5, end: 9 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-1,3-4', 10, { kind: 'whole' }],
    ['bytes=5-2', 10, { kind: 'whole' }],
    ['items=0-1', 10, { kind: 'whole' }],
    ['bytes=x-', 10, { kind: 'whole' }],
  ] as const)('Range %s of %d bytes', (header, size, expected) => {
    expect(decideRange(header, size)).toEqual(expected);
  });

  it('applies RFC 7232 precedence', () => {
    const modified = new Date('2024-01-02T00:00:00Z');
    const etag = '"abc"';
    const old = 'Mon, 01 Jan 2024 00:00:00 GMT';
    const later = 'Wed, 03 Jan 2024 00:00:00 GMT';
    expect(evaluatePreconditions({ ifMatch: '"abc"', ifUnmodifiedSince: old }, etag, modified).kind).toBe(
      'proceed',
    );
    expect(evaluatePreconditions({ ifMatch: 'abc' }, etag, modified).kind).toBe('proceed');
    expect(evaluatePreconditions({ ifMatch: 'W/"abc"' }, etag, modified).kind).toBe('failed');
    expect(evaluatePreconditions({ ifUnmodifiedSince: old }, etag, modified)).toEqual({
      kind: 'failed',
      because: 'If-Unmodified-Since',
    });
    expect(evaluatePreconditions({ ifNoneMatch: '"x"', ifModifiedSince: later }, etag, modified).kind).toBe(
      'proceed',
    );
    expect(evaluatePreconditions({ ifModifiedSince: later }, etag, modified).kind).toBe('not-modified');
    expect(evaluatePreconditions({ ifModifiedSince: 'garbage' }, etag, modified).kind).toBe('proceed');
  });
});

describe('signatures', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ credentials: [KEYS, TOKEN_KEYS] });
    emulator.put('a.txt', 'hello');
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.setClockOffset(0);
  });

  it('accepts a request signed over host and every header and parameter sent', async () => {
    const answer = await send(emulator, {
      key: 'a.txt',
      headers: { range: 'bytes=0-1' },
      query: { versionId: 'null' },
    });
    expect(answer.status).toBe(206);
    expect(answer.body.toString()).toBe('he');
  });

  it.each([
    ['anonymous on a private bucket', { credentials: null }, 'AccessDenied'],
    [
      'a tampered signature',
      { tamper: (a: string) => a.replace(/q-signature=[0-9a-f]{8}/, 'q-signature=00000000') },
      'SignatureDoesNotMatch',
    ],
    [
      'a wrong secret key',
      { credentials: { secretId: KEYS.secretId, secretKey: 'wrong' } },
      'SignatureDoesNotMatch',
    ],
    ['an unknown key', { credentials: { secretId: 'AKIDnobody', secretKey: 'x' } }, 'InvalidAccessKeyId'],
    ['an unsigned Range header', { unsignedHeaders: { range: 'bytes=0-1' } }, 'SignatureDoesNotMatch'],
    ['an unsigned If-Match header', { unsignedHeaders: { 'if-match': '"x"' } }, 'SignatureDoesNotMatch'],
    [
      'an unsigned x-cos header',
      { unsignedHeaders: { 'x-cos-traffic-limit': '819200' } },
      'SignatureDoesNotMatch',
    ],
    ['an unsigned query parameter', { unsignedQuery: { versionId: 'null' } }, 'SignatureDoesNotMatch'],
    [
      'a signed header changed after signing',
      { headers: { range: 'bytes=0-1' }, unsignedHeaders: { range: 'bytes=0-2' } },
      'SignatureDoesNotMatch',
    ],
    [
      'host left out of the signature',
      { tamper: (a: string) => a.replace('q-header-list=host', 'q-header-list=') },
      'SignatureDoesNotMatch',
    ],
    [
      'a session key without its token',
      { credentials: { secretId: TOKEN_KEYS.secretId, secretKey: TOKEN_KEYS.secretKey } },
      'InvalidToken',
    ],
    [
      'a session key with a wrong token',
      { credentials: { ...TOKEN_KEYS, sessionToken: 'forged' } },
      'InvalidToken',
    ],
  ] as const)('refuses %s with 403', async (_name, call, code) => {
    const answer = await send(emulator, { key: 'a.txt', ...(call as Partial<Call>) });
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe(code);
  });

  it('accepts temporary credentials with their token', async () => {
    const answer = await send(emulator, { key: 'a.txt', credentials: TOKEN_KEYS });
    expect(answer.status).toBe(200);
    const record = emulator.stats.requests.at(-1);
    expect(record?.headers['x-cos-security-token']).toBe('***');
  });

  it('answers RequestTimeTooSkewed with the server time in Date', async () => {
    const offset = 2 * 3600 * 1000;
    emulator.setClockOffset(offset);
    const answer = await send(emulator, { key: 'a.txt' });
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe('RequestTimeTooSkewed');
    const serverTime = Date.parse(answer.headers.date ?? '');
    expect(Math.abs(serverTime - (Date.now() + offset))).toBeLessThan(5000);

    emulator.setClockOffset(-offset);
    expect(errorCode(await send(emulator, { key: 'a.txt' }))).toBe('RequestTimeTooSkewed');
  });

  it('refuses an expired signature that is within the skew allowance', async () => {
    const answer = await send(emulator, { key: 'a.txt', signedAt: Date.now() / 1000 - 1000 });
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe('AccessDenied');
    expect(answer.body.toString()).toContain('Request has expired');
  });

  it('accepts a pre-signed URL (signature in the query string)', async () => {
    const headers = { host: new URL(emulator.url).host };
    const auth = authorization(
      KEYS,
      { method: 'GET', path: '/a.txt', query: {}, headers },
      Date.now() / 1000,
    );
    const url = `${emulator.url}/a.txt?${auth}`;
    const good = await request(url);
    expect(good.statusCode).toBe(200);
    expect(await good.body.text()).toBe('hello');
    const bad = await request(url.replace(/q-signature=[0-9a-f]{8}/, 'q-signature=00000000'));
    expect(bad.statusCode).toBe(403);
    await bad.body.dump();
  });

  it('keeps no signature in the request records', async () => {
    emulator.stats.reset();
    await send(emulator, { key: 'a.txt' });
    const [record] = emulator.stats.requests;
    expect(record?.signed).toBe(true);
    expect(record?.headers.authorization).toBeUndefined();
    expect(record?.authorization).toMatch(/q-ak=AKIDemulatortest0001&.*q-signature=\*\*\*$/);
  });
});

describe('public-read buckets', () => {
  let open: Emulator;
  let mixed: Emulator;
  beforeAll(async () => {
    open = await startEmulator();
    mixed = await startEmulator({ credentials: [KEYS], publicRead: true });
    open.put('p.txt', 'public');
    mixed.put('p.txt', 'public');
  });
  afterAll(async () => {
    await open.close();
    await mixed.close();
  });

  it('serves anonymous GETs but refuses anonymous response-* parameters', async () => {
    const anonymous = await send(open, { key: 'p.txt', credentials: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.toString()).toBe('public');
    const overridden = await send(open, {
      key: 'p.txt',
      credentials: null,
      unsignedQuery: { 'response-content-type': 'text/x-test' },
    });
    expect(overridden.status).toBe(403);
    expect(errorCode(overridden)).toBe('AccessDenied');
  });

  it('still verifies signed requests on a public-read bucket with keys', async () => {
    expect((await send(mixed, { key: 'p.txt', credentials: null })).status).toBe(200);
    const wrong = await send(mixed, {
      key: 'p.txt',
      credentials: { secretId: KEYS.secretId, secretKey: 'nope' },
    });
    expect(errorCode(wrong)).toBe('SignatureDoesNotMatch');
  });
});

describe('GET and HEAD Object', () => {
  let emulator: Emulator;
  const ten = '0123456789';
  beforeAll(async () => {
    emulator = await startEmulator({ credentials: [KEYS] });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.clearFaults();
    emulator.setVersioning(false);
    emulator.put('ten.txt', ten, { contentType: 'text/plain' });
  });

  it('answers with the COS headers', async () => {
    const first = await send(emulator, { key: 'ten.txt' });
    const second = await send(emulator, { key: 'ten.txt', method: 'HEAD' });
    expect(first.status).toBe(200);
    expect(first.body.toString()).toBe(ten);
    expect(first.headers).toMatchObject({
      etag: `"${md5Hex(ten)}"`,
      'content-length': '10',
      'content-type': 'text/plain',
      'accept-ranges': 'bytes',
      'x-cos-hash-crc64ecma': crc64ReferenceDecimal(Buffer.from(ten)),
      server: 'tencent-cos',
    });
    expect(new Date(first.headers['last-modified'] ?? '').getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(first.headers['x-cos-storage-class']).toBeUndefined();
    expect(first.headers['x-cos-version-id']).toBeUndefined();
    expect(first.headers.date).toBeDefined();
    expect(second.status).toBe(200);
    expect(second.body.length).toBe(0);
    expect(second.headers['content-length']).toBe('10');
    expect(second.headers['x-cos-request-id']).not.toBe(first.headers['x-cos-request-id']);
  });

  it.each([
    ['bytes=2-5', '2345', 'bytes 2-5/10'],
    ['bytes=7-', '789', 'bytes 7-9/10'],
    ['bytes=-3', '789', 'bytes 7-9/10'],
    ['bytes=5-100', '56789', 'bytes 5-9/10'],
  ])('serves Range %s as 206 with the whole-object CRC', async (range, body, contentRange) => {
    const answer = await send(emulator, { key: 'ten.txt', headers: { range } });
    expect(answer.status).toBe(206);
    expect(answer.body.toString()).toBe(body);
    expect(answer.headers['content-range']).toBe(contentRange);
    expect(answer.headers['x-cos-hash-crc64ecma']).toBe(crc64ReferenceDecimal(Buffer.from(ten)));
  });

  it('answers an unsatisfiable range with 416 and ignores a multi-range', async () => {
    const beyond = await send(emulator, { key: 'ten.txt', headers: { range: 'bytes=10-' } });
    expect(beyond.status).toBe(416);
    expect(errorCode(beyond)).toBe('InvalidRange');
    expect(beyond.headers['content-range']).toBe('bytes */10');
    const multi = await send(emulator, { key: 'ten.txt', headers: { range: 'bytes=0-1,3-4' } });
    expect(multi.status).toBe(200);
    expect(multi.body.toString()).toBe(ten);
  });

  it('answers conditionals with 304 and 412', async () => {
    const etag = `"${md5Hex(ten)}"`;
    const lastModified =
      (await send(emulator, { key: 'ten.txt', method: 'HEAD' })).headers['last-modified'] ?? '';
    const notModified = await send(emulator, { key: 'ten.txt', headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.headers['last-modified']).toBe(lastModified);
    const since = await send(emulator, { key: 'ten.txt', headers: { 'if-modified-since': lastModified } });
    expect(since.status).toBe(304);
    const headNotModified = await send(emulator, {
      key: 'ten.txt',
      method: 'HEAD',
      headers: { 'if-none-match': etag },
    });
    expect(headNotModified.status).toBe(304);

    const failed = await send(emulator, { key: 'ten.txt', headers: { 'if-match': '"0000"' } });
    expect(failed.status).toBe(412);
    expect(errorCode(failed)).toBe('PreconditionFailed');
    const unmodified = await send(emulator, {
      key: 'ten.txt',
      headers: { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' },
    });
    expect(unmodified.status).toBe(412);
    const matched = await send(emulator, {
      key: 'ten.txt',
      headers: { 'if-match': etag, range: 'bytes=0-0' },
    });
    expect(matched.status).toBe(206);
  });

  it('serves versions, NoSuchVersion and delete markers', async () => {
    emulator.setVersioning(true);
    const v1 = emulator.put('v.txt', 'one');
    const v2 = emulator.put('v.txt', 'two');
    expect(v1.versionId).not.toBe(v2.versionId);
    const latest = await send(emulator, { key: 'v.txt' });
    expect(latest.body.toString()).toBe('two');
    expect(latest.headers['x-cos-version-id']).toBe(v2.versionId);
    const older = await send(emulator, { key: 'v.txt', query: { versionId: v1.versionId } });
    expect(older.body.toString()).toBe('one');
    expect(older.headers['x-cos-version-id']).toBe(v1.versionId);
    const unknown = await send(emulator, { key: 'v.txt', query: { versionId: 'nope' } });
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('NoSuchVersion');

    emulator.remove('v.txt');
    const versions = emulator.versions('v.txt');
    expect(versions.map((v) => v.deleteMarker)).toEqual([true, false, false]);
    const gone = await send(emulator, { key: 'v.txt' });
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('NoSuchKey');
    expect(gone.headers['x-cos-delete-marker']).toBe('true');
    const marker = await send(emulator, { key: 'v.txt', query: { versionId: versions[0]?.versionId ?? '' } });
    expect(errorCode(marker)).toBe('NoSuchKey');
    const stillThere = await send(emulator, { key: 'v.txt', query: { versionId: v1.versionId } });
    expect(stillThere.body.toString()).toBe('one');
  });

  it('replaces a key when versioning is off, and removes it', async () => {
    emulator.put('r.txt', 'first');
    emulator.put('r.txt', 'second');
    expect(emulator.versions('r.txt')).toHaveLength(1);
    expect((await send(emulator, { key: 'r.txt' })).body.toString()).toBe('second');
    emulator.remove('r.txt');
    expect(errorCode(await send(emulator, { key: 'r.txt' }))).toBe('NoSuchKey');
    expect(emulator.versions('r.txt')).toEqual([]);
  });

  it('overrides response headers with response-* parameters', async () => {
    const query = {
      'response-cache-control': 'max-age=60',
      'response-content-disposition': 'attachment; filename="t.txt"',
      'response-content-encoding': 'identity',
      'response-content-language': 'zh-CN',
      'response-content-type': 'application/x-test',
      'response-expires': 'Wed, 21 Oct 2037 07:28:00 GMT',
    };
    const answer = await send(emulator, { key: 'ten.txt', query });
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({
      'cache-control': 'max-age=60',
      'content-disposition': 'attachment; filename="t.txt"',
      'content-encoding': 'identity',
      'content-language': 'zh-CN',
      'content-type': 'application/x-test',
      expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
    });
  });

  it('validates x-cos-traffic-limit', async () => {
    for (const limit of ['819199', '838860801', '1e6', '-819200', '']) {
      const answer = await send(emulator, { key: 'ten.txt', headers: { 'x-cos-traffic-limit': limit } });
      expect(answer.status, limit).toBe(400);
      expect(errorCode(answer)).toBe('InvalidArgument');
    }
    const fast = await send(emulator, { key: 'ten.txt', headers: { 'x-cos-traffic-limit': '838860800' } });
    expect(fast.status).toBe(200);
  });

  it('throttles the body to x-cos-traffic-limit', async () => {
    const body = randomBytes(200 * 1024);
    emulator.put('slow.bin', body);
    const started = performance.now();
    const answer = await send(emulator, { key: 'slow.bin', headers: { 'x-cos-traffic-limit': '819200' } });
    const elapsed = performance.now() - started;
    expect(Buffer.compare(answer.body, body)).toBe(0);
    // 200 KiB at 100 KiB/s is about 2 s; a lower bound only, so a slow machine cannot fail it.
    expect(elapsed).toBeGreaterThanOrEqual(1500);
  });

  it('reports the storage class and refuses to GET an ARCHIVE object', async () => {
    emulator.put('ia.bin', 'warm', { storageClass: 'STANDARD_IA' });
    emulator.put('cold.bin', 'cold', { storageClass: 'ARCHIVE' });
    emulator.put('colder.bin', 'cold', { storageClass: 'DEEP_ARCHIVE' });
    expect((await send(emulator, { key: 'ia.bin' })).headers['x-cos-storage-class']).toBe('STANDARD_IA');
    const cold = await send(emulator, { key: 'cold.bin' });
    expect(cold.status).toBe(403);
    expect(errorCode(cold)).toBe('InvalidObjectState');
    expect(cold.headers['x-cos-storage-class']).toBe('ARCHIVE');
    expect(errorCode(await send(emulator, { key: 'colder.bin' }))).toBe('InvalidObjectState');
    const head = await send(emulator, { key: 'cold.bin', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['x-cos-storage-class']).toBe('ARCHIVE');
  });

  it('enforces the SSE-C header contract', async () => {
    const key = randomBytes(32);
    const other = randomBytes(32);
    emulator.put('secret.bin', 'sealed', { sseCustomerKey: key.toString('base64') });
    const sse = (raw: Buffer, md5Of: Buffer = raw): Record<string, string> => ({
      'x-cos-server-side-encryption-customer-algorithm': 'AES256',
      'x-cos-server-side-encryption-customer-key': raw.toString('base64'),
      'x-cos-server-side-encryption-customer-key-md5': createHash('md5').update(md5Of).digest('base64'),
    });
    const missing = await send(emulator, { key: 'secret.bin' });
    expect(missing.status).toBe(400);
    expect(errorCode(missing)).toBe('InvalidRequest');
    const wrongKey = await send(emulator, { key: 'secret.bin', headers: sse(other) });
    expect(wrongKey.status).toBe(403);
    expect(errorCode(wrongKey)).toBe('AccessDenied');
    const wrongMd5 = await send(emulator, { key: 'secret.bin', headers: sse(key, other) });
    expect(wrongMd5.status).toBe(400);
    expect(errorCode(wrongMd5)).toBe('InvalidArgument');
    const good = await send(emulator, { key: 'secret.bin', headers: sse(key) });
    expect(good.status).toBe(200);
    expect(good.body.toString()).toBe('sealed');
    expect(good.headers['x-cos-server-side-encryption-customer-algorithm']).toBe('AES256');
    expect(good.headers['x-cos-server-side-encryption-customer-key-md5']).toBe(
      createHash('md5').update(key).digest('base64'),
    );
    expect((await send(emulator, { key: 'secret.bin', method: 'HEAD', headers: sse(key) })).status).toBe(200);
    expect(errorCode(await send(emulator, { key: 'ten.txt', headers: sse(key) }))).toBe('InvalidRequest');
    expect(() => emulator.put('bad', 'x', { sseCustomerKey: 'c2hvcnQ=' })).toThrow(/32 bytes/);
  });

  it('stores put options: no CRC, an ETag override, metadata and headers', async () => {
    const stored = emulator.put('old.bin', 'legacy', {
      crc64: false,
      etag: 'abc-3',
      metadata: { origin: 'test' },
      cacheControl: 'no-cache',
      contentDisposition: 'inline',
      lastModified: new Date('2020-04-10T09:35:05.123Z'),
    });
    expect(stored.etag).toBe('"abc-3"');
    expect(stored.crc64).toBe(crc64ReferenceDecimal(Buffer.from('legacy')));
    const answer = await send(emulator, { key: 'old.bin' });
    expect(answer.headers['x-cos-hash-crc64ecma']).toBeUndefined();
    expect(answer.headers).toMatchObject({
      etag: '"abc-3"',
      'x-cos-meta-origin': 'test',
      'cache-control': 'no-cache',
      'content-disposition': 'inline',
      'last-modified': 'Fri, 10 Apr 2020 09:35:05 GMT',
    });
  });

  it('answers errors as COS XML', async () => {
    const answer = await send(emulator, { key: 'missing/key.txt' });
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/xml');
    const text = answer.body.toString();
    expect(text.startsWith("<?xml version='1.0' encoding='utf-8' ?>")).toBe(true);
    const parsed = xml.parse(text) as { Error: Record<string, string> };
    expect(parsed.Error.Code).toBe('NoSuchKey');
    expect(parsed.Error.Message).not.toBe('');
    expect(parsed.Error.Resource).toBe(
      `${emulator.bucket}.cos.${emulator.region}.myqcloud.com/missing/key.txt`,
    );
    expect(parsed.Error.RequestId).toBe(answer.headers['x-cos-request-id']);
    expect(parsed.Error.TraceId).not.toBe('');
  });

  it('decodes keys with spaces, plus signs and non-ASCII characters', async () => {
    for (const key of ['dir/a b.txt', 'x+y', 'ü/名字', "q'(u)o!te*"]) {
      emulator.put(key, `body of ${key}`);
      const answer = await send(emulator, { key });
      expect(answer.status, key).toBe(200);
      expect(answer.body.toString()).toBe(`body of ${key}`);
      expect(emulator.stats.requests.at(-1)?.path).toBe(`/${key}`);
    }
  });

  it('addresses the bucket by virtual host, path style, or the plain endpoint', async () => {
    const virtual = await send(emulator, {
      key: 'ten.txt',
      headers: { host: `${emulator.bucket}.cos.${emulator.region}.myqcloud.com` },
    });
    expect(virtual.status).toBe(200);
    const otherBucket = await send(emulator, {
      key: 'ten.txt',
      headers: { host: `otherbucket-1250000000.cos.${emulator.region}.myqcloud.com` },
    });
    expect(otherBucket.status).toBe(404);
    expect(errorCode(otherBucket)).toBe('NoSuchBucket');
    const pathStyle = await send(emulator, {
      key: `${emulator.bucket}/ten.txt`,
      headers: { host: `cos.${emulator.region}.myqcloud.com` },
    });
    expect(pathStyle.body.toString()).toBe(ten);
  });

  it('answers HEAD Bucket and refuses writes', async () => {
    const head = await send(emulator, { key: '', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['x-cos-bucket-region']).toBe(emulator.region);
    const put = await send(emulator, { key: 'new.txt', method: 'PUT' });
    expect(put.status).toBe(405);
    expect(errorCode(put)).toBe('MethodNotAllowed');
  });
});

describe('ListObjects', () => {
  let emulator: Emulator;
  const keys = ['a&b', 'dir/', 'dir/one', 'dir/sub/two', 'sp ace', 'x+y', 'z<"\'>', 'ü', '名'];
  beforeAll(async () => {
    emulator = await startEmulator({ credentials: [KEYS] });
    for (const key of [...keys].reverse()) emulator.put(key, `content of ${key}`);
    emulator.setVersioning(true);
    emulator.put('deleted', 'x');
    emulator.remove('deleted');
  });
  afterAll(async () => {
    await emulator.close();
  });

  interface Listing {
    Name: string;
    EncodingType?: string;
    Prefix: string;
    Marker: string;
    MaxKeys: string;
    Delimiter?: string;
    IsTruncated: string;
    NextMarker?: string;
    Contents?: Array<{ Key: string; LastModified: string; ETag: string; Size: string; StorageClass: string }>;
    CommonPrefixes?: Array<{ Prefix: string }>;
  }

  async function list(query: Record<string, string>): Promise<{ listing: Listing; raw: string }> {
    const answer = await send(emulator, { key: '', query });
    expect(answer.status).toBe(200);
    const raw = answer.body.toString();
    return { listing: (xml.parse(raw) as { ListBucketResult: Listing }).ListBucketResult, raw };
  }

  it('lists every live key in UTF-8 byte order with escaped XML', async () => {
    const { listing, raw } = await list({});
    const listed = listing.Contents?.map((c) => c.Key);
    expect(listed).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(listed).not.toContain('deleted');
    expect(listing.IsTruncated).toBe('false');
    expect(listing.MaxKeys).toBe('1000');
    expect(listing.Name).toBe(emulator.bucket);
    expect(raw).toContain('<Key>z&lt;&quot;&apos;&gt;</Key>');
    expect(raw).toContain('<ETag>&quot;');
    const first = listing.Contents?.[0];
    expect(first?.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first?.ETag).toBe(`"${md5Hex('content of a&b')}"`);
    expect(first?.Size).toBe(String(Buffer.byteLength('content of a&b')));
    expect(first?.StorageClass).toBe('STANDARD');
  });

  it('pages with max-keys and NextMarker under encoding-type=url', async () => {
    const seen: string[] = [];
    let marker = '';
    let pages = 0;
    for (;;) {
      const { listing } = await list({
        'max-keys': '2',
        'encoding-type': 'url',
        ...(marker ? { marker } : {}),
      });
      pages += 1;
      expect(listing.EncodingType).toBe('url');
      const page = (listing.Contents ?? []).map((c) => decodeURIComponent(c.Key));
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page);
      if (listing.IsTruncated !== 'true') break;
      expect(listing.NextMarker).toBeDefined();
      marker = decodeURIComponent(listing.NextMarker ?? '');
      expect(marker).toBe(page.at(-1));
    }
    expect(pages).toBe(5);
    expect(seen).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    const { raw } = await list({ 'encoding-type': 'url', prefix: 'sp ' });
    expect(raw).toContain('<Key>sp%20ace</Key>');
    expect(raw).toContain('<Prefix>sp%20</Prefix>');
  });

  it('groups common prefixes with a delimiter and pages through them without repeats', async () => {
    const { listing } = await list({ delimiter: '/' });
    expect(listing.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dir/']);
    expect(listing.Delimiter).toBe('/');
    const inside = await list({ prefix: 'dir/', delimiter: '/' });
    expect(inside.listing.Contents?.map((c) => c.Key)).toEqual(['dir/', 'dir/one']);
    expect(inside.listing.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dir/sub/']);

    const entries: string[] = [];
    let marker = '';
    for (let page = 0; page < 20; page += 1) {
      const { listing: one } = await list({ delimiter: '/', 'max-keys': '1', ...(marker ? { marker } : {}) });
      entries.push(
        ...(one.Contents ?? []).map((c) => c.Key),
        ...(one.CommonPrefixes ?? []).map((p) => p.Prefix),
      );
      if (one.IsTruncated !== 'true') break;
      marker = one.NextMarker ?? '';
    }
    expect(entries).toEqual(['a&b', 'dir/', 'sp ace', 'x+y', 'z<"\'>', 'ü', '名']);
  });

  it('validates max-keys and encoding-type, and caps max-keys at 1000', async () => {
    expect(errorCode(await send(emulator, { key: '', query: { 'max-keys': 'ten' } }))).toBe(
      'InvalidArgument',
    );
    expect(errorCode(await send(emulator, { key: '', query: { 'encoding-type': 'base64' } }))).toBe(
      'InvalidArgument',
    );
    expect((await list({ 'max-keys': '5000' })).listing.MaxKeys).toBe('1000');
    const none = await list({ 'max-keys': '0' });
    expect(none.listing.Contents).toBeUndefined();
    expect(none.listing.IsTruncated).toBe('false');
  });
});

describe('faults', () => {
  let emulator: Emulator;
  const big = randomBytes(256 * 1024);
  beforeAll(async () => {
    emulator = await startEmulator({ credentials: [KEYS] });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.clearFaults();
    emulator.setVersioning(false);
    emulator.put('big.bin', big);
    emulator.put('small.txt', 'small');
    emulator.stats.reset();
  });

  it('resets every GET after resetAfterBytes', async () => {
    emulator.setFaults({ resetAfterBytes: 1000 });
    await expect(send(emulator, { key: 'big.bin' })).rejects.toThrow();
    expect(emulator.stats.bytesServed).toBe(1000);
    expect(emulator.stats.requests[0]?.bytesSent).toBe(1000);
    // A body shorter than the limit is not cut.
    expect((await send(emulator, { key: 'small.txt' })).body.toString()).toBe('small');
  });

  it('resets a seeded share of GETs with resetRate', async () => {
    const outcomes = async (): Promise<string> => {
      emulator.setFaults({ resetRate: 0.5, seed: 42 });
      let pattern = '';
      for (let i = 0; i < 12; i += 1) {
        pattern += await send(emulator, { key: 'big.bin' }).then(
          () => 'ok ',
          () => 'reset ',
        );
      }
      return pattern;
    };
    const first = await outcomes();
    expect(first).toContain('ok');
    expect(first).toContain('reset');
    expect(await outcomes()).toBe(first);
  });

  it.each([
    [503, 'SlowDown'],
    [500, 'InternalError'],
    [429, 'TooManyRequests'],
  ] as const)('answers errorRate with %d %s', async (status, code) => {
    emulator.setFaults({ errorRate: 1, errorStatus: status });
    const answer = await send(emulator, { key: 'small.txt' });
    expect(answer.status).toBe(status);
    expect(errorCode(answer)).toBe(code);
  });

  it('fails the next matching requests once each with failNext', async () => {
    const failNext = [
      { status: 503, code: 'SlowDown', kinds: ['get' as const] },
      { status: 500, code: 'InternalError', kinds: ['list' as const] },
    ];
    emulator.setFaults({ failNext });
    expect((await send(emulator, { key: 'small.txt', method: 'HEAD' })).status).toBe(200);
    expect(errorCode(await send(emulator, { key: 'small.txt' }))).toBe('SlowDown');
    expect((await send(emulator, { key: 'small.txt' })).status).toBe(200);
    expect(errorCode(await send(emulator, { key: '' }))).toBe('InternalError');
    expect((await send(emulator, { key: '' })).status).toBe(200);
    expect(failNext).toEqual([]);
  });

  it('delays the headers by latencyMs', async () => {
    emulator.faults.latencyMs = 300;
    const started = performance.now();
    await send(emulator, { key: 'small.txt' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('changes the content after etagChangeAfterRequests GETs', async () => {
    emulator.setFaults({ etagChangeAfterRequests: 2 });
    const first = await send(emulator, { key: 'small.txt' });
    const second = await send(emulator, {
      key: 'small.txt',
      headers: { 'if-match': first.headers.etag ?? '' },
    });
    expect(second.status).toBe(200);
    const third = await send(emulator, {
      key: 'small.txt',
      headers: { 'if-match': first.headers.etag ?? '' },
    });
    expect(third.status).toBe(412);
    const fourth = await send(emulator, { key: 'small.txt' });
    expect(fourth.headers.etag).not.toBe(first.headers.etag);
    expect(fourth.body).toEqual(Buffer.from('small').map((b) => b ^ 0xff));
    expect(fourth.headers['x-cos-hash-crc64ecma']).toBe(crc64ReferenceDecimal(fourth.body));
  });

  it('redirects GETs with 302 (origin-pull)', async () => {
    emulator.setFaults({ redirect: { location: 'http://10.0.0.1/secret' } });
    const answer = await send(emulator, { key: 'small.txt' });
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('http://10.0.0.1/secret');
    expect((await send(emulator, { key: 'small.txt', method: 'HEAD' })).status).toBe(200);
  });

  it('corrupts one byte with corruptByteAt and keeps the original CRC header', async () => {
    emulator.setFaults({ corruptByteAt: 5 });
    const answer = await send(emulator, { key: 'big.bin' });
    expect(answer.headers['x-cos-hash-crc64ecma']).toBe(crc64ReferenceDecimal(big));
    const differing = [...answer.body.keys()].filter((i) => answer.body[i] !== big[i]);
    expect(differing).toEqual([5]);
    const clean = await send(emulator, { key: 'big.bin', headers: { range: 'bytes=10-20' } });
    expect(Buffer.compare(clean.body, big.subarray(10, 21))).toBe(0);
  });

  it('truncates the body with truncateBody', async () => {
    emulator.setFaults({ truncateBody: true });
    await expect(send(emulator, { key: 'big.bin' })).rejects.toThrow();
    expect(emulator.stats.requests[0]?.bytesSent).toBe(big.length / 2);
  });

  it('stalls with stallAfterBytes until the client gives up', async () => {
    emulator.setFaults({ stallAfterBytes: 4096 });
    await expect(send(emulator, { key: 'big.bin', bodyTimeout: 300 })).rejects.toThrow(/timeout/i);
    expect(emulator.stats.bytesServed).toBe(4096);
  });

  it('cuts a seeded share of GETs with truncateRate (graceful end) and stallRate (kept open)', async () => {
    const outcomes = async (faults: { truncateRate?: number; stallRate?: number }): Promise<string> => {
      emulator.setFaults({ ...faults, seed: 7 });
      emulator.stats.reset();
      let pattern = '';
      for (let i = 0; i < 8; i += 1) {
        pattern += await send(emulator, { key: 'big.bin', bodyTimeout: 200 }).then(
          () => 'ok ',
          (error: unknown) => (/timeout/i.test(String(error)) ? 'stall ' : 'cut '),
        );
      }
      return pattern;
    };
    const truncated = await outcomes({ truncateRate: 0.5 });
    expect(truncated).toMatch(/ok .*cut |cut .*ok /);
    expect(truncated).not.toContain('stall');
    expect(emulator.stats.bytesServed).toBeLessThan(8 * big.length);
    expect(await outcomes({ truncateRate: 0.5 })).toBe(truncated);
    const stalled = await outcomes({ truncateRate: 0, stallRate: 0.5 });
    expect(stalled).toMatch(/ok .*stall |stall .*ok /);
    expect(stalled).not.toContain('cut');
  });

  it('serves at most stallAfterTotalBytes in total, across GETs, then stalls every body', async () => {
    emulator.setFaults({ stallAfterTotalBytes: big.length + 1000 });
    expect((await send(emulator, { key: 'big.bin' })).body.length).toBe(big.length);
    await expect(send(emulator, { key: 'big.bin', bodyTimeout: 200 })).rejects.toThrow(/timeout/i);
    expect(emulator.stats.bytesServed).toBe(big.length + 1000);
    await expect(send(emulator, { key: 'small.txt', bodyTimeout: 200 })).rejects.toThrow(/timeout/i);
    expect(emulator.stats.bytesServed).toBe(big.length + 1000);
  });

  it('lets failNext skip matching requests first, and delays a seeded share with latencyRate', async () => {
    const failNext = [{ status: 500, code: 'InternalError', kinds: ['list' as const], skip: 1 }];
    emulator.setFaults({ failNext });
    expect((await send(emulator, { key: '' })).status).toBe(200);
    expect((await send(emulator, { key: 'small.txt' })).status).toBe(200);
    expect(errorCode(await send(emulator, { key: '' }))).toBe('InternalError');
    expect((await send(emulator, { key: '' })).status).toBe(200);
    expect(failNext).toEqual([]);

    const delays = async (): Promise<string> => {
      emulator.setFaults({ latencyMs: 150, latencyRate: 0.5, seed: 3 });
      let pattern = '';
      for (let i = 0; i < 8; i += 1) {
        const started = performance.now();
        await send(emulator, { key: 'small.txt' });
        pattern += performance.now() - started >= 140 ? 'slow ' : 'fast ';
      }
      return pattern;
    };
    const first = await delays();
    expect(first).toMatch(/slow .*fast |fast .*slow /);
    expect(await delays()).toBe(first);
  });

  it('closes with a stalled response open', async () => {
    const other = await startEmulator();
    other.put('big.bin', big);
    other.setFaults({ stallAfterBytes: 10 });
    const pending = send(other, { key: 'big.bin', credentials: null }).then(
      () => 'completed',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(other.stats.inFlight).toBe(1);
    await other.close();
    expect(await pending).toBe('failed');
  });

  it('ignores ranges with rangeIgnored and shifts Content-Range with wrongContentRange', async () => {
    emulator.setFaults({ rangeIgnored: true });
    const ignored = await send(emulator, { key: 'small.txt', headers: { range: 'bytes=0-1' } });
    expect(ignored.status).toBe(200);
    expect(ignored.body.toString()).toBe('small');
    emulator.setFaults({ rangeIgnored: false, wrongContentRange: true });
    const wrong = await send(emulator, { key: 'small.txt', headers: { range: 'bytes=0-1' } });
    expect(wrong.status).toBe(206);
    expect(wrong.headers['content-range']).toBe('bytes 1-2/5');
    expect(wrong.body.toString()).toBe('sm');
  });
});

describe('stats', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ credentials: [KEYS] });
    emulator.put('s.txt', 'stats');
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('counts requests by kind, bytes served and GETs in flight', async () => {
    emulator.stats.reset();
    emulator.setFaults({ latencyMs: 200 });
    await Promise.all([1, 2, 3].map(() => send(emulator, { key: 's.txt', headers: { range: 'bytes=1-2' } })));
    emulator.clearFaults();
    await send(emulator, { key: 's.txt', method: 'HEAD' });
    await send(emulator, { key: '', query: { prefix: 's' } });
    const { stats } = emulator;
    expect(stats.count('get')).toBe(3);
    expect(stats.count('head')).toBe(1);
    expect(stats.count('list')).toBe(1);
    expect(stats.count()).toBe(5);
    expect(stats.bytesServed).toBe(6);
    expect(stats.maxInFlight).toBe(3);
    expect(stats.inFlight).toBe(0);
    const [record] = stats.requests;
    expect(record).toMatchObject({
      method: 'GET',
      path: '/s.txt',
      status: 206,
      bytesSent: 2,
      range: 'bytes=1-2',
    });
    expect(record?.headers.host).toBe(new URL(emulator.url).host);
    expect(stats.requests.at(-1)?.query).toEqual({ prefix: 's' });
    stats.reset();
    expect(stats.count()).toBe(0);
    expect(stats.bytesServed).toBe(0);
  });
});

describe('serving a folder and the command', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'cos-emulator-root-'));
    await mkdir(path.join(folder, 'sub', 'deeper'), { recursive: true });
    await mkdir(path.join(folder, 'empty'));
    await writeFile(path.join(folder, 'top.txt'), 'top');
    await writeFile(path.join(folder, 'sub', 'deeper', 'file.json'), '{}');
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('serves the files of root as objects', async () => {
    const emulator = await startEmulator({ root: folder });
    try {
      const answer = await send(emulator, { key: '', credentials: null });
      const listing = (
        xml.parse(answer.body.toString()) as { ListBucketResult: { Contents: Array<{ Key: string }> } }
      ).ListBucketResult;
      expect(listing.Contents.map((c) => c.Key)).toEqual(['empty/', 'sub/deeper/file.json', 'top.txt']);
      const json = await send(emulator, { key: 'sub/deeper/file.json', credentials: null });
      expect(json.headers['content-type']).toBe('application/json');
      expect(json.body.toString()).toBe('{}');
    } finally {
      await emulator.close();
    }
  });

  it.each([
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--secret-id', 'x']],
    [['--unknown']],
    [['--bucket', 'NoAppId']],
    [['--root', '/definitely/not/here']],
  ])('refuses %j with exit code 2 and one line', async (argv) => {
    const errors: string[] = [];
    expect(await emulatorMain(argv, { stderr: (line) => errors.push(line) })).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toContain('\n');
  });

  it('runs the demo until stopped and prints how to use it', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const exit = emulatorMain(
      ['--port', '0', '--demo', '--secret-id', KEYS.secretId, '--secret-key', KEYS.secretKey],
      {
        stdout: (line) => lines.push(line),
        signal: stop.signal,
      },
    );
    for (let i = 0; i < 100 && lines.length === 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines).toHaveLength(7);
    expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual([
      'hello.txt',
      'data/random-3MiB.bin',
      'dir/',
      'dir/nested.txt',
      'archive/cold.bin',
      'versioned.txt',
    ]);
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(lines[0] ?? '')?.[1] ?? '';
    expect(lines[0]).toContain(`--endpoint ${url}`);
    const fake = { url } as Emulator;
    expect((await send(fake, { key: 'hello.txt' })).status).toBe(200);
    const big = await send(fake, { key: 'data/random-3MiB.bin', method: 'HEAD' });
    expect(big.headers['content-length']).toBe(String(3 * 1024 * 1024));
    expect(errorCode(await send(fake, { key: 'archive/cold.bin' }))).toBe('InvalidObjectState');
    expect((await send(fake, { key: 'versioned.txt' })).body.toString()).toBe('version 2\n');
    expect((await send(fake, { key: 'dir/' })).status).toBe(200);
    expect((await send(fake, { key: 'hello.txt', credentials: null })).status).toBe(403);
    stop.abort();
    expect(await exit).toBe(0);
  });
});
