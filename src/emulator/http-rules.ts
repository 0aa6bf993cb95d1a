// Pure HTTP rules GET Object follows: Range (RFC 7233) and conditional requests (RFC 7232).

export type RangeDecision =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * Reads a `Range` header against an object of `size` bytes. COS accepts one range:
 * `bytes=a-b`, `bytes=a-`, `bytes=-n`. A header that does not parse, or asks for several ranges,
 * is ignored and the whole object is sent with 200 — what RFC 7233 §3.1 lets a server do and
 * what HTTP servers (and COS for multi-range) do; clients must therefore check for 206.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'whole' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { kind: 'whole' }; // invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function entityTags(header: string): string[] {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

/** An entity tag without its quotes; clients often send COS ETags unquoted, COS accepts that. */
function opaque(tag: string): string {
  const bare = tag.startsWith('W/') ? tag.slice(2) : tag;
  return bare.length >= 2 && bare.startsWith('"') && bare.endsWith('"') ? bare.slice(1, -1) : bare;
}

/** If-Match: strong comparison, `*` matches any existing object. */
export function ifMatch(header: string, etag: string): boolean {
  return entityTags(header).some(
    (tag) => tag === '*' || (!tag.startsWith('W/') && opaque(tag) === opaque(etag)),
  );
}

/** If-None-Match: weak comparison. True when some tag matches (→ 304). */
export function ifNoneMatchHits(header: string, etag: string): boolean {
  return entityTags(header).some((tag) => tag === '*' || opaque(tag) === opaque(etag));
}

function httpDate(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const time = Date.parse(header);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}

export interface Preconditions {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
}

export type ConditionOutcome =
  | { readonly kind: 'proceed' }
  | { readonly kind: 'not-modified'; readonly because: 'If-None-Match' | 'If-Modified-Since' }
  | { readonly kind: 'failed'; readonly because: 'If-Match' | 'If-Unmodified-Since' };

/**
 * RFC 7232 §6 for GET/HEAD: If-Match, else If-Unmodified-Since (412); then If-None-Match,
 * else If-Modified-Since (304). Dates compare to the second; unparseable dates are ignored.
 */
export function evaluatePreconditions(
  conditions: Preconditions,
  etag: string,
  lastModified: Date,
): ConditionOutcome {
  const modified = Math.floor(lastModified.getTime() / 1000);
  if (conditions.ifMatch !== undefined) {
    if (!ifMatch(conditions.ifMatch, etag)) return { kind: 'failed', because: 'If-Match' };
  } else {
    const since = httpDate(conditions.ifUnmodifiedSince);
    if (since !== undefined && modified > since) return { kind: 'failed', because: 'If-Unmodified-Since' };
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (ifNoneMatchHits(conditions.ifNoneMatch, etag)) {
      return { kind: 'not-modified', because: 'If-None-Match' };
    }
  } else {
    const since = httpDate(conditions.ifModifiedSince);
    if (since !== undefined && modified <= since)
      return { kind: 'not-modified', because: 'If-Modified-Since' };
  }
  return { kind: 'proceed' };
}
