// ListObjects (GET Bucket): pages of keys, yielded as they arrive so downloads can start before the
// listing ends. Keys come URL-encoded (`encoding-type=url`) so any byte survives the XML.
import { XMLParser } from 'fast-xml-parser';
import { quoteValue } from '../config/errors.js';
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
  readonly nextMarker?: string;
}

export interface ListOptions {
  readonly prefix: string;
  readonly delimiter?: string;
  /** ≤ 1000. */
  readonly maxKeys?: number;
  readonly signal?: AbortSignal;
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

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  processEntities: true,
  isArray: (name) => name === 'Contents' || name === 'CommonPrefixes',
});

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
  let parsed: { ListBucketResult?: unknown };
  try {
    // Validated first: the parser alone takes a document cut short for a shorter, complete listing.
    parsed = parser.parse(xml, true) as typeof parsed;
  } catch (error: unknown) {
    throw new ProtocolError('ListObjects answered XML that does not parse (cut short or malformed)', {
      transient: true,
      cause: error,
    });
  }
  const result = parsed.ListBucketResult as Record<string, unknown> | undefined;
  if (result === undefined || typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new ProtocolError('ListObjects answered without exactly one ListBucketResult', { transient: true });
  }
  // Missing or garbled, it cannot tell the last page from one more: never guess "last".
  const truncatedText = text(result.IsTruncated);
  if (truncatedText !== 'true' && truncatedText !== 'false') {
    throw new ProtocolError('ListObjects answered without IsTruncated true or false', { transient: true });
  }
  const contents = (result.Contents ?? []) as Array<Record<string, unknown>>;
  const objects = contents.map((entry): ListedObject => {
    const key = decode(entry.Key, 'a Key');
    const sizeText = text(entry.Size);
    if (!/^\d{1,16}$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
      throw new ProtocolError(`ListObjects: ${quoteValue(key)} has an invalid Size`, { transient: false });
    }
    return {
      key,
      etag: text(entry.ETag),
      size: Number(sizeText),
      lastModified: text(entry.LastModified),
      storageClass: text(entry.StorageClass) || 'STANDARD',
    };
  });
  const prefixes = (result.CommonPrefixes ?? []) as Array<Record<string, unknown>>;
  const truncated = truncatedText === 'true';
  const nextMarker = result.NextMarker === undefined ? undefined : decode(result.NextMarker, 'NextMarker');
  return {
    objects,
    commonPrefixes: prefixes.map((p) => decode(p.Prefix, 'a CommonPrefixes Prefix')),
    truncated,
    ...(nextMarker === undefined ? {} : { nextMarker }),
  };
}

/** Yields listing pages in order, following NextMarker (or the last key) until the end. */
export async function* listPages(client: CosClient, options: ListOptions): AsyncGenerator<ListPage> {
  let marker = '';
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
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return parseListPage(await readPage(response.body, what));
    });
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
