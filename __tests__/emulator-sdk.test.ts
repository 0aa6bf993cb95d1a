// Faithfulness: the official Tencent SDK for Node (cos-nodejs-sdk-v5) lists, heads and gets from
// the emulator with signatures checked in strict mode — nothing in the emulator knows the SDK.
import COS from 'cos-nodejs-sdk-v5';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crc64ReferenceDecimal,
  type Emulator,
  type StoredVersion,
  startEmulator,
} from '../src/emulator/index.js';

const SECRET_ID = 'AKIDsdktest00000000000001';
const SECRET_KEY = 'sdk-test-secret-key';
const TEMP = {
  secretId: 'AKIDsdktemporary000002',
  secretKey: 'sdk-temp-secret',
  sessionToken: 'sdk-session-token',
};

let emulator: Emulator;
let v1: StoredVersion;
const keys = ['sdk/1.txt', 'sdk/2.txt', 'sdk/3 space.txt', 'sdk/4+plus.txt', 'sdk/5-ü.txt'];
const body = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');

function client(options: Partial<COS.COSOptions> = {}): COS {
  return new COS({
    SecretId: SECRET_ID,
    SecretKey: SECRET_KEY,
    Protocol: 'http:',
    // A plain host:port: the SDK then sends (and signs) Host 127.0.0.1:PORT and the key as path.
    Domain: new URL(emulator.url).host,
    Timeout: 10_000,
    ...options,
  });
}

function target(): { Bucket: string; Region: string } {
  return { Bucket: emulator.bucket, Region: emulator.region };
}

beforeAll(async () => {
  emulator = await startEmulator({
    credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }, TEMP],
  });
  for (const key of keys) emulator.put(key, `content of ${key}`, { contentType: 'text/plain' });
  emulator.setVersioning(true);
  v1 = emulator.put('sdk-object.bin', 'first version');
  emulator.put('sdk-object.bin', body);
});

afterAll(async () => {
  await emulator.close();
});

describe('cos-nodejs-sdk-v5 against the emulator', () => {
  it('lists with getBucket, two keys a page, following NextMarker', async () => {
    const cos = client();
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await cos.getBucket({
        ...target(),
        Prefix: 'sdk/',
        MaxKeys: 2,
        ...(marker ? { Marker: marker } : {}),
      });
      pages += 1;
      expect(page.statusCode).toBe(200);
      seen.push(...page.Contents.map((c) => c.Key));
      if (page.IsTruncated !== 'true') break;
      marker = page.NextMarker;
      expect(marker).toBe(page.Contents.at(-1)?.Key);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
  });

  it('reads metadata with headObject', async () => {
    const head = await client().headObject({ ...target(), Key: 'sdk/3 space.txt' });
    expect(head.statusCode).toBe(200);
    expect(head.headers?.['content-length']).toBe(String(Buffer.byteLength('content of sdk/3 space.txt')));
    expect(head.headers?.['x-cos-hash-crc64ecma']).toBe(
      crc64ReferenceDecimal(Buffer.from('content of sdk/3 space.txt')),
    );
    expect(head.ETag).toBe(emulator.versions('sdk/3 space.txt')[0]?.etag);
  });

  it('gets a byte range', async () => {
    const part = await client().getObject({ ...target(), Key: 'sdk-object.bin', Range: 'bytes=10-15' });
    expect(part.statusCode).toBe(206);
    expect(part.Body.toString()).toBe('abcdef');
    expect(part.headers?.['content-range']).toBe(`bytes 10-15/${body.length}`);
    expect(part.headers?.['x-cos-hash-crc64ecma']).toBe(crc64ReferenceDecimal(body));
  });

  it('gets an older version by VersionId', async () => {
    const old = await client().getObject({ ...target(), Key: 'sdk-object.bin', VersionId: v1.versionId });
    expect(old.statusCode).toBe(200);
    expect(old.Body.toString()).toBe('first version');
    expect(old.headers?.['x-cos-version-id']).toBe(v1.versionId);
  });

  it('gets 304 for If-None-Match on the current ETag', async () => {
    const etag = emulator.versions('sdk-object.bin')[0]?.etag ?? '';
    // The SDK treats a 304 as an error unless If-Modified-Since was sent.
    const error = await client()
      .getObject({ ...target(), Key: 'sdk-object.bin', IfNoneMatch: etag })
      .then(
        () => undefined,
        (e: unknown) => e as COS.CosSdkError,
      );
    expect(error?.statusCode).toBe(304);
    const since = await client().getObject({
      ...target(),
      Key: 'sdk-object.bin',
      IfModifiedSince: new Date(Date.now() + 60_000).toUTCString(),
    });
    expect((since as { NotModified?: boolean }).NotModified).toBe(true);
  });

  it('fails a wrong SecretKey with 403 SignatureDoesNotMatch', async () => {
    const error = await client({ SecretKey: 'not-the-key' })
      .headObject({ ...target(), Key: 'sdk/1.txt' })
      .then(
        () => undefined,
        (e: unknown) => e as COS.CosSdkError,
      );
    expect(error?.statusCode).toBe(403);
    // HEAD answers carry no body, so the SDK reports the status; a GET shows the COS code.
    const getError = await client({ SecretKey: 'not-the-key' })
      .getObject({ ...target(), Key: 'sdk/1.txt' })
      .then(
        () => undefined,
        (e: unknown) => e as COS.CosSdkError,
      );
    expect(getError?.statusCode).toBe(403);
    expect(getError?.code).toBe('SignatureDoesNotMatch');
  });

  it('works with temporary credentials (the SDK adds x-cos-security-token unsigned)', async () => {
    const cos = client({
      SecretId: TEMP.secretId,
      SecretKey: TEMP.secretKey,
      SecurityToken: TEMP.sessionToken,
    });
    const object = await cos.getObject({ ...target(), Key: 'sdk/1.txt' });
    expect(object.Body.toString()).toBe('content of sdk/1.txt');
    const forged = client({ SecretId: TEMP.secretId, SecretKey: TEMP.secretKey, SecurityToken: 'forged' });
    const error = await forged.getObject({ ...target(), Key: 'sdk/1.txt' }).then(
      () => undefined,
      (e: unknown) => e as COS.CosSdkError,
    );
    expect(error?.code).toBe('InvalidToken');
  });

  it('serves a pre-signed URL from getObjectUrl', async () => {
    const url = await new Promise<string>((resolve, reject) => {
      client().getObjectUrl({ ...target(), Key: 'sdk/5-ü.txt', Sign: true }, (error, data) =>
        error ? reject(error) : resolve(data.Url),
      );
    });
    const response = await request(url);
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('content of sdk/5-ü.txt');
  });

  it('sent only signed requests, all verified', () => {
    const records = emulator.stats.requests.filter((r) => r.status < 300 && r.status !== 0);
    expect(records.length).toBeGreaterThanOrEqual(8);
    expect(records.every((r) => r.signed)).toBe(true);
  });
});
