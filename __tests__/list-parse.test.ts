import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../src/cos/errors.js';
import { parseListPage } from '../src/cos/list.js';

// The reference: what the listing parser did before it had its own scanner (fast-xml-parser with
// the same options), reduced to the fields a ListPage holds.
const reference = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  processEntities: true,
  isArray: (name) => name === 'Contents' || name === 'CommonPrefixes',
});

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Entry {
  key: string;
  etag: string;
  size: number;
  storageClass: string;
}

function page(entries: Entry[], prefixes: string[], truncated: boolean, nextMarker?: string): string {
  const contents = entries
    .map(
      (e) =>
        `<Contents>\n  <Key>${encodeURIComponent(e.key)}</Key>\n  <LastModified>2024-01-02T03:04:05.000Z</LastModified>\n  <ETag>${escapeXml(e.etag)}</ETag>\n  <Size>${e.size}</Size>\n  <Owner><ID>1250000000</ID><DisplayName/></Owner>${e.storageClass === '' ? '' : `<StorageClass>${e.storageClass}</StorageClass>`}</Contents>`,
    )
    .join('\n');
  const common = prefixes.map(
    (p) => `<CommonPrefixes><Prefix>${encodeURIComponent(p)}</Prefix></CommonPrefixes>`,
  );
  return `<?xml version='1.0' encoding='utf-8' ?>\n<ListBucketResult><Name>b-1250000000</Name><EncodingType>url</EncodingType><Prefix></Prefix><Marker/><MaxKeys>1000</MaxKeys><IsTruncated>${truncated}</IsTruncated>${nextMarker === undefined ? '' : `<NextMarker>${encodeURIComponent(nextMarker)}</NextMarker>`}\n${contents}\n${common.join('')}</ListBucketResult>`;
}

function viaReference(xml: string) {
  const result = (reference.parse(xml) as { ListBucketResult: Record<string, unknown> }).ListBucketResult;
  const contents = (result.Contents ?? []) as Array<Record<string, string>>;
  return {
    keys: contents.map((c) => decodeURIComponent(c.Key as string)),
    etags: contents.map((c) => c.ETag),
    sizes: contents.map((c) => Number(c.Size)),
    classes: contents.map((c) => c.StorageClass || 'STANDARD'),
    prefixes: ((result.CommonPrefixes ?? []) as Array<Record<string, string>>).map((p) =>
      decodeURIComponent(p.Prefix as string),
    ),
    truncated: result.IsTruncated === 'true',
    nextMarker: result.NextMarker === undefined ? undefined : decodeURIComponent(result.NextMarker as string),
  };
}

describe('parseListPage', () => {
  it('reads every field as the general XML parser it replaced does, for any keys and ETags', () => {
    expect.hasAssertions();
    const entry = fc.record({
      key: fc.string({ minLength: 1, unit: 'binary' }),
      etag: fc.string(),
      size: fc.nat(),
      storageClass: fc.constantFrom('', 'STANDARD', 'ARCHIVE', 'STANDARD_IA'),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 20 }),
        fc.array(fc.string({ minLength: 1, unit: 'binary' }), { maxLength: 3 }),
        fc.boolean(),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        (entries, prefixes, truncated, marker) => {
          const xml = page(entries, prefixes, truncated, marker);
          const mine = parseListPage(xml);
          const theirs = viaReference(xml);
          expect(mine.objects.map((o) => o.key)).toEqual(theirs.keys);
          expect(mine.objects.map((o) => o.etag)).toEqual(theirs.etags);
          expect(mine.objects.map((o) => o.size)).toEqual(theirs.sizes);
          expect(mine.objects.map((o) => o.storageClass)).toEqual(theirs.classes);
          expect(mine.commonPrefixes).toEqual(theirs.prefixes);
          expect(mine.truncated).toBe(theirs.truncated);
          expect(mine.nextMarker).toBe(theirs.nextMarker);
        },
      ),
    );
  });

  it('decodes entities, numeric references and CDATA; skips comments and attributes', () => {
    const xml =
      '<?xml version="1.0"?><!-- c --><ListBucketResult xmlns="http://x"><IsTruncated>false</IsTruncated>' +
      '<Contents><Key><![CDATA[a%2Fb]]></Key><ETag>&quot;&#x61;&#98;&quot;</ETag><Size>3</Size></Contents></ListBucketResult>';
    expect(parseListPage(xml).objects).toEqual([
      { key: 'a/b', etag: '"ab"', size: 3, lastModified: '', storageClass: 'STANDARD' },
    ]);
  });

  it.each([
    ['a mismatched end tag', '<ListBucketResult><Contents></Key></ListBucketResult>'],
    ['an unclosed element', '<ListBucketResult><Contents>'],
    ['a DOCTYPE (no entity expansion)', '<!DOCTYPE x [<!ENTITY a "b">]><ListBucketResult/>'],
    ['no ListBucketResult', '<Error><Code>x</Code></Error>'],
  ])('refuses %s as a transient protocol error', (_what, xml) => {
    expect(() => parseListPage(xml)).toThrow(ProtocolError);
  });

  it('refuses an invalid Size and a Key that is not URL encoding', () => {
    expect(() =>
      parseListPage(
        '<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>',
      ),
    ).toThrow(/invalid Size/);
    expect(() =>
      parseListPage(
        '<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>%E0%A4%A</Key><Size>1</Size></Contents></ListBucketResult>',
      ),
    ).toThrow(/URL encoding/);
  });
});
