// ListObjects (GET Bucket): pages of keys, yielded as they arrive so downloads can start before the
// listing ends. Keys come URL-encoded (`encoding-type=url`) so any byte survives the XML.
import { quoteValue } from '../base/text.js';
import type { CosClient } from './client.js';
import { ProtocolError } from './errors.js';

export interface ListedObject {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  /** ISO 8601, as the listing gives it. */
  readonly lastModified: string;
  readonly storageClass: string;
}

export interface ListPage {
  readonly objects: readonly ListedObject[];
  readonly commonPrefixes: readonly string[];
  readonly truncated: boolean;
  readonly nextMarker?: string | undefined;
}

export interface ListOptions {
  readonly prefix: string;
  readonly delimiter?: string;
  /** ≤ 1000. */
  readonly maxKeys?: number;
  readonly signal?: AbortSignal | undefined;
}

/** A listing page is at most 1000 entries; anything far larger is not COS talking. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;

/**
 * A page's body as text. Past MAX_PAGE_BYTES it fails at once: reading stops (which drops the
 * connection), rather than draining an endless body or cutting it into what looks like a shorter page.
 */
async function readPage(body: AsyncIterable<Uint8Array>, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.length;
    if (length > MAX_PAGE_BYTES) {
      throw new ProtocolError(
        `${what} is larger than 16 MiB: a page of 1000 keys is far smaller, so this is not COS answering`,
        { transient: false },
      );
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An XML element: its name, its text (character data and CDATA, entities decoded) and its children. */
interface XmlElement {
  readonly name: string;
  text: string;
  readonly children: XmlElement[];
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescapeXml(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name] ?? whole;
  });
}

/** A ListBucketResult is three levels deep; a document far deeper is not COS answering. */
const MAX_DEPTH = 32;

/** An element name for a message: quoted, cut short, control characters escaped. */
const shown = (name: string): string => JSON.stringify(`<${name.slice(0, 40)}>`);

const malformed = (why: string): ProtocolError =>
  new ProtocolError(`ListObjects answered XML that does not parse: ${why}`, { transient: true });

/**
 * Parses the XML of a listing page into elements: one pass, no DTD (a DOCTYPE is refused, so no
 * entity expansion), attributes skipped, every end tag checked against its start tag. It does only
 * what a ListBucketResult needs and is ~10× faster than a general parser on a 1000-key page.
 */
export function parseXmlElements(xml: string): XmlElement {
  const root: XmlElement = { name: '', text: '', children: [] };
  const stack: XmlElement[] = [root];
  let at = 0;
  for (;;) {
    const open = xml.indexOf('<', at);
    const top = stack[stack.length - 1] as XmlElement;
    const text = open === -1 ? xml.slice(at) : xml.slice(at, open);
    if (text !== '') top.text += unescapeXml(text);
    if (open === -1) break;
    if (xml.startsWith('<![CDATA[', open)) {
      const close = xml.indexOf(']]>', open + 9);
      if (close === -1) throw malformed('an unterminated CDATA section');
      top.text += xml.slice(open + 9, close);
      at = close + 3;
    } else if (xml.startsWith('<!--', open)) {
      const close = xml.indexOf('-->', open + 4);
      if (close === -1) throw malformed('an unterminated comment');
      at = close + 3;
    } else if (xml.startsWith('<?', open)) {
      const close = xml.indexOf('?>', open + 2);
      if (close === -1) throw malformed('an unterminated declaration');
      at = close + 2;
    } else if (xml.startsWith('<!', open)) {
      throw malformed('a DOCTYPE or markup declaration');
    } else {
      const close = xml.indexOf('>', open + 1);
      if (close === -1) throw malformed('an unterminated tag');
      const tag = xml.slice(open + 1, close);
      if (tag.startsWith('/')) {
        const name = tag.slice(1).trimEnd();
        if (stack.length < 2 || top.name !== name) throw malformed(`an unexpected end tag ${shown(name)}`);
        stack.pop();
      } else {
        const selfClosing = tag.endsWith('/');
        const name = /^[^\s/>]+/.exec(tag)?.[0];
        if (name === undefined) throw malformed('a tag without a name');
        const element: XmlElement = { name, text: '', children: [] };
        top.children.push(element);
        if (!selfClosing) stack.push(element);
        if (stack.length > MAX_DEPTH) throw malformed(`elements nested deeper than ${MAX_DEPTH} levels`);
      }
      at = close + 1;
    }
  }
  if (stack.length !== 1)
    throw malformed(`${shown((stack[stack.length - 1] as XmlElement).name)} is not closed`);
  return root;
}

/** The text of the only `name` child that has no children of its own; undefined otherwise. */
function leaf(element: XmlElement, name: string): string | undefined {
  let found: XmlElement | undefined;
  for (const child of element.children) {
    if (child.name !== name) continue;
    if (found !== undefined) return undefined;
    found = child;
  }
  return found === undefined || found.children.length > 0 ? undefined : found.text;
}

