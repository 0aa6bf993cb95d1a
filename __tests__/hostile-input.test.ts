// Hostile input, fuzzed: every input parser, key → path mapping, ListObjects XML, and absurd response
// headers from a raw server on loopback. Fixed seeds, so a failure replays; each property states what
// must hold for ANY input, not for the examples the table tests already cover.
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import { hasControlCharacter } from '../src/base/text.js';
import { InputError } from '../src/config/errors.js';
import { INPUT_NAMES, INPUTS, type InputName, type InputSpec } from '../src/config/inputs.js';
import { type ParseContext, parseOptions, type RawInputs } from '../src/config/parse.js';
import { CosError, ProtocolError } from '../src/cos/errors.js';
import { type ListPage, parseListPage } from '../src/cos/list.js';
import { crc64ReferenceDecimal } from '../src/emulator/index.js';
import { type ListEntry, listBucketXml } from '../src/emulator/xml.js';
import { IntegrityError } from '../src/transfer/download-object.js';
import { localPath, mapKey, relativeKey } from '../src/transfer/paths.js';
import { listFolder, removeFolder, run, runMirror, tempFolder } from './helpers/env.js';

// ---------------------------------------------------------------------------------------------------------
// 1. Input parsers

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

function context(isDirectory: boolean, env: ParseContext['env'] = {}): ParseContext {
  return { cwd: CWD, env, isDirectory: () => isDirectory };
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

// ---------------------------------------------------------------------------------------------------------
// 2. Key → path mapping

/** Segments that escape, collide or cannot be stored somewhere. */
const SEGMENTS = [
  '..',
  '.',
  '',
  '...',
  '.. ',
  ' ..',
  '..\\..',
  '\\',
  '\\\\?\\C:',
  'C:',
  'c:',
  'C:\\Windows',
  'a:b',
  'file::$DATA',
  '\u0000',
  '\u0001',
  '\n',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  'CON',
  'con',
  'aux.txt',
  'NUL.tar.gz',
  'COM1',
  'com¹',
  'LPT9.log',
  'CONIN$',
  'con ',
  'con .txt',
  'AUX  .tar.gz',
  'conout$',
  'CONIN$.log',
  'lpt² ',
  'a.',
  'a ',
  ' ',
  '~',
  '%2e%2e',
  '<>',
  'a|b',
  '😀',
  'é',
  '\ud800',
  'x'.repeat(255),
  'x'.repeat(256),
  'é'.repeat(128),
  '😀'.repeat(64),
  'ok',
  'dir',
];

/**
 * Windows' rule for a name it will not store as named, as CPython's `ntpath.isreserved` states it:
 * a trailing dot or space, `*?"<>/\\:|` or a control character, or a DOS device name before the first
 * dot, trailing spaces ignored (`nul .txt` is NUL).
 */
function reservedOnWindows(name: string): boolean {
  if (/[. ]$/.test(name)) return name !== '.' && name !== '..';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are reserved
  if (/[*?"<>/\\:|\u0000-\u001f]/.test(name)) return true;
  const device = (name.split('.')[0] ?? '').replace(/ +$/, '').toUpperCase();
  return /^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[1-9¹²³]|LPT[1-9¹²³])$/.test(device);
}

const keyText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof({ weight: 12, arbitrary: fc.constant('') }, fc.constantFrom('/', '\\', 'C:', '//')),
    fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...SEGMENTS) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
      ),
      { minLength: 1, maxLength: 6 },
    ),
    fc.array(fc.oneof({ weight: 20, arbitrary: fc.constant('/') }, fc.constantFrom('\\', '//')), {
      minLength: 6,
      maxLength: 6,
    }),
    fc.constantFrom('', '', '', '/', '\\'),
  )
  .map(([lead, segments, separators, tail]) => {
    const body = segments.map((segment, i) => (i === 0 ? segment : `${separators[i] ?? '/'}${segment}`));
    return `${lead}${body.join('')}${tail}`;
  });

