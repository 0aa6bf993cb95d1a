// The inputs of links, pure: `url` (a link to download) and `presign` (a link to make). Each bad
// combination fails before any request, in one line that names the input and never shows the link.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_INPUT_NAMES, INPUTS, type InputSpec } from '../src/config/inputs.js';
import { parseOptions, type RawInputs } from '../src/config/parse.js';
import { fileNameProblem } from '../src/config/parse-link.js';
import { parsePresignOptions, wantsPresign } from '../src/config/parse-presign.js';
import { linkSecrets } from '../src/cos/redact.js';
import {
  BASE,
  CWD,
  catchInputError,
  context,
  expectRejected,
  isDeeplyFrozen,
} from './helpers/parse-inputs.js';

const LINK =
  'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/releases/app%20v1.tar.gz' +
  '?q-sign-algorithm=sha1&q-ak=AKIDlinkparse0001&q-sign-time=1700000000%3B1700003600' +
  '&q-key-time=1700000000%3B1700003600&q-header-list=host&q-url-param-list=' +
  '&q-signature=0123456789abcdef0123456789abcdef01234567&x-cos-security-token=tok%2Bsecret%3D42';
const ORIGIN = 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com';

/** What a runner passes: every action input's default, then the step's inputs. */
function withDefaults(inputs: RawInputs): RawInputs {
  const defaults: RawInputs = {};
  for (const name of ACTION_INPUT_NAMES) {
    const value = (INPUTS[name] as InputSpec).default;
    if (value !== undefined) defaults[name] = value;
  }
  return { ...defaults, ...inputs };
}

