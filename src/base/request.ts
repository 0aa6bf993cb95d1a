// What a download asks for, in the pure types every layer shares: config builds them from the
// inputs, cos/ turns them into headers and query parameters, transfer/ carries them out. Types only.

/** Keys of a CAM user or role; temporary credentials add a session token. */
export interface Credentials {
  readonly secretId: string;
  readonly secretKey: string;
  readonly sessionToken?: string | undefined;
}

/** Where the bucket is and how requests to it behave. */
export interface Connection {
  readonly bucket: string;
  readonly region?: string | undefined;
  /** Resolved base URL, no trailing slash, e.g. `https://b-125.cos.ap-guangzhou.myqcloud.com`. */
  readonly endpoint: string;
  readonly credentials?: Credentials | undefined;
  readonly retries: number;
  readonly timeoutMs: number;
}

/** One HTTP byte range, as the `range` input states it. */
export type ByteRange =
  | { readonly kind: 'closed'; readonly first: number; readonly last: number }
  | { readonly kind: 'from'; readonly first: number }
  | { readonly kind: 'suffix'; readonly length: number };

export interface Conditions {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: Date | undefined;
  readonly ifUnmodifiedSince?: Date | undefined;
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

/** What to do with a local file that already exists. */
export type Overwrite = 'changed' | 'always' | 'never';

/** `i/n`: this job takes the keys whose stable hash lands in bucket `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Extra trusted CAs (the `ca-cert` input): the file as given, and one PEM block per certificate. */
export interface CaCertificates {
  /** The path as given (for messages). */
  readonly path: string;
  /** One PEM block per certificate, in file order. */
  readonly pems: readonly string[];
}