describe('key → path mapping on hostile keys', () => {
  it.each([
    ['linux', path.posix, '/dest/root'],
    ['win32', path.win32, 'C:\\dest\\root'],
  ] as const)(
    'on %s rules a key is refused, a folder, or a path strictly inside the destination',
    (platform, p, root) => {
      fc.assert(
        fc.property(keyText, (key) => {
          const mapped = mapKey(key, platform);
          if (mapped.kind === 'refused') {
            expect(mapped.reason).toMatch(/^\S/);
            return;
          }
          const segments = mapped.relative.split('/');
          const full = p.resolve(root, ...segments);
          const inside = p.relative(root, full);
          expect(full.startsWith(`${root}${p.sep}`), `${JSON.stringify(key)} → ${full}`).toBe(true);
          expect(
            inside === '' || inside === '..' || inside.startsWith(`..${p.sep}`) || p.isAbsolute(inside),
          ).toBe(false);
          // Nothing is normalised away: the file system sees exactly the key's segments.
          expect(inside.split(p.sep)).toEqual(segments);
          expect(mapped.relative).toBe(key.endsWith('/') ? key.slice(0, -1) : key);
          // On Windows a device name (C:\\dest\\CON) leads outside the folder however it resolves.
          if (platform === 'win32') {
            for (const segment of segments) expect(reservedOnWindows(segment), segment).toBe(false);
          }
        }),
        { seed: 0x9a7, numRuns: 5000 },
      );
    },
  );

  it('localPath and relativeKey agree with the mapping on this machine', () => {
    const root = path.resolve('/dest/root');
    fc.assert(
      fc.property(keyText, fc.constantFrom('', 'data/', 'a/b/', '../'), (key, prefix) => {
        expect(relativeKey(`${prefix}${key}`, prefix)).toBe(key);
        if (prefix !== '' && !key.startsWith(prefix)) expect(relativeKey(key, prefix)).toBeUndefined();
        const mapped = mapKey(key, process.platform);
        if (mapped.kind === 'refused') {
          expect(mapped.reason.length).toBeGreaterThan(0);
          return;
        }
        const full = localPath(root, mapped.relative);
        expect(full.startsWith(`${root}${path.sep}`)).toBe(true);
        expect(path.relative(root, full).split(path.sep)).toEqual(mapped.relative.split('/'));
      }),
      { seed: 0x10c, numRuns: 1500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// 3. ListObjects XML

const listEntry: fc.Arbitrary<ListEntry> = fc.record({
  key: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    fc.constantFrom('a/b.txt', '&<>"\'', '+ %'),
  ),
  lastModified: fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }),
  etag: fc.stringMatching(/^"[0-9a-f]{32}"$/),
  size: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  storageClass: fc.constantFrom('STANDARD', 'STANDARD_IA', 'ARCHIVE'),
});

const listDocument = fc
  .record({
    contents: fc.array(listEntry, { maxLength: 6 }),
    commonPrefixes: fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), { maxLength: 3 }),
    isTruncated: fc.boolean(),
    nextMarker: fc.option(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), { nil: undefined }),
  })
  .map((page) => ({
    page,
    xml: listBucketXml({
      bucket: 'examplebucket-1250000000',
      ownerId: 'qcs::cam::uin/100000000001:uin/100000000001',
      prefix: '',
      marker: '',
      maxKeys: 1000,
      delimiter: undefined,
      encodingUrl: true,
      ...page,
    }),
  }));

/** What any page that parses must look like, however hostile the document was. */
function expectSanePage(page: ListPage): void {
  expect(typeof page.truncated).toBe('boolean');
  for (const object of page.objects) {
    expect(typeof object.key).toBe('string');
    expect(Number.isSafeInteger(object.size) && object.size >= 0).toBe(true);
    for (const field of [object.etag, object.lastModified, object.storageClass])
      expect(typeof field).toBe('string');
  }
  for (const prefix of page.commonPrefixes) expect(typeof prefix).toBe('string');
  if (page.nextMarker !== undefined) expect(typeof page.nextMarker).toBe('string');
}

