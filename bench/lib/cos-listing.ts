// Static ListObjects (GET Bucket) pages for the neutral server (bench/lib/nginx.ts): COS's
// ListBucketResult for one prefix and delimiter, cut into pages of `maxKeys` entries with
// IsTruncated / NextMarker as COS writes them. Written here, not taken from src/emulator, so the
// neutral server shares no code with the tool it measures. Pure: no I/O.

export interface ListedFile {
  /** The object key (no leading slash). */
  readonly key: string;
  /** As COS sends it: a quoted hex MD5 for a single-PUT object. */
  readonly etag: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ListingPage {
  /** The `marker` a client sends for this page ('' for the first one). */
  readonly marker: string;
  readonly xml: string;
}

/** One listing the server answers: `delimiter` '' means none (a flat, recursive listing). */
export interface ListingSpec {
  readonly prefix: string;
  readonly delimiter: string;
}

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );

/** `encoding-type=url` as COS does it: the UTF-8 bytes percent-encoded, `/` kept. */
export const urlEncodeKey = (key: string): string =>
  encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');

const element = (name: string, text: string): string => `<${name}>${escapeXml(text)}</${name}>`;

type Entry =
  | { readonly kind: 'file'; readonly file: ListedFile }
  | { readonly kind: 'prefix'; readonly prefix: string };

const entryName = (entry: Entry): string => (entry.kind === 'file' ? entry.file.key : entry.prefix);

/**
 * The pages of `spec` over `files`, in key order. With a delimiter, keys with it past the prefix
 * fold into CommonPrefixes (each counts as one of the page's `maxKeys`, as on COS). Keys are
 * written URL-encoded with `<EncodingType>url</EncodingType>`, what cos-download and rclone ask
 * for; the benchmark's keys are plain ASCII, so a client that did not ask reads the same keys.
 */
export function listingPages(
  files: readonly ListedFile[],
  spec: ListingSpec,
  bucket: string,
  maxKeys = 1000,
): ListingPage[] {
  const entries: Entry[] = [];
  const seenPrefixes = new Set<string>();
  for (const file of [...files].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    if (!file.key.startsWith(spec.prefix)) continue;
    const cut = spec.delimiter === '' ? -1 : file.key.indexOf(spec.delimiter, spec.prefix.length);
    if (cut === -1) {
      entries.push({ kind: 'file', file });
      continue;
    }
    const common = file.key.slice(0, cut + spec.delimiter.length);
    if (!seenPrefixes.has(common)) {
      seenPrefixes.add(common);
      entries.push({ kind: 'prefix', prefix: common });
    }
  }
  const pages: ListingPage[] = [];
  let marker = '';
  for (let start = 0; start === 0 || start < entries.length; start += maxKeys) {
    const slice = entries.slice(start, start + maxKeys);
    const truncated = start + maxKeys < entries.length;
    const last = slice.at(-1);
    const nextMarker = truncated && last !== undefined ? entryName(last) : undefined;
    const lines = [
      "<?xml version='1.0' encoding='utf-8' ?>",
      '<ListBucketResult>',
      element('Name', bucket),
      element('EncodingType', 'url'),
      element('Prefix', urlEncodeKey(spec.prefix)),
      element('Marker', urlEncodeKey(marker)),
      element('MaxKeys', String(maxKeys)),
      ...(spec.delimiter === '' ? [] : [element('Delimiter', urlEncodeKey(spec.delimiter))]),
      element('IsTruncated', String(truncated)),
      ...(nextMarker === undefined ? [] : [element('NextMarker', urlEncodeKey(nextMarker))]),
    ];
    for (const entry of slice) {
      if (entry.kind === 'prefix') continue;
      const { file } = entry;
      lines.push(
        '<Contents>',
        element('Key', urlEncodeKey(file.key)),
        element('LastModified', file.lastModified.toISOString()),
        element('ETag', file.etag),
        element('Size', String(file.size)),
        '<Owner><ID>1250000000</ID><DisplayName>1250000000</DisplayName></Owner>',
        element('StorageClass', 'STANDARD'),
        '</Contents>',
      );
    }
    for (const entry of slice) {
      if (entry.kind === 'prefix') {
        lines.push('<CommonPrefixes>', element('Prefix', urlEncodeKey(entry.prefix)), '</CommonPrefixes>');
      }
    }
    lines.push('</ListBucketResult>', '');
    pages.push({ marker, xml: lines.join('\n') });
    if (nextMarker === undefined) break;
    marker = nextMarker;
  }
  return pages;
}

/**
 * A PCRE fragment matching `text` as a client may send it in a query string: `/` raw or as %2F,
 * everything else that is not a plain ASCII letter or digit either raw or percent-encoded.
 * Written without backslashes, which nginx's quoted strings would otherwise have to carry.
 */
export function queryValuePattern(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9]/.test(c)) {
      out += c;
      continue;
    }
    const hex = byte.toString(16).toUpperCase().padStart(2, '0');
    const encoded = `%${hex[0]}[${hex[1]}${(hex[1] ?? '').toLowerCase()}]`;
    const raw =
      c === '-' || c === '_' || c === '~' ? c : byte < 0x80 && /[./:@!$&'()*+,;=]/.test(c) ? `[${c}]` : '';
    out += raw === '' ? encoded : `(?:${raw}|${encoded})`;
  }
  return out;
}
