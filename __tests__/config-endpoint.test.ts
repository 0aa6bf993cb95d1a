// The endpoint: templates, the acceleration domain, plain URLs, and which hosts are this machine. Pure.
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, resolveEndpoint } from '../src/config/endpoint.js';
import { expectRejected } from './helpers/parse-inputs.js';

describe('resolveEndpoint', () => {
  const bucket = 'b-1250000000';
  it.each([
    [{ region: 'ap-guangzhou' }, 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com'],
    [{ accelerate: true }, 'https://b-1250000000.cos.accelerate.myqcloud.com'],
    [{ accelerate: true, region: 'ap-guangzhou' }, 'https://b-1250000000.cos.accelerate.myqcloud.com'],
    [
      { region: 'ap-beijing', endpoint: 'https://{bucket}.cos-internal.{region}.tencentcos.cn/' },
      'https://b-1250000000.cos-internal.ap-beijing.tencentcos.cn',
    ],
    [{ endpoint: 'http://127.0.0.1:9000' }, 'http://127.0.0.1:9000'],
    [{ endpoint: 'http://127.0.0.1:9000///' }, 'http://127.0.0.1:9000'],
    [{ endpoint: 'http://localhost:9000/{bucket}/' }, 'http://localhost:9000/b-1250000000'],
    [{ endpoint: 'https://Example.COM' }, 'https://example.com'],
  ])('%j → %s', (spec, url) => {
    expect(resolveEndpoint({ bucket, accelerate: false, ...spec })).toBe(url);
  });

  it.each([
    [{ endpoint: 'ftp://example.com' }, 'endpoint', 'ftp://example.com'],
    [{ endpoint: 'localhost:9000' }, 'endpoint', 'localhost:9000'],
    [{ endpoint: 'example.com' }, 'endpoint', 'example.com'],
    [{ endpoint: 'https://example.com/?a=1' }, 'endpoint', 'https://example.com/?a=1'],
    [{ endpoint: 'https://example.com/?' }, 'endpoint', 'https://example.com/?'],
    [{ endpoint: 'https://example.com#top' }, 'endpoint', 'https://example.com#top'],
    [{ endpoint: 'https://exa mple.com' }, 'endpoint', 'https://exa mple.com'],
    [{ endpoint: 'https://{bucket}.{zone}.example.com' }, 'endpoint', 'https://{bucket}.{zone}.example.com'],
    [{ endpoint: 'https://{bucket}.cos.{region}.myqcloud.com' }, 'region', undefined],
    [{}, 'region', undefined],
    [{ accelerate: true, endpoint: 'http://127.0.0.1:9000' }, 'accelerate', 'true'],
  ] as const)('%j → InputError on %s', (spec, input, value) => {
    expectRejected(() => resolveEndpoint({ bucket, accelerate: false, ...spec }), input, value);
  });

  it('never shows credentials written into the URL', () => {
    const error = expectRejected(
      () => resolveEndpoint({ bucket, accelerate: false, endpoint: 'https://user:s3cr3t@example.com' }),
      'endpoint',
      undefined,
      { fix: 'secret-id' },
    );
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).toContain('https://***@example.com');
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['http://127.0.0.1:9000', true],
    ['http://127.5.6.7', true],
    ['http://localhost:80/x', true],
    ['http://cos.localhost', true],
    ['http://[::1]:9000', true],
    ['http://[::ffff:127.0.0.1]:9000', true],
    ['https://example.com', false],
    ['http://10.0.0.1', false],
    ['http://127.0.0.1.example.com', false],
    ['http://[::2]', false],
    ['not a url', false],
  ])('%s → %s', (url, loopback) => {
    expect(isLoopbackHost(url)).toBe(loopback);
  });

  it('takes a URL object', () => {
    expect(isLoopbackHost(new URL('http://127.0.0.1/'))).toBe(true);
  });
});