/** A sane page or a one-line ProtocolError: never a TypeError or a parser's raw error. */
function parsesOrProtocolError(xml: string): ListPage | ProtocolError {
  try {
    const page = parseListPage(xml);
    expectSanePage(page);
    return page;
  } catch (error: unknown) {
    if (!(error instanceof ProtocolError)) throw error;
    expect(hasControlCharacter(error.message), error.message).toBe(false);
    expect(error.message.length).toBeLessThan(400);
    return error;
  }
}

describe('ListObjects XML, fuzzed', () => {
  it('reads back every valid page it is given (so the fuzzing below starts from sound documents)', () => {
    fc.assert(
      fc.property(listDocument, ({ page, xml }) => {
        const parsed = parseListPage(xml);
        expect(parsed.objects.map((o) => [o.key, o.size, o.etag])).toEqual(
          page.contents.map((c) => [c.key, c.size, c.etag]),
        );
        expect(parsed.commonPrefixes).toEqual(page.commonPrefixes);
        expect(parsed.truncated).toBe(page.isTruncated);
        expect(parsed.nextMarker).toBe(page.nextMarker);
      }),
      { seed: 0x11a, numRuns: 200 },
    );
  });

  it('refuses a document cut short anywhere, rather than reading it as a shorter listing', () => {
    fc.assert(
      fc.property(listDocument, fc.double({ min: 0, max: 1, noNaN: true }), ({ xml }, at) => {
        const end = xml.lastIndexOf('</ListBucketResult>') + '</ListBucketResult>'.length;
        const cut = xml.slice(0, Math.floor(at * (end - 1)));
        expect(parsesOrProtocolError(cut)).toBeInstanceOf(ProtocolError);
      }),
      { seed: 0x7c7, numRuns: 400 },
    );
  });

  it('after random edits of a valid page: a sane page or a clean ProtocolError', () => {
    const edit = fc.record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      kind: fc.constantFrom('replace', 'insert', 'delete'),
      text: fc.oneof(
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 3 }),
        fc.constantFrom(
          '<',
          '>',
          '/',
          '&',
          ';',
          '&amp;',
          '&#0;',
          '&#x110000;',
          '<Contents>',
          '</Contents>',
          '<Key>',
          '<IsTruncated>true</IsTruncated>',
          '<Size>-1</Size>',
          '%',
          '%ZZ',
          '\u0000',
          '\ud800',
          ']]>',
          '<![CDATA[',
          '<!--',
          '<?x ?>',
          '<ListBucketResult>',
          '</ListBucketResult>',
          '<__proto__>',
          '<constructor>',
          '&lt;',
          '"',
          "'",
          '=',
          'a="b"',
        ),
      ),
    });
    fc.assert(
      fc.property(listDocument, fc.array(edit, { minLength: 1, maxLength: 4 }), ({ xml }, edits) => {
        let text = xml;
        for (const { at, kind, text: piece } of edits) {
          const i = Math.floor(at * text.length);
          text =
            kind === 'insert'
              ? text.slice(0, i) + piece + text.slice(i)
              : text.slice(0, i) + (kind === 'replace' ? piece : '') + text.slice(i + piece.length);
        }
        const outcome = parsesOrProtocolError(text);
        expect(outcome instanceof ProtocolError || Array.isArray(outcome.objects)).toBe(true);
      }),
      { seed: 0xb17, numRuns: 2000 },
    );
  });

  it('never reads a page as the last one unless it says IsTruncated false, exactly once', () => {
    const garble = fc.constantFrom<(xml: string) => string>(
      (xml) => xml.replace(/<IsTruncated>true<\/IsTruncated>/, ''),
      (xml) =>
        xml.replace(
          /<IsTruncated>true<\/IsTruncated>/,
          '<IsTruncated>true</IsTruncated><IsTruncated>true</IsTruncated>',
        ),
      (xml) => xml.replace(/<IsTruncated>true<\/IsTruncated>/, '<IsTruncated>True</IsTruncated>'),
      (xml) => xml.replace(/<IsTruncated>true<\/IsTruncated>/, '<IsTruncated> true</IsTruncated>'),
      (xml) =>
        xml.replace(/<IsTruncated>true<\/IsTruncated>/, '<IsTruncated><![CDATA[true]]></IsTruncated>x'),
      (xml) => xml.replace(/<IsTruncated>true<\/IsTruncated>/, '<IsTruncated/>'),
      (xml) =>
        xml.replace(
          /<\?xml[^>]*>/,
          '$&<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>',
        ),
      (xml) => `${xml}<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>`,
    );
    fc.assert(
      fc.property(listDocument, garble, ({ page, xml }, change) => {
        fc.pre(page.isTruncated);
        const outcome = parsesOrProtocolError(change(xml));
        expect(outcome instanceof ProtocolError || outcome.truncated).toBe(true);
      }),
      { seed: 0x1a5, numRuns: 200 },
    );
  });

  const MiB = 1024 * 1024;
  it.each<[string, () => string, (outcome: ListPage | ProtocolError) => void]>([
    [
      'a 20 MiB Key',
      () =>
        `<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>${'a'.repeat(20 * MiB)}</Key><Size>1</Size></Contents></ListBucketResult>`,
      (page) => expect(page instanceof ProtocolError ? 0 : page.objects[0]?.key.length).toBe(20 * MiB),
    ],
    [
      '8 MiB of text in the root',
      () => `<ListBucketResult>${' x'.repeat(4 * MiB)}<IsTruncated>false</IsTruncated></ListBucketResult>`,
      (page) => expect(page instanceof ProtocolError ? undefined : page.objects).toEqual([]),
    ],
    [
      '200 000 empty Contents',
      () =>
        `<ListBucketResult><IsTruncated>false</IsTruncated>${'<Contents/>'.repeat(200_000)}</ListBucketResult>`,
      (outcome) => expect(outcome).toBeInstanceOf(ProtocolError),
    ],
    [
      'elements nested 100 000 deep',
      () =>
        `<ListBucketResult><IsTruncated>false</IsTruncated>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</ListBucketResult>`,
      (outcome) => expect(outcome).toBeInstanceOf(ProtocolError),
    ],
    [
      'an unclosed 20 MiB comment',
      () => `<ListBucketResult><!--${'-'.repeat(20 * MiB)}`,
      (outcome) => expect(outcome).toBeInstanceOf(ProtocolError),
    ],
  ])('a huge document (%s): a sane page or a clean ProtocolError', (_name, xml, check) => {
    check(parsesOrProtocolError(xml()));
  });

  const ENTITY_ATTACKS: ReadonlyArray<[string, string]> = [
    ['an internal entity', '<!DOCTYPE r [<!ENTITY x "EXPANDED">]>'],
    ['an external entity', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'],
    ['a parameter entity', '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'],
    ['an external DTD', '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd">'],
    [
      'billion laughs',
      `<!DOCTYPE lolz [<!ENTITY x "EXPANDED">${Array.from({ length: 9 }, (_, i) => `<!ENTITY x${i + 1} "${`&x${i === 0 ? '' : i};`.repeat(10)}">`).join('')}]>`,
    ],
    ['a lowercase doctype', '<!doctype r [<!ENTITY x "EXPANDED">]>'],
  ];
  it.each(ENTITY_ATTACKS)('%s: refused, nothing expanded, memory bounded', (_name, doctype) => {
    const entity = doctype.includes('x9') ? '&x9;' : '&x;';
    const xml = `<?xml version="1.0"?>${doctype}<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a${entity}</Key><ETag>${entity}</ETag><Size>1</Size></Contents></ListBucketResult>`;
    const before = process.memoryUsage().heapUsed;
    const outcome = parsesOrProtocolError(xml);
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    expect(outcome).toBeInstanceOf(ProtocolError);
    expect(errorMessage(outcome)).not.toContain('EXPANDED');
  });
});

