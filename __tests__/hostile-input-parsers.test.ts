// Hostile input, fuzzed: every input parser on text built from pieces that break naive parsers. Fixed
// seeds, so a failure replays; each property states what must hold for ANY input, not for the
// examples the table tests already cover.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasControlCharacter } from '../src/base/text.js';
import { InputError } from '../src/config/errors.js';
import { INPUT_NAMES, INPUTS, type InputName, type InputSpec } from '../src/config/inputs.js';
import { type ParseContext, parseOptions, type RawInputs } from '../src/config/parse.js';

const CWD = path.resolve('/work/ws');
const SECRET_INPUTS = INPUT_NAMES.filter((name) => (INPUTS[name] as InputSpec).secret === true);

/** Pieces that break naive parsers: numbers past every limit, separators, controls, odd unicode. */
const PIECES = [
  '',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\r',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u00a0',
  '\u3000',
  '\ufeff',
  '\u200b',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  'İ',
  'ß',
  '０',
  '٣',
  '-',
  '+',
  '.',
  '..',
  '/',
  '\\',
  ',',
  '=',
  ':',
  '~',
  '#',
  '{bucket}',
  '{region}',
  '{',
  '}',
  '%00',
  '%',
  '@',
  '?',
  '&',
  '"',
  "'",
  '*',
  'bytes=',
  'true',
  'FALSE',
  'yes',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x10',
  '0b1',
  '0',
  '1',
  '8',
  '20',
  '1.5',
  '.5',
  '5.',
  '9007199254740991',
  '9007199254740992',
  '18446744073709551616',
  '9'.repeat(400),
  '0'.repeat(300),
  'KiB',
  'MiB',
  'GiB',
  'TiB',
  'MB',
  'B',
  'ms',
  's',
  'h',
  '/2',
  '1/',
  'http://',
  'https://',
  'file://',
  '127.0.0.1',
  'user:pass@',
  'ap-guangzhou',
  'examplebucket-1250000000',
  'Wed, 21 Oct 2015 07:28:00 GMT',
  '2015-10-21T07:28:00Z',
  '9999-12-31T23:59:59+23:59',
  '0000-02-29',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
];

const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((p) => p.join('')) },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary', maxLength: 8 })), {
        maxLength: 6,
      })
      .map((p) => p.join('')),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', '9', ' ', '\n', 'é'), fc.integer({ min: 1_000, max: 100_000 }))
      .map(([c, n]) => c.repeat(n)),
  },
);

/**
 * Secrets carry a marker, so a leak is told apart from text that merely looks alike: hostile text around
 * it, a valid-looking credential, or a valid SSE-C key (base64 of 32 bytes).
 */
const MARKER = 'SeCrEt';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const shortHostile = fc.array(fc.constantFrom(...PIECES.filter((p) => p.length < 40)), { maxLength: 3 });
const sseKey = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...BASE64), minLength: 34, maxLength: 34 }),
    fc.constantFrom(...'AEIMQUYcgkosw048'),
  )
  .map(([middle, last]) => `${MARKER}7q${middle}${last}=`);
const secretText: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(shortHostile, fc.constantFrom('7q', ' 7q', '\u00e97q', '\n7q'), shortHostile)
    .map(([before, tail, after]) => `${before.join('')}${MARKER}${tail}${after.join('')}`),
  fc.stringMatching(/^[\x21-\x7e]{0,20}$/).map((s) => `${MARKER}${s}`),
  sseKey,
);
const BASE_OBJECT = {
  bucket: 'examplebucket-1250000000',
  region: 'ap-guangzhou',
  key: 'data/file.bin',
  'secret-id': 'AKIDbaseidbaseidbaseid',
  'secret-key': 'basekeybasekeybasekey',
} as const satisfies RawInputs;
const { key: _key, ...BASE_CONNECTION } = BASE_OBJECT;
const BASE_PREFIX = { ...BASE_CONNECTION, prefix: 'data/' } as const satisfies RawInputs;

/** No file exists here: `ca-cert` is read through this (the parser is pure; ca-cert.test.ts reads real files). */
function noFile(absolutePath: string): never {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${absolutePath}'`), {
    code: 'ENOENT',
  });
}

function context(isDirectory: boolean, env: ParseContext['env'] = {}): ParseContext {
  return { cwd: CWD, env, isDirectory: () => isDirectory, readFile: noFile };
}

/**
 * Returns options, or throws an InputError whose message is one line of printable text that names the
 * input and holds no secret. Anything else escaping is a bug.
 */
function expectOptionsOrInputError(raw: RawInputs, ctx: ParseContext, names: readonly InputName[]): void {
  let options: unknown;
  try {
    options = parseOptions(raw, ctx);
  } catch (error: unknown) {
    if (!(error instanceof InputError)) throw error;
    const message = error.message;
    expect(hasControlCharacter(message), message).toBe(false);
    expect(message).toContain(`'${error.input}'`);
    expect(message).toMatch(/\. Fix: .+\.$/);
    for (const name of names) expect(message).toContain(`'${name}`);
    expect(message, 'a secret leaked').not.toContain(MARKER);
    return;
  }
  expect(Object.isFrozen(options)).toBe(true);
}

