// The XML COS answers with: error documents and ListBucketResult. Hand-written with one
// careful escaper, so the output is byte-for-byte predictable (COS's own layout: single-quoted
// declaration, `&quot;` inside ETag).
import { cosEncode } from '../cos/sign.js';

/**
 * Escapes text for an XML element. The five markup characters become entities; CR becomes
 * `&#13;` so it survives XML end-of-line normalisation. Other control characters cannot be
 * written in XML 1.0 at all: like COS, we leave them as they are (clients that expect such keys
 * ask for `encoding-type=url`).
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return '&#13;';
    }
  });
}

const DECLARATION = "<?xml version='1.0' encoding='utf-8' ?>";

function element(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

export interface ErrorDocument {
  readonly code: string;
  readonly message: string;
  readonly resource: string;
  readonly requestId: string;
  readonly traceId: string;
}

export function errorXml(error: ErrorDocument): string {
  return [
    DECLARATION,
    '<Error>',
    element('Code', error.code),
    element('Message', error.message),
    element('Resource', error.resource),
    element('RequestId', error.requestId),
    element('TraceId', error.traceId),
    '</Error>',
  ].join('\n');
}

export interface ListEntry {
  readonly key: string;
  readonly lastModified: Date;
  readonly etag: string;
  readonly size: number;
  readonly storageClass: string;
}

export interface ListResult {
  readonly bucket: string;
  readonly ownerId: string;
  readonly prefix: string;
  readonly marker: string;
  readonly maxKeys: number;
  readonly delimiter: string | undefined;
  readonly encodingUrl: boolean;
  readonly isTruncated: boolean;
  readonly nextMarker: string | undefined;
  readonly contents: readonly ListEntry[];
  readonly commonPrefixes: readonly string[];
}

/**
 * `encoding-type=url`: percent-encoding of the UTF-8 bytes as `cosEncode` does, with `/` kept
 * (as in object URLs). Any decoder (decodeURIComponent, unquote, unquote_plus) gets the key
 * back, since space is `%20` and `+` is `%2B`.
 */
export function urlEncodeKey(text: string): string {
  return cosEncode(text).replace(/%2F/g, '/');
}

export function listBucketXml(result: ListResult): string {
  const text = (value: string): string => (result.encodingUrl ? urlEncodeKey(value) : value);
  const lines = [DECLARATION, '<ListBucketResult>', element('Name', result.bucket)];
  if (result.encodingUrl) lines.push(element('EncodingType', 'url'));
  lines.push(
    element('Prefix', text(result.prefix)),
    element('Marker', text(result.marker)),
    element('MaxKeys', String(result.maxKeys)),
  );
  if (result.delimiter !== undefined) lines.push(element('Delimiter', text(result.delimiter)));
  lines.push(element('IsTruncated', String(result.isTruncated)));
  if (result.nextMarker !== undefined) lines.push(element('NextMarker', text(result.nextMarker)));
  for (const entry of result.contents) {
    lines.push(
      '<Contents>',
      element('Key', text(entry.key)),
      element('LastModified', entry.lastModified.toISOString()),
      element('ETag', entry.etag),
      element('Size', String(entry.size)),
      '<Owner>',
      element('ID', result.ownerId),
      element('DisplayName', result.ownerId),
      '</Owner>',
      element('StorageClass', entry.storageClass),
      '</Contents>',
    );
  }
  for (const prefix of result.commonPrefixes) {
    lines.push('<CommonPrefixes>', element('Prefix', text(prefix)), '</CommonPrefixes>');
  }
  lines.push('</ListBucketResult>');
  return lines.join('\n');
}