describe('url', () => {
  it('needs no bucket or credentials; the destination takes the decoded file name; frozen', () => {
    const options = parseOptions(withDefaults({ url: LINK }), context());
    expect(options.target).toEqual({
      kind: 'link',
      url: LINK,
      name: `${ORIGIN}/releases/app%20v1.tar.gz`,
      fileName: 'app v1.tar.gz',
      conditions: {},
    });
    expect(options.connection).toEqual({ bucket: '', endpoint: ORIGIN, retries: 5, timeoutMs: 60_000 });
    expect(options.destination).toBe(path.join(CWD, 'app v1.tar.gz'));
    expect(options.cache).toBe(false);
    expect(isDeeplyFrozen(options)).toBe(true);
  });

  it('takes conditions, part-size, concurrency, SSE-C, traffic-limit and a file or folder destination', () => {
    const options = parseOptions(
      {
        url: LINK,
        'if-none-match': '"abc"',
        'part-size': '8MiB',
        concurrency: '4',
        'traffic-limit': '819200',
        destination: 'out',
      },
      context(['out']),
    );
    expect(options).toMatchObject({
      target: { conditions: { ifNoneMatch: '"abc"' } },
      partSize: 8 * 1024 * 1024,
      concurrency: 4,
      trafficLimit: 819200,
      destination: path.join(CWD, 'out', 'app v1.tar.gz'),
    });
    expect(parseOptions({ url: LINK, destination: 'x.bin' }, context()).destination).toBe(
      path.join(CWD, 'x.bin'),
    );
  });

  it('loopback http is allowed (the emulator), the environment’s credentials are ignored', () => {
    const options = parseOptions(
      { url: 'http://127.0.0.1:9000/a.txt?sig=x' },
      context([], { TENCENTCLOUD_SECRET_ID: 'AKIDenv', TENCENTCLOUD_SECRET_KEY: 'key' }),
    );
    expect(options.connection.credentials).toBeUndefined();
    expect(options.target).toMatchObject({ kind: 'link', name: 'http://127.0.0.1:9000/a.txt' });
  });

  it.each([
    ['bucket', 'b-1250000000', 'a link names its server and object itself'],
    ['endpoint', 'https://cos.example.com', 'a link names its server and object itself'],
    ['accelerate', 'true', 'a link names its server'],
    ['secret-id', 'AKIDx', 'a link carries its own signature'],
    ['role-arn', 'qcs::cam::uin/1:roleName/r', 'a link carries its own signature'],
    ['version-id', 'v1', "belongs in a link's signed query"],
    ['response-content-type', 'text/plain', "belongs in a link's signed query"],
    ['range', 'bytes=0-9', 'a link downloads the whole object'],
    ['include', '*.txt', "applies only to a folder mirror ('prefix')"],
    ['delete', 'true', "applies only to a folder mirror ('prefix')"],
    ['cache', 'true', "applies only to a folder mirror ('prefix')"],
    ['expires', '1h', "is for making a link ('presign')"],
  ] as const)('refuses %s beside it (%j)', (input, value, rule) => {
    const error = expectRejected(
      () => parseOptions({ url: LINK, [input]: value }, context()),
      input,
      undefined,
      {
        rule,
      },
    );
    expect(error.message).not.toContain('q-signature');
  });

  it('refuses key or prefix beside it, without showing the link', () => {
    for (const other of ['key', 'prefix'] as const) {
      const error = catchInputError(() => parseOptions({ ...BASE, url: LINK, [other]: 'a/' }, context()));
      expect(error.message).toMatch(
        new RegExp(`^Inputs 'url' and '${other}' = 'a/' are both set: exactly one`),
      );
      expect(error.message).not.toContain('?');
    }
  });

  it.each([
    ['not a URL', 'releases/app.tar.gz', /^Input 'url' = \(hidden\): is not an absolute URL/],
    ['a line break', `${LINK}\n`.replace('?', '\n?'), /^Input 'url' = \(hidden\): holds a space, line break/],
    [
      'plain http elsewhere',
      'http://example.com/a.bin?x=1',
      /^Input 'url' \(the link to http:\/\/example\.com\/a\.bin\): uses plain http/,
    ],
    [
      'user:password@',
      'https://me:secret@example.com/a.bin',
      /^Input 'url' \(a link to https:\/\/example\.com\/a\.bin\): holds user:password@/,
    ],
    ['a fragment', 'https://example.com/a.bin#part', /fragment/],
    ['another scheme', 'file:///etc/passwd', /must be an https:\/\/ URL, not file:/],
  ])('refuses %s in one line, the query never shown', (_name, url, message) => {
    const error = catchInputError(() => parseOptions({ url }, context()));
    expect(error.input).toBe('url');
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/secret|x=1|part'/);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('a folder destination needs a file name in the link', () => {
    const error = catchInputError(() => parseOptions({ url: 'https://example.com/dir/?sig=1' }, context()));
    expect(error.message).toBe(
      `Input 'url' (the link to https://example.com/dir/): the destination is a folder, which takes the link's file name, but its path ends in "/", so it names no file. Fix: set 'destination' to a file path, e.g. 'download.bin'.`,
    );
    expect(
      parseOptions({ url: 'https://example.com/dir/', destination: 'f.bin' }, context()).destination,
    ).toBe(path.join(CWD, 'f.bin'));
  });

  it.each([
    ['', /ends in "\/"/],
    ['.', /'\.' cannot name a file/],
    ['..', /'\.\.' cannot name a file/],
    ['a/b', /'\/'/],
    ['a\\b', /'\\'/],
    ['a\u0000b', /NUL/],
    ['a\u001bb', /control character/],
    ['x'.repeat(256), /255 bytes/],
    ['ü'.repeat(128), /255 bytes/],
  ])('file name %j is no file name', (name, problem) => {
    expect(fileNameProblem(name)).toMatch(problem);
  });

  it.each(['a.txt', 'app v1.tar.gz', 'ü.bin', '...', '.hidden'])('file name %j is one', (name) => {
    expect(fileNameProblem(name)).toBeUndefined();
  });

  it('a destination through the state folder is refused as for a key', () => {
    expectRejected(
      () => parseOptions({ url: 'https://example.com/.cos-download' }, context()),
      'destination',
      '.',
    );
  });

  it('presign: true is not a download', () => {
    expectRejected(() => parseOptions({ ...BASE, key: 'a', presign: 'true' }, context()), 'presign', 'true', {
      fix: 'cos-download presign',
    });
  });
});