// ---------------------------------------------------------------------------------------------------------
// 4. A raw server on loopback: oversized listings and absurd response headers

interface RawRequest {
  readonly method: string;
  readonly target: string;
}

interface RawServer {
  readonly url: string;
  readonly requests: RawRequest[];
  close(): Promise<void>;
}

/**
 * A server that writes whatever `answer` writes on the socket, headers included: Node's HTTP server
 * refuses to send some of the malformed headers this needs. One request per connection.
 */
async function rawServer(answer: (request: RawRequest, socket: net.Socket) => void): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const onData = (data: Buffer): void => {
      head += data.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const [method = '', target = ''] = head.slice(0, head.indexOf('\r\n')).split(' ');
      const request = { method, target };
      requests.push(request);
      answer(request, socket);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a response head (raw header lines, any bytes) and a body, then closes the connection. */
function respond(
  socket: net.Socket,
  status: string,
  headers: readonly string[],
  body: Buffer | string = '',
): void {
  socket.end(
    Buffer.concat([
      Buffer.from(
        `HTTP/1.1 ${status}\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n`,
        'latin1',
      ),
      Buffer.from(body),
    ]),
  );
}

function rawOptions(server: RawServer, cwd: string, raw: RawInputs) {
  return parseOptions(
    {
      bucket: 'examplebucket-1250000000',
      endpoint: server.url,
      'secret-id': 'AKIDrawserverrawserver',
      'secret-key': 'raw-server-ignores-signatures',
      retries: '2',
      timeout: '5s',
      ...raw,
    },
    { cwd, env: {}, isDirectory: () => false },
  );
}

describe('a raw server on loopback', () => {
  let work: string;
  let server: RawServer | undefined;
  beforeEach(async () => {
    work = await tempFolder();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await removeFolder(work);
  });

  describe('an oversized listing', () => {
    it('fails at the cap, without reading the rest or retrying, and writes nothing', async () => {
      const HEAD =
        "<?xml version='1.0' encoding='utf-8' ?>\n<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents><Name>";
      const offered = 96 * 1024 * 1024;
      let sent = 0;
      server = await rawServer((_request, socket) => {
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: ${offered}\r\nConnection: close\r\n\r\n${HEAD}`,
        );
        sent = HEAD.length;
        const chunk = Buffer.alloc(256 * 1024, 0x78);
        const pump = (): void => {
          while (sent < offered && !socket.destroyed) {
            const piece = chunk.subarray(0, Math.min(chunk.length, offered - sent));
            sent += piece.length;
            if (!socket.write(piece)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      });
      const failure = await runMirror(
        rawOptions(server, work, { prefix: 'data/', destination: 'mirror' }),
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).cause).toBeInstanceOf(ProtocolError);
      expect(errorMessage(failure)).toMatch(/ListObjects.*larger than 16 MiB/);
      expect(server.requests).toEqual([{ method: 'GET', target: expect.stringContaining('prefix=data%2F') }]);
      expect(sent).toBeLessThan(offered / 2);
      // Nothing but the mirror's own manifest.
      const made = await listFolder(work);
      const files = made.includes('mirror') ? await listFolder(path.join(work, 'mirror')) : made;
      expect(files.filter((name) => !name.startsWith('.cos-download'))).toEqual([]);
    });
  });

  describe('an error answer whose body never ends', () => {
    it('is read up to its cap, then the connection is dropped and the COS code reported', async () => {
      let sent = 0;
      server = await rawServer((request, socket) => {
        if (request.method === 'HEAD') {
          respond(socket, '403 Forbidden', ['Content-Length: 0']);
          return;
        }
        socket.write(
          'HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n',
        );
        const xml = '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>';
        socket.write(`${xml.length.toString(16)}\r\n${xml}\r\n`);
        const filler = ' '.repeat(64 * 1024);
        const chunk = `${filler.length.toString(16)}\r\n${filler}\r\n`;
        const pump = (): void => {
          while (!socket.destroyed && sent < 1024 * 1024 * 1024) {
            sent += filler.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      const failure = await run(rawOptions(server, work, { key: 'obj.bin', destination: 'out.bin' })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(errorMessage(failure)).toMatch(/AccessDenied/);
      expect(sent).toBeLessThan(64 * 1024 * 1024);
      expect(await listFolder(work)).toEqual([]);
    });
  });

  describe('absurd response headers', () => {
    const KEY = 'obj.bin';
    const BODY = Buffer.from('hello, hostile world\n');
    const SIZE = BODY.length;
    const CRC = crc64ReferenceDecimal(BODY);
    const GOOD_HEAD = [
      `Content-Length: ${SIZE}`,
      'ETag: "0123456789abcdef0123456789abcdef"',
      'Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT',
      `x-cos-hash-crc64ecma: ${CRC}`,
    ];
    const GOOD_GET = [
      'ETag: "0123456789abcdef0123456789abcdef"',
      'Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT',
      `x-cos-hash-crc64ecma: ${CRC}`,
    ];

    /** Header lines with `changes` applied: `name: value` replaces (or adds) the header, `name:` alone removes it. */
    function withHeaders(lines: readonly string[], changes: readonly string[]): string[] {
      const name = (line: string) => line.slice(0, line.indexOf(':')).toLowerCase();
      const changed = new Set(changes.map(name));
      return [
        ...lines.filter((line) => !changed.has(name(line))),
        ...changes.filter((c) => c.slice(c.indexOf(':') + 1).trim() !== '' || c.endsWith(': ')),
      ];
    }

    interface Answer {
      readonly head?: readonly string[];
      readonly get?: readonly string[];
      readonly status?: string;
      readonly body?: Buffer;
    }

    async function serve(answer: Answer): Promise<RawServer> {
      return rawServer((request, socket) => {
        if (request.method === 'HEAD') {
          respond(socket, '200 OK', withHeaders(GOOD_HEAD, answer.head ?? []));
          return;
        }
        const body = answer.body ?? BODY;
        const lines = withHeaders(
          [`Content-Range: bytes 0-${SIZE - 1}/${SIZE}`, `Content-Length: ${body.length}`, ...GOOD_GET],
          answer.get ?? [],
        );
        respond(socket, answer.status ?? '206 Partial Content', lines, body);
      });
    }

    async function download(answer: Answer): Promise<unknown> {
      server = await serve(answer);
      return run(rawOptions(server, work, { key: KEY, destination: 'out/file.bin' })).then(
        (result) => result,
        (error: unknown) => error,
      );
    }

    it('downloads from the raw server when every header is sound (the control case)', async () => {
      const result = await download({});
      expect(result).not.toBeInstanceOf(Error);
      expect(await listFolder(path.join(work, 'out'))).toEqual(['file.bin']);
    });

    type Failure = typeof CosError | typeof ProtocolError | typeof IntegrityError;
    it.each<[string, Answer, Failure, RegExp]>([
      ['HEAD Content-Length -1', { head: ['Content-Length: -1'] }, ProtocolError, /Content-Length/],
      ['HEAD Content-Length abc', { head: ['Content-Length: abc'] }, ProtocolError, /Content-Length/],
      ['HEAD Content-Length 1e3', { head: ['Content-Length: 1e3'] }, ProtocolError, /content-length/i],
      [
        'HEAD Content-Length 2^64',
        { head: ['Content-Length: 18446744073709551616'] },
        ProtocolError,
        /content-length/i,
      ],
      [
        'HEAD Content-Length 2^53-1',
        { head: ['Content-Length: 9007199254740991'] },
        CosError,
        /Content-Length '9007199254740991'/,
      ],
      [
        'HEAD Content-Length past the largest object',
        { head: [`Content-Length: ${10_000 * 5 * 1024 ** 3 + 1}`] },
        CosError,
        /Content-Length/,
      ],
      [
        'HEAD with two Content-Lengths',
        { head: [`Content-Length: ${SIZE}`, `Content-Length: ${SIZE + 1}`] },
        ProtocolError,
        /HTTP\/1\.1|Content-Length/,
      ],
      ['HEAD without Content-Length', { head: ['Content-Length:'] }, CosError, /no Content-Length/],
      ['HEAD without ETag', { head: ['ETag:'] }, CosError, /ETag/],
      ['HEAD with an empty ETag', { head: ['ETag: '] }, CosError, /ETag/],
      [
        'x-cos-hash-crc64ecma 2^64',
        { head: ['x-cos-hash-crc64ecma: 18446744073709551616'] },
        CosError,
        /crc64/i,
      ],
      [
        'x-cos-hash-crc64ecma 10^40',
        { head: [`x-cos-hash-crc64ecma: ${'9'.repeat(40)}`] },
        CosError,
        /crc64/i,
      ],
      ['x-cos-hash-crc64ecma abc', { head: ['x-cos-hash-crc64ecma: abc'] }, CosError, /crc64/i],
      ['x-cos-hash-crc64ecma -1', { head: ['x-cos-hash-crc64ecma: -1'] }, CosError, /crc64/i],
      ['x-cos-hash-crc64ecma 0x1f', { head: ['x-cos-hash-crc64ecma: 0x1f'] }, CosError, /crc64/i],
      [
        'x-cos-hash-crc64ecma wrong',
        { head: ['x-cos-hash-crc64ecma: 12345'] },
        IntegrityError,
        /CRC64 mismatch/,
      ],
      [
        'x-cos-hash-crc64ecma non-numeric on the GET only',
        { head: ['x-cos-hash-crc64ecma:'], get: ['x-cos-hash-crc64ecma: abc'] },
        ProtocolError,
        /crc64/i,
      ],
      [
        'Content-Range beyond the object',
        { get: [`Content-Range: bytes 0-${SIZE * 2 - 1}/${SIZE}`] },
        ProtocolError,
        /Content-Range/,
      ],
      [
        'Content-Range past its end',
        { get: [`Content-Range: bytes ${SIZE}-${SIZE * 2 - 1}/${SIZE * 2}`] },
        ProtocolError,
        /Content-Range/,
      ],
      [
        'Content-Range total disagreeing with the size',
        { get: [`Content-Range: bytes 0-${SIZE - 1}/${SIZE + 1}`] },
        ProtocolError,
        /Content-Range/,
      ],
      [
        'Content-Range negative',
        { get: [`Content-Range: bytes -1-${SIZE - 1}/${SIZE}`] },
        ProtocolError,
        /Content-Range/,
      ],
      ['no Content-Range', { get: ['Content-Range:'] }, ProtocolError, /Content-Range/],
      ['200 instead of 206', { status: '200 OK', get: ['Content-Range:'] }, ProtocolError, /206/],
      ['GET Content-Length -1', { get: ['Content-Length: -1'] }, ProtocolError, /HTTP\/1\.1.*Content-Length/],
      [
        'GET Content-Length disagreeing with the range',
        { get: [`Content-Length: ${SIZE + 5}`], body: Buffer.concat([BODY, Buffer.from('extra')]) },
        ProtocolError,
        /Content-Length/,
      ],
      [
        'GET body shorter than its Content-Length',
        { get: [`Content-Length: ${SIZE}`], body: BODY.subarray(0, 5) },
        ProtocolError,
        // Retried from byte 5, which this server answers with the whole range again.
        /bytes=5-20 answered Content-Range/,
      ],
      [
        'GET body longer than the range, without Content-Length',
        { get: ['Content-Length:'], body: Buffer.concat([BODY, Buffer.from('extra')]) },
        ProtocolError,
        /more bytes/,
      ],
    ])('%s: rejected with a clear error, nothing written', async (_name, answer, type, pattern) => {
      const failure = await download(answer);
      expect(failure).toBeInstanceOf(type);
      const message = errorMessage(failure);
      expect(message).toMatch(pattern);
      expect(message).toContain(KEY);
      expect(hasControlCharacter(message)).toBe(false);
      const left = await listFolder(work);
      expect(left.includes('out') ? await listFolder(path.join(work, 'out')) : left).toEqual([]);
    });
  });
});
