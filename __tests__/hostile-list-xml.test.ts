// Hostile ListObjects XML, fuzzed: documents the emulator writes and documents no COS would send.
// Fixed seeds, so a failure replays; each property states what must hold for ANY document.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import { hasControlCharacter } from '../src/base/text.js';
import { ProtocolError } from '../src/cos/errors.js';
import { type ListPage, parseListPage } from '../src/cos/list.js';
import { type ListEntry, listBucketXml } from '../src/emulator/xml.js';

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