describe('presign', () => {
  const KEYS = { 'secret-id': 'AKIDpresign0001', 'secret-key': 'presign-secret' } as const;

  it('wantsPresign reads the boolean, strictly', () => {
    expect(wantsPresign({})).toBe(false);
    expect(wantsPresign({ presign: 'true' })).toBe(true);
    expect(wantsPresign({ presign: 'false' })).toBe(false);
    expectRejected(() => wantsPresign({ presign: 'yes' }), 'presign', 'yes');
  });

  it('with the runner’s defaults: the connection, the key, 1 h, frozen', () => {
    const options = parsePresignOptions(
      withDefaults({ ...BASE, ...KEYS, key: 'a/b.txt', presign: 'true' }),
      context(),
    );
    expect(options).toEqual({
      connection: {
        bucket: 'examplebucket-1250000000',
        region: 'ap-guangzhou',
        endpoint: 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
        credentials: { secretId: 'AKIDpresign0001', secretKey: 'presign-secret' },
        retries: 5,
        timeoutMs: 60_000,
      },
      key: 'a/b.txt',
      responseOverrides: {},
      expiresSeconds: 3600,
      expiresGiven: false,
    });
    expect(isDeeplyFrozen(options)).toBe(true);
  });

  it('version, overrides, traffic limit and expires', () => {
    const options = parsePresignOptions(
      {
        ...BASE,
        ...KEYS,
        key: 'a.txt',
        'version-id': 'v1',
        'response-content-disposition': 'attachment',
        'traffic-limit': '819200',
        expires: '2h30m',
      },
      context(),
    );
    expect(options).toMatchObject({
      versionId: 'v1',
      responseOverrides: { contentDisposition: 'attachment' },
      trafficLimit: 819200,
      expiresSeconds: 9000,
      expiresGiven: true,
    });
  });

  it.each([
    ['destination', 'out/'],
    ['range', 'bytes=0-9'],
    ['if-match', '"x"'],
    ['part-size', '8MiB'],
    ['concurrency', '2'],
    ['crc', 'false'],
    ['overwrite', 'always'],
    ['dry-run', 'true'],
    ['cache', 'true'],
    ['include', '*'],
  ] as const)('refuses the download option %s', (input, value) => {
    expectRejected(
      () => parsePresignOptions({ ...BASE, ...KEYS, key: 'a.txt', [input]: value }, context()),
      input,
      value,
      { rule: "is a download option, and 'presign' downloads nothing" },
    );
  });

  it('refuses prefix, url, an SSE-C key, no key, no credentials and presign: false', () => {
    const parse = (raw: RawInputs) => () => parsePresignOptions({ ...BASE, ...KEYS, ...raw }, context());
    expectRejected(parse({ prefix: 'a/' }), 'prefix', 'a/', { rule: 'a link is to one object' });
    expectRejected(parse({ key: 'a', url: LINK }), 'url', LINK, { secret: true });
    expectRejected(
      parse({ key: 'a', 'sse-customer-key': 'k'.repeat(44) }),
      'sse-customer-key',
      'k'.repeat(44),
      {
        secret: true,
        rule: 'a link cannot carry',
      },
    );
    expectRejected(parse({}), 'key', undefined, { rule: 'required with presign' });
    expectRejected(parse({ key: 'a', presign: 'false' }), 'presign', 'false');
    expectRejected(() => parsePresignOptions({ ...BASE, key: 'a' }, context()), 'secret-id', undefined, {
      rule: 'a link is signed with credentials',
    });
    expect(parsePresignOptions({ ...BASE, key: 'a' }, context(), { credentialsProvided: true }).key).toBe(
      'a',
    );
  });

  it('credentials from the environment, or keyless; an expires past role-duration is refused before any request', () => {
    const env = { TENCENTCLOUD_SECRET_ID: 'AKIDenv0001', TENCENTCLOUD_SECRET_KEY: 'env-key' };
    expect(
      parsePresignOptions({ ...BASE, key: 'a' }, context([], env)).connection.credentials?.secretId,
    ).toBe('AKIDenv0001');
    const keyless = {
      ...BASE,
      key: 'a',
      'role-arn': 'qcs::cam::uin/1250000000:roleName/ci',
      'provider-id': 'github-actions',
      'role-duration': '1800',
    };
    const options = parsePresignOptions(keyless, context());
    expect(options.keyless?.durationSeconds).toBe(1800);
    expect(options.connection.credentials).toBeUndefined();
    expect(parsePresignOptions({ ...keyless, expires: '30m' }, context()).expiresSeconds).toBe(1800);
    expectRejected(() => parsePresignOptions({ ...keyless, expires: '31m' }, context()), 'expires', '31m', {
      fix: "at most '30m', or raise 'role-duration'",
    });
  });
});

describe('linkSecrets', () => {
  it('the link, decoded, and every signature, key id and token value; not the signing structure', () => {
    const secrets = linkSecrets(LINK);
    expect(secrets).toContain(LINK);
    expect(secrets).toContain(decodeURI(LINK));
    expect(secrets).toContain('AKIDlinkparse0001');
    expect(secrets).toContain('0123456789abcdef0123456789abcdef01234567');
    expect(secrets).toContain('tok%2Bsecret%3D42');
    expect(secrets).toContain('tok+secret=42');
    for (const shown of ['sha1', 'host', '1700000000%3B1700003600', '1700000000;1700003600']) {
      expect(secrets).not.toContain(shown);
    }
  });

  it('short values, harmless parameters and other stores', () => {
    expect(
      linkSecrets('https://h/a?X-Amz-Expires=3600&X-Amz-Signature=f00dfeedf00dfeed&versionId=abcdefghij'),
    ).toEqual([
      'https://h/a?X-Amz-Expires=3600&X-Amz-Signature=f00dfeedf00dfeed&versionId=abcdefghij',
      'f00dfeedf00dfeed',
    ]);
    expect(linkSecrets('https://h/a%ZZ?sig=%ZZlongenough')).toEqual([
      'https://h/a%ZZ?sig=%ZZlongenough',
      '%ZZlongenough',
    ]);
  });
});
