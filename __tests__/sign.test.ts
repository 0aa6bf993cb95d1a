import COS from 'cos-nodejs-sdk-v5';
import { describe, expect, it } from 'vitest';
import { authorization, computeSignature, cosEncode, parseAuthorization } from '../src/cos/sign.js';

const credentials = { secretId: 'AKIDexampleid', secretKey: 'example-secret-key' };

describe('request signature', () => {
  it('matches the official Node SDK for the same request and key time', () => {
    const keyTime = '1700000000;1700000900';
    const headers = {
      host: 'examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
      range: 'bytes=0-9',
      'x-cos-traffic-limit': '819200',
    };
    const query = { versionId: 'v1', 'response-content-type': 'text/plain; charset=utf-8' };
    const ours = computeSignature(credentials.secretKey, keyTime, 'GET', '/dir/a b+c.txt', query, headers);
    const theirs = COS.getAuthorization({
      SecretId: credentials.secretId,
      SecretKey: credentials.secretKey,
      Method: 'get',
      Key: 'dir/a b+c.txt',
      Query: query,
      Headers: headers,
      KeyTime: keyTime,
    });
    const parsed = parseAuthorization(theirs);
    expect(parsed?.signature).toBe(ours.signature);
    expect(parsed?.headerList.join(';')).toBe(ours.headerList);
    expect(parsed?.urlParamList.join(';')).toBe(ours.urlParamList);
  });

  it('signs host, range, conditionals, x-cos-* headers and every query parameter, nothing else', () => {
    const value = authorization(
      credentials,
      {
        method: 'GET',
        path: '/k',
        query: { versionId: 'v', 'response-expires': 'x' },
        headers: {
          host: 'h',
          range: 'bytes=0-1',
          'if-match': '"e"',
          'if-none-match': '"f"',
          'if-modified-since': 'd',
          'if-unmodified-since': 'd',
          'x-cos-security-token': 't',
          'user-agent': 'ua',
          accept: '*/*',
        },
      },
      1_700_000_000,
    );
    const parsed = parseAuthorization(value);
    expect(parsed?.headerList).toEqual([
      'host',
      'if-match',
      'if-modified-since',
      'if-none-match',
      'if-unmodified-since',
      'range',
      'x-cos-security-token',
    ]);
    expect(parsed?.urlParamList).toEqual(['response-expires', 'versionid']);
    expect(parsed?.accessKey).toBe(credentials.secretId);
    expect(value).not.toContain(credentials.secretKey);
  });

  it('sets a key time around now', () => {
    const parsed = parseAuthorization(
      authorization(credentials, { method: 'HEAD', path: '/', query: {}, headers: {} }, 1_700_000_000.7),
    );
    expect(parsed?.keyTime).toBe('1699999940;1700000900');
    expect(parsed?.signTime).toBe(parsed?.keyTime);
  });

  it('encodes as COS does', () => {
    expect(cosEncode("a b!'()*~/")).toBe('a%20b%21%27%28%29%2A~%2F');
  });

  it('rejects an Authorization without every field', () => {
    expect(parseAuthorization('q-sign-algorithm=sha1&q-ak=x')).toBeUndefined();
  });
});
