// Temporary links in the library: `presignUrl` makes one, and `downloadObject({ url })` downloads one
// (its options are here; the download itself is download.ts's). Checked by the parsers of
// `cos-download presign` and `--url`, run by the core.
import { InputError } from '../config/errors.js';
import type { PresignOptions } from '../config/options.js';
import { parsePresignOptions } from '../config/parse-presign.js';
import { presign } from '../core/presign.js';
import type { Credentials, CredentialsProvider, WebIdentityCredentials } from './connection.js';
import { connectionDeps, isProvider } from './connection.js';
import { rawInputsFor } from './option-inputs.js';
import {
  asOptionError,
  type ConnectionOptions,
  coreLogger,
  LIBRARY_CONTEXT,
  type TransferOptions,
  withOptionErrors,
} from './options.js';

/**
 * Options of {@link downloadObject} for a link: a presigned URL (made by {@link presignUrl}, the COS
 * console's "Copy Temporary Link", the SDK's `getObjectUrl`), or any HTTPS URL of a server that
 * honours ranges. No bucket and no credentials: the link names its server and object, and carries
 * its signature. It is a credential: no message, result or checkpoint shows more than its origin
 * and path.
 */
export interface DownloadLinkOptions
  extends Omit<TransferOptions, 'bucket' | 'region' | 'endpoint' | 'accelerate' | 'credentials'> {
  /** The link. https, or http to this machine only; no `user:password@`. */
  readonly url: string;
  /** Download only if the ETag matches; otherwise the call fails (412). */
  readonly ifMatch?: string | undefined;
  /** Download only if the ETag differs; otherwise `notModified: true` and nothing is written. */
  readonly ifNoneMatch?: string | undefined;
  /** Download only if modified after this time; otherwise `notModified: true`. */
  readonly ifModifiedSince?: Date | string | undefined;
  /** Download only if not modified after this time; otherwise the call fails (412). */
  readonly ifUnmodifiedSince?: Date | string | undefined;
}

/** Options of {@link presignUrl}. */
export interface PresignUrlOptions extends Omit<ConnectionOptions, 'credentials'> {
  /**
   * What signs the link: a key, a provider of yours, or a role to assume. With temporary credentials
   * the link dies with them: a link from STS lasts at most as long as its credentials.
   */
  readonly credentials: Credentials | CredentialsProvider | WebIdentityCredentials;
  /** The object's key, e.g. `releases/app-1.4.2.tar.gz`. */
  readonly key: string;
  /** A link to this version of the object. */
  readonly versionId?: string | undefined;
  /**
   * How long the link stays valid, in seconds, 1..604800 (7 days). Default 3600, as the console's
   * "Copy Temporary Link". With temporary credentials that expire sooner, the default is shortened to
   * their lifetime; a value given explicitly is refused instead (an OptionError).
   */
  readonly expiresSeconds?: number | undefined;
  /** `x-cos-traffic-limit` signed into the link, in bit/s (819200..838860800): every download with it is limited. */
  readonly trafficLimit?: number | undefined;
  /** `response-cache-control` signed into the link. */
  readonly responseCacheControl?: string | undefined;
  /** `response-content-disposition` signed into the link, e.g. `attachment; filename="app.tar.gz"`. */
  readonly responseContentDisposition?: string | undefined;
  /** `response-content-encoding` signed into the link. */
  readonly responseContentEncoding?: string | undefined;
  /** `response-content-language` signed into the link. */
  readonly responseContentLanguage?: string | undefined;
  /** `response-content-type` signed into the link. */
  readonly responseContentType?: string | undefined;
  /** `response-expires` signed into the link. */
  readonly responseExpires?: string | undefined;
}

/** What {@link presignUrl} resolves to. */
export interface PresignUrlResult {
  /** The link: a credential (whoever holds it can read the object until `expiresAt`). Never log it. */
  readonly url: string;
  /** The end of its window: after this second COS answers 403 "Request has expired". */
  readonly expiresAt: Date;
  /** How long it is valid, in seconds: `expiresSeconds`, or less when temporary credentials expire sooner. */
  readonly expiresSeconds: number;
  /** The object's key. */
  readonly key: string;
  /** The version the link is to, when one was asked for. */
  readonly versionId?: string;
}

/** The options of {@link presignUrl}, checked by the parser of `cos-download presign`. */
function parseLibraryPresign(options: object): PresignOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('presignUrl takes an options object');
  const raw = rawInputsFor('presignUrl', options);
  const credentialsProvided = isProvider((options as { credentials?: unknown }).credentials);
  try {
    return parsePresignOptions(raw, { cwd: process.cwd(), ...LIBRARY_CONTEXT }, { credentialsProvided });
  } catch (error: unknown) {
    if (error instanceof InputError) throw asOptionError(error, options);
    throw error;
  }
}

/**
 * Makes a temporary link to one object: a presigned GET URL with the COS signature in its query
 * string, as the console's "Copy Temporary Link" makes them. Anyone holding it can download the
 * object (with a browser, curl, or {@link downloadObject}'s `url`) until it expires; `versionId`,
 * `trafficLimit` and the `response*` overrides are signed into it, so none can be changed. With
 * temporary credentials it carries their session token, and dies with them.
 *
 * It returns an object, not the bare URL, because the link's real end (`expiresAt`) may come sooner
 * than asked (temporary credentials) and is what a caller passes on beside the link.
 *
 * @example
 * ```ts
 * const { url, expiresAt } = await presignUrl({
 *   bucket: 'examplebucket-1250000000',
 *   region: 'ap-guangzhou',
 *   credentials: { secretId, secretKey },
 *   key: 'releases/app-1.4.2.tar.gz',
 *   expiresSeconds: 3600,
 * });
 * ```
 *
 * @param options - The bucket, the credentials and the key; the rest is optional.
 * @returns The link and when it expires.
 * @throws {@link OptionError} for a bad option, before any request (or, with a role to assume, an
 * `expiresSeconds` longer than the temporary credentials last).
 */
export async function presignUrl(options: PresignUrlOptions): Promise<PresignUrlResult> {
  const parsed = parseLibraryPresign(options);
  const { proxy, webIdentityToken, client } = connectionDeps(options);
  const result = await withOptionErrors(options, () =>
    presign(parsed, {
      logger: coreLogger(options.logger),
      proxy,
      webIdentityToken,
      credentials: client?.credentials,
      signal: options.signal,
    }),
  );
  return {
    url: result.url,
    expiresAt: result.expiresAt,
    expiresSeconds: result.expiresSeconds,
    key: result.key,
    ...(result.versionId === undefined ? {} : { versionId: result.versionId }),
  };
}