describe('input parsers on hostile text', () => {
  const publicNames = INPUT_NAMES.filter((name) => !SECRET_INPUTS.includes(name));

  it.each(publicNames)('%s: options or a one-line InputError naming it, on both targets', (name) => {
    fc.assert(
      fc.property(hostileText, fc.boolean(), fc.boolean(), (value, prefix, isDirectory) => {
        const base: RawInputs = prefix ? BASE_PREFIX : BASE_OBJECT;
        expectOptionsOrInputError({ ...base, [name]: value }, context(isDirectory), [name]);
      }),
      { seed: 0x6f1, numRuns: 150 },
    );
  });

  it.each(SECRET_INPUTS)('%s: never echoed, whatever its value', (name) => {
    fc.assert(
      fc.property(secretText, fc.boolean(), (value, prefix) => {
        const base: RawInputs = prefix ? BASE_PREFIX : BASE_OBJECT;
        expectOptionsOrInputError({ ...base, [name]: value }, context(false), [name]);
      }),
      { seed: 0x5ec, numRuns: 200 },
    );
  });

  it('any mix of inputs and credential variables: options or a clean InputError', () => {
    // Mostly valid values, so runs get past the first check and reach the cross-input rules.
    const valid: Partial<Record<InputName, readonly string[]>> = {
      bucket: ['examplebucket-1250000000'],
      region: ['ap-guangzhou', 'na-siliconvalley'],
      endpoint: ['http://127.0.0.1:9000', 'https://{bucket}.cos.{region}.myqcloud.com'],
      accelerate: ['true', 'false'],
      key: ['a/b.txt', 'x'],
      prefix: ['/', 'p/'],
      destination: ['out', 'out/', '/abs/dir'],
      'version-id': ['MTg0NDUxNTc1NjIzMTQ1MDAwODg'],
      range: ['bytes=0-9', 'bytes=-5', 'bytes=7-'],
      'if-match': ['"abc"'],
      'if-none-match': ['"abc"'],
      'if-modified-since': ['Wed, 21 Oct 2015 07:28:00 GMT', '2015-10-21'],
      'if-unmodified-since': ['2015-10-21T07:28:00+08:00'],
      include: ['*.txt\n# comment\n**/b'],
      exclude: ['tmp/**'],
      'part-size': ['8MiB', '512KiB', '1.5GiB'],
      concurrency: ['1', '64'],
      'traffic-limit': ['819200'],
      crc: ['true', 'false'],
      overwrite: ['changed', 'always', 'never'],
      delete: ['true', 'false'],
      'dry-run': ['true', 'false'],
      shard: ['1/2', '2/2'],
      retries: ['0', '20'],
      timeout: ['500ms', '1h', '30'],
      cache: ['true', 'false'],
      'cache-key': ['v1'],
    };
    const validSecret = (name: InputName) =>
      name === 'sse-customer-key'
        ? sseKey
        : fc.stringMatching(/^[\x21-\x7e]{0,20}$/).map((s) => `${MARKER}${s}`);
    const value = (name: InputName): fc.Arbitrary<string> => {
      const good = SECRET_INPUTS.includes(name)
        ? validSecret(name)
        : valid[name] && fc.constantFrom(...valid[name]);
      const bad = SECRET_INPUTS.includes(name) ? secretText : hostileText;
      return good === undefined
        ? bad
        : fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });
    };
    // Each input set in about one run of four.
    const raw: fc.Arbitrary<RawInputs> = fc
      .tuple(...INPUT_NAMES.map((name) => fc.option(value(name), { freq: 4, nil: undefined })))
      .map((values) =>
        Object.fromEntries(
          INPUT_NAMES.flatMap((name, i) => (values[i] === undefined ? [] : [[name, values[i]]])),
        ),
      );
    const env = fc.dictionary(
      fc.constantFrom(
        'TENCENTCLOUD_SECRET_ID',
        'TENCENTCLOUD_SECRET_KEY',
        'TENCENTCLOUD_SESSION_TOKEN',
        'COS_SECRET_ID',
        'COS_SECRET_KEY',
      ),
      secretText,
    );
    // Mostly one consistent target, sometimes any mix (which the cross-input rules must refuse cleanly).
    const OBJECT_ONLY = [
      ...[
        'key',
        'version-id',
        'range',
        'if-match',
        'if-none-match',
        'if-modified-since',
        'if-unmodified-since',
      ],
      ...INPUT_NAMES.filter((name) => name.startsWith('response-')),
    ];
    const PREFIX_ONLY = ['prefix', 'include', 'exclude', 'shard', 'delete', 'cache', 'cache-key'];
    const shape = (inputs: RawInputs, mode: 'object' | 'prefix' | 'any'): RawInputs => {
      if (mode === 'any') return inputs;
      const drop = mode === 'object' ? PREFIX_ONLY : OBJECT_ONLY;
      return Object.fromEntries(Object.entries(inputs).filter(([name]) => !drop.includes(name)));
    };
    fc.assert(
      fc.property(
        fc.constantFrom('object', 'prefix', 'any'),
        raw,
        env,
        fc.boolean(),
        (mode, inputs, variables, isDirectory) => {
          const base = mode === 'prefix' ? BASE_PREFIX : mode === 'object' ? BASE_OBJECT : {};
          expectOptionsOrInputError({ ...base, ...shape(inputs, mode) }, context(isDirectory, variables), []);
        },
      ),
      { seed: 0xc0b, numRuns: 1500 },
    );
  });
});
