// GET Bucket (ListObjects): prefix, delimiter, marker, max-keys and encoding-type=url, answered in
// COS's key order, a page at a time.
import { CosError, type Exchange, type ServedBucket } from './answer.js';
import { compareKeys } from './store.js';
import { type ListEntry, listBucketXml } from './xml.js';

const MAX_KEYS = 1000;

/** Answers a ListObjects request for the served bucket. */
export function listObjects(served: ServedBucket, exchange: Exchange): void {
  const params = new Map(exchange.query);
  const prefix = params.get('prefix') ?? '';
  const delimiterParam = params.get('delimiter');
  const delimiter = delimiterParam === '' ? undefined : delimiterParam;
  const marker = params.get('marker') ?? '';
  const maxKeysParam = params.get('max-keys');
  const encodingType = params.get('encoding-type');
  if (maxKeysParam !== undefined && !/^\d+$/.test(maxKeysParam)) {
    throw new CosError(
      400,
      'InvalidArgument',
      `max-keys must be an integer from 0 to 1000, not "${maxKeysParam}".`,
    );
  }
  // COS documents max-keys as at most 1000; like S3 we cap larger values instead of failing.
  const maxKeys = maxKeysParam === undefined ? MAX_KEYS : Math.min(MAX_KEYS, Number(maxKeysParam));
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new CosError(400, 'InvalidArgument', `encoding-type must be "url", not "${encodingType}".`);
  }

  const contents: ListEntry[] = [];
  const commonPrefixes: string[] = [];
  let emitted = 0;
  let truncated = false;
  let last: string | undefined;
  let lastPrefix: string | undefined;
  // Keys before the prefix, or up to the marker, are not looked at.
  const after = compareKeys(marker, prefix) > 0 ? marker : prefix.length > 0 ? prefix.slice(0, -1) : '';
  for (const version of served.store.listable(after)) {
    if (!version.key.startsWith(prefix)) {
      if (compareKeys(version.key, prefix) > 0) break;
      continue;
    }
    if (marker !== '' && compareKeys(version.key, marker) <= 0) continue;
    const cut = delimiter === undefined ? -1 : version.key.indexOf(delimiter, prefix.length);
    const common =
      cut === -1 || delimiter === undefined ? undefined : version.key.slice(0, cut + delimiter.length);
    if (
      common !== undefined &&
      (common === lastPrefix || (marker !== '' && compareKeys(common, marker) <= 0))
    ) {
      continue; // already listed, here or on an earlier page (marker = a common prefix)
    }
    if (maxKeys === 0) break;
    if (emitted === maxKeys) {
      truncated = true;
      break;
    }
    emitted += 1;
    if (common === undefined) {
      contents.push(version);
      // A broken listing (fault): every key appears twice.
      if (served.faultState.faults.repeatListedKeys) contents.push(version);
      last = version.key;
    } else {
      commonPrefixes.push(common);
      lastPrefix = common;
      last = common;
    }
  }
  const body = Buffer.from(
    listBucketXml({
      bucket: served.bucket,
      ownerId: served.ownerId,
      prefix,
      marker,
      maxKeys,
      delimiter,
      encodingUrl: encodingType === 'url',
      isTruncated: truncated,
      nextMarker: truncated ? last : undefined,
      contents,
      commonPrefixes,
    }),
    'utf8',
  );
  served.respond(exchange, 200, {
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
    'x-cos-bucket-region': served.region,
  });
  exchange.res.end(body);
}