function decode(value: unknown, what: string): string {
  if (typeof value !== 'string')
    throw new ProtocolError(`ListObjects: ${what} is missing`, { transient: false });
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch (error: unknown) {
    throw new ProtocolError(`ListObjects: ${what} is not valid URL encoding`, {
      transient: false,
      cause: error,
    });
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Parses one ListBucketResult page (URL-encoded keys). Pure. */
export function parseListPage(xml: string): ListPage {
  // COS never sends a DOCTYPE: refusing one means no entity it declares is ever expanded.
  if (/<!DOCTYPE/i.test(xml)) {
    throw new ProtocolError('ListObjects answered XML with a DOCTYPE, which COS never sends', {
      transient: false,
    });
  }
  // The scanner checks every end tag, so a document cut short never reads as a shorter listing.
  const document = parseXmlElements(xml);
  const result = document.children[0];
  if (document.children.length !== 1 || result?.name !== 'ListBucketResult') {
    throw new ProtocolError('ListObjects answered without exactly one ListBucketResult', { transient: true });
  }
  // Missing or garbled, it cannot tell the last page from one more: never guess "last".
  const truncatedText = leaf(result, 'IsTruncated');
  if (truncatedText !== 'true' && truncatedText !== 'false') {
    throw new ProtocolError('ListObjects answered without IsTruncated true or false', { transient: true });
  }
  const objects: ListedObject[] = [];
  const prefixes: string[] = [];
  for (const entry of result.children) {
    if (entry.name === 'Contents') {
      const key = decode(leaf(entry, 'Key'), 'a Key');
      const sizeText = text(leaf(entry, 'Size'));
      if (!/^\d{1,16}$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
        throw new ProtocolError(`ListObjects: ${quoteValue(key)} has an invalid Size`, { transient: false });
      }
      objects.push({
        key,
        etag: text(leaf(entry, 'ETag')),
        size: Number(sizeText),
        lastModified: text(leaf(entry, 'LastModified')),
        storageClass: text(leaf(entry, 'StorageClass')) || 'STANDARD',
      });
    } else if (entry.name === 'CommonPrefixes') {
      prefixes.push(decode(leaf(entry, 'Prefix'), 'a CommonPrefixes Prefix'));
    }
  }
  const truncated = truncatedText === 'true';
  const marker = leaf(result, 'NextMarker');
  const nextMarker = marker === undefined ? undefined : decode(marker, 'NextMarker');
  return { objects, commonPrefixes: prefixes, truncated, nextMarker };
}

/** Compares two keys in UTF-8 byte order, the order COS lists keys in (code point order). */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // UTF-16 puts surrogates (code points past U+FFFF) below U+E000..U+FFFF; UTF-8 does not.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb && (sa ? cb : ca) >= 0xe000) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/**
 * COS lists keys in strictly increasing UTF-8 order; a listing that repeats a key or goes back is
 * malformed (a mirror would race one file against itself, and `delete` could trust a bad listing).
 */
function checkOrder(
  objects: readonly ListedObject[],
  previous: string | undefined,
  what: string,
): string | undefined {
  let last = previous;
  for (const object of objects) {
    if (last !== undefined) {
      const order = compareUtf8(last, object.key);
      if (order >= 0) {
        throw new ProtocolError(
          order === 0
            ? `${what} lists ${quoteValue(object.key)} twice; COS never repeats a key, so the listing is refused as malformed`
            : `${what} lists ${quoteValue(object.key)} after ${quoteValue(last)}, out of COS's UTF-8 key order, so the listing is refused as malformed`,
          { transient: false },
        );
      }
    }
    last = object.key;
  }
  return last;
}

/** Yields listing pages in order, following NextMarker (or the last key) until the end. */
export async function* listPages(client: CosClient, options: ListOptions): AsyncGenerator<ListPage> {
  let marker = '';
  let lastKey: string | undefined;
  for (let page = 1; ; page++) {
    const query: Record<string, string> = {
      prefix: options.prefix,
      'max-keys': String(options.maxKeys ?? 1000),
      'encoding-type': 'url',
      ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
      ...(marker === '' ? {} : { marker }),
    };
    const what = `ListObjects '${options.prefix}' page ${page}`;
    const result = await client.retrying(what, options.signal, async () => {
      const response = await client.send({
        method: 'GET',
        key: '',
        query,
        signal: options.signal,
      });
      return parseListPage(await readPage(response.body, what));
    });
    lastKey = checkOrder(result.objects, lastKey, `ListObjects '${options.prefix}'`);
    yield result;
    if (!result.truncated) return;
    const next = result.nextMarker ?? result.objects.at(-1)?.key ?? result.commonPrefixes.at(-1);
    if (next === undefined || next === marker) {
      throw new ProtocolError(
        `ListObjects '${options.prefix}' page ${page} is truncated but gives no marker to go on`,
        {
          transient: false,
        },
      );
    }
    marker = next;
  }
}
