// The typed, frozen options the core runs on. Built once from raw inputs by `parse.ts`.
import type { Credentials } from '../cos/sign.js';

export type Overwrite = 'changed' | 'always' | 'never';

/** One HTTP byte range, as the `range` input states it. */
export type ByteRange =
  | { readonly kind: 'closed'; readonly first: number; readonly last: number }
  | { readonly kind: 'from'; readonly first: number }
  | { readonly kind: 'suffix'; readonly length: number };

export interface Conditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: Date;
  readonly ifUnmodifiedSince?: Date;
}

/** `response-*` query parameters of GET Object. */
export interface ResponseOverrides {
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  readonly contentType?: string;
  readonly expires?: string;
}

/** `i/n`: this job takes the keys whose stable hash lands in bucket `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface ObjectTarget {
  readonly kind: 'object';
  readonly key: string;
  readonly versionId?: string;
  readonly range?: ByteRange;
  readonly conditions: Conditions;
  readonly responseOverrides: ResponseOverrides;
}

export interface PrefixTarget {
  readonly kind: 'prefix';
  /** '' for the whole bucket (the input `/`). */
  readonly prefix: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly delete: boolean;
  /** A prefix that lists nothing succeeds instead of failing. */
  readonly allowEmpty: boolean;
  readonly shard?: Shard;
}

export interface Connection {
  readonly bucket: string;
  readonly region?: string;
  /** Resolved base URL, no trailing slash, e.g. `https://b-125.cos.ap-guangzhou.myqcloud.com`. */
  readonly endpoint: string;
  readonly credentials?: Credentials;
  readonly retries: number;
  readonly timeoutMs: number;
}

export interface Options {
  readonly connection: Connection;
  readonly target: ObjectTarget | PrefixTarget;
  /** Absolute path. For an object: the file (already resolved against an existing folder / trailing `/`). */
  readonly destination: string;
  readonly partSize: number;
  readonly concurrency: number;
  readonly trafficLimit?: number;
  readonly crc: boolean;
  readonly overwrite: Overwrite;
  readonly dryRun: boolean;
  /** Base64 AES-256 key. */
  readonly sseCustomerKey?: string;
  readonly cache: boolean;
  readonly cacheKey?: string;
}

export const TRAFFIC_LIMIT_MIN = 819_200;
export const TRAFFIC_LIMIT_MAX = 838_860_800;
export const MiB = 1024 * 1024;
