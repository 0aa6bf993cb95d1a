// `import … from 'cos-download'`: the library. Download one object (by key or by link) or mirror a
// prefix from Tencent Cloud COS, make temporary links, and start a local COS emulator to test against.
/**
 * Download from Tencent Cloud COS: one object, a byte range, a version, or a whole prefix mirrored
 * into a folder, resumable, parallel and CRC64-checked; make temporary links and download them with
 * the same engine; plus a local COS emulator for tests.
 *
 * @packageDocumentation
 */

// First: on a Node.js older than the HTTP client needs, fail with one line before it is loaded.
import './node-check.js';

export { LocalFileError } from '../base/local-errors.js';
// Failures of the layers below, thrown as they are.
export { CosError, type CosErrorDetails, NetworkError, ProtocolError, TlsError } from '../cos/errors.js';
export { LinkExpiredError } from '../cos/link.js';
export type { LinkWindow } from '../cos/presign.js';
export { IntegrityError, ObjectChangedError } from '../transfer/object-result.js';
export type {
  Credentials,
  CredentialsProvider,
  ProxyOptions,
  WebIdentityCredentials,
} from './connection.js';
export { downloadObject, mirrorPrefix } from './download.js';
export { type EmulatorHandle, type StartEmulatorOptions, startEmulator } from './emulator.js';
export { MirrorPrefixError, OptionError, type OptionProblem } from './errors.js';
export {
  type DownloadLinkOptions,
  type PresignUrlOptions,
  type PresignUrlResult,
  presignUrl,
} from './links.js';
export type {
  ConnectionOptions,
  DownloadObjectOptions,
  Logger,
  MirrorPrefixOptions,
  Shard,
  TransferOptions,
} from './options.js';
export type {
  CrcCheck,
  DownloadObjectResult,
  MirrorFileResult,
  MirrorPrefixResult,
  NotModifiedResult,
  ObjectResult,
  RefusedKey,
} from './results.js';
