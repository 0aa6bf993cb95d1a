// ListObjects (GET Bucket): pages of keys, yielded as they arrive so downloads can start before the
// listing ends. Keys come URL-encoded (`encoding-type=url`) so any byte survives the XML.
import { XMLParser } from 'fast-xml-parser';
import type { CosClient } from './client.js';
import { readCapped } from './client.js';
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
  let parsed: { ListBucketResult?: Record<string, unknown> };
  try {
    parsed = parser.parse(xml) as typeof parsed;
  } catch (error: unknown) {
    throw new ProtocolError('ListObjects answered XML that does not parse', {
      transient: true,
      cause: error,
    });
  }
  const result = parsed.ListBucketResult;
  if (result === undefined || typeof result !== 'object' || result === null) {
    throw new ProtocolError('ListObjects answered without a ListBucketResult', { transient: true });
  }
  const contents = (result.Contents ?? []) as Array<Record<string, unknown>>;
  const objects = contents.map((entry): ListedObject => {
    const key = decode(entry.Key, 'a Key');
    const sizeText = text(entry.Size);
    if (!/^\d{1,16}$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
      throw new ProtocolError(`ListObjects: '${key}' has an invalid Size`, { transient: false });
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
  const truncated = text(result.IsTruncated) === 'true';
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
    const result = await client.retrying(
      `ListObjects '${options.prefix}' page ${page}`,
      options.signal,
      async () => {
        const response = await client.send({
          method: 'GET',
          key: '',
          query,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return parseListPage(await readCapped(response.body, MAX_PAGE_BYTES));
      },
    );
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
