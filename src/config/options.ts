// The typed, frozen options the core runs on. Built once from raw inputs by `parse.ts`.
import type {
  ByteRange,
  CaCertificates,
  Conditions,
  Connection,
  Overwrite,
  ResponseOverrides,
  Shard,
} from '../base/request.js';
import type { KeylessOptions } from './role.js';

/**
 * Requests in flight at once, across objects and parts; `'auto'`: sized from the machine's CPU count
 * (core/download.ts `concurrencyFor`).
 */
export type Concurrency = number | 'auto';

export interface ObjectTarget {
  readonly kind: 'object';
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly range?: ByteRange | undefined;
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
  readonly shard?: Shard | undefined;
}

/** A link to download (`url`): a presigned URL, or any ranged-HTTPS URL, sent as it is. */
export interface LinkTarget {
  readonly kind: 'link';
  /** The link as given (trimmed): a credential, never shown. */
  readonly url: string;
  /** Origin and path: how messages, results and checkpoints name it. */
  readonly name: string;
  /** The last segment of the path, decoded: the file name a folder destination takes; absent when it is none. */
  readonly fileName?: string;
  /** Why the last segment is no file name, when it is not. */
  readonly fileNameProblem?: string;
  readonly conditions: Conditions;
}

/** Keyless credentials: a CAM role assumed with an OIDC token through STS, renewed before expiry. */
export interface KeylessCredentials extends KeylessOptions {
  /**
   * Absolute path of a file holding the OIDC token, read again at every renewal (the CLI's
   * `--web-identity-token-file`). Absent: the edge supplies the token (the action asks GitHub).
   */
  readonly webIdentityTokenFile?: string;
}

export interface Options {
  readonly connection: Connection;
  /** CAs trusted besides Node's default ones (`ca-cert`), for COS, STS and (in the action) the cache. */
  readonly caCert?: CaCertificates | undefined;
  /** Set by `role-arn`: `connection.credentials` is then absent, and every request is signed with STS's. */
  readonly keyless?: KeylessCredentials | undefined;
  /** For a link, `connection` has no bucket (`''`), its endpoint is the link's origin, and no credentials. */
  readonly target: ObjectTarget | PrefixTarget | LinkTarget;
  /** Absolute path. For an object or a link: the file (already resolved against an existing folder / trailing `/`). */
  readonly destination: string;
  readonly partSize: number;
  readonly concurrency: Concurrency;
  readonly trafficLimit?: number | undefined;
  readonly crc: boolean;
  /** fsync files and folders before each rename and the manifest. */
  readonly fsync: boolean;
  readonly overwrite: Overwrite;
  readonly dryRun: boolean;
  /** Base64 AES-256 key. */
  readonly sseCustomerKey?: string | undefined;
  readonly cache: boolean;
  readonly cacheKey?: string | undefined;
}

/** `presign: true` (or the CLI's `presign`): a temporary link to one object, nothing downloaded. */
export interface PresignOptions {
  /** Where the bucket is; `credentials` absent only with `keyless`. */
  readonly connection: Connection;
  readonly caCert?: CaCertificates | undefined;
  readonly keyless?: KeylessCredentials | undefined;
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly responseOverrides: ResponseOverrides;
  /** Signed into the link: every request made with it is limited. */
  readonly trafficLimit?: number | undefined;
  /** Validity in seconds. */
  readonly expiresSeconds: number;
  /** `expires` was given (not the 1 h default): with temporary credentials it is never shortened, only refused. */
  readonly expiresGiven: boolean;
}

export const TRAFFIC_LIMIT_MIN = 819_200;
export const TRAFFIC_LIMIT_MAX = 838_860_800;
export const MiB = 1024 * 1024;
