// The names users type: action inputs (kebab-case) and CLI flags (`--name`). One table, so the
// action, the CLI, action.yml and the README cannot drift apart (a test holds them together).

export interface InputSpec {
  readonly description: string;
  /** Default as action.yml declares it; absent = no default. */
  readonly default?: string;
  /** Secret values are masked and never echoed in messages. */
  readonly secret?: boolean;
  /** Only a CLI flag / library option, not an action input. */
  readonly cliOnly?: boolean;
}

export const INPUTS = {
  bucket: {
    description: 'Bucket name with APPID, e.g. `examplebucket-1250000000`. Required, unless `url` is given.',
  },
  region: {
    description: 'Region, e.g. `ap-guangzhou`. Required unless `endpoint` is a URL without `{region}`.',
  },
  endpoint: {
    description:
      'Base URL; may hold `{bucket}` and `{region}`. Default `https://{bucket}.cos.{region}.myqcloud.com`. ' +
      'A plain URL (e.g. `http://127.0.0.1:9000`) is used as is.',
  },
  accelerate: {
    description: '`true` uses the global acceleration domain `{bucket}.cos.accelerate.myqcloud.com`.',
    default: 'false',
  },
  'secret-id': {
    description:
      'SecretId. Falls back to env `TENCENTCLOUD_SECRET_ID`, then `COS_SECRET_ID`; none → anonymous.',
    secret: true,
  },
  'secret-key': {
    description: 'SecretKey. Falls back to env `TENCENTCLOUD_SECRET_KEY`, then `COS_SECRET_KEY`.',
    secret: true,
  },
  'session-token': {
    description: 'Session token of temporary credentials. Falls back to env `TENCENTCLOUD_SESSION_TOKEN`.',
    secret: true,
  },
  'role-arn': {
    description:
      'Keyless credentials: the CAM role to assume with the job’s OIDC token through STS ' +
      '(`qcs::cam::uin/<account>:roleName/<name>`). Excludes `secret-id` / `secret-key` and their env variables.',
  },
  'provider-id': {
    description: 'The CAM OIDC identity provider the role trusts (required with `role-arn`).',
  },
  'role-session-name': {
    description:
      'Session name of the assumed role (2..128 of letters, digits, `+=,.@_-`). Default: from the repository and run id.',
  },
  'role-duration': {
    description: 'Lifetime of the temporary credentials in seconds (900..43200); renewed before they expire.',
    default: '3600',
  },
  audience: {
    description: 'The `aud` of the GitHub OIDC token; the client ID the CAM identity provider expects.',
    default: 'sts.tencentcloudapi.com',
  },
  'sts-endpoint': {
    description: 'The STS endpoint that takes the OIDC token (https).',
    default: 'https://sts.tencentcloudapi.com',
  },
  'web-identity-token-file': {
    description:
      'A file holding the OIDC token (GitLab `id_tokens`, other CI systems), read again at each renewal (with `role-arn`).',
    cliOnly: true,
  },
  key: { description: 'One object to download. Exactly one of `key` / `prefix` / `url`.' },
  prefix: { description: 'Mirror every object under this prefix (`/` = the whole bucket).' },
  url: {
    description:
      'Download this link instead: a presigned COS URL, or any HTTPS URL of a server that honours ranges. ' +
      'No bucket or credentials needed. A link is a credential: masked, never shown.',
    secret: true,
  },
  destination: {
    description:
      'File (for `key` or `url`; an existing folder or a path ending in `/` takes the key’s base name, or the ' +
      'link’s file name) or folder (for `prefix`), relative to the workspace. Default: that name / the workspace.',
  },
  'version-id': { description: 'Download this version of `key`.' },
  range: { description: '`bytes=first-last`, `bytes=first-` or `bytes=-suffix` (with `key`).' },
  'if-match': { description: 'Download only if the ETag matches (else fail: 412).' },
  'if-none-match': { description: 'Download only if the ETag differs (else `not-modified=true`).' },
  'if-modified-since': {
    description:
      'Download only if modified after this date (HTTP date or ISO 8601; else `not-modified=true`).',
  },
  'if-unmodified-since': {
    description: 'Download only if not modified after this date (else fail: 412).',
  },
  include: { description: 'Newline-separated globs on the key relative to `prefix`; only matching keys.' },
  exclude: {
    description: 'Newline-separated globs on the key relative to `prefix`; matching keys are left out.',
  },
  'part-size': {
    description:
      'Multipart threshold and part size: `512KiB`, `8MiB`, `1GiB`, or a plain number of MiB (min 512KiB, max 5GiB).',
    default: '20MiB',
  },
  concurrency: {
    description:
      'Requests in flight at once, across objects and parts (1..64); `auto`: from the CPU count, 16 a core for small objects (32..64) and 4 a core for a large object’s parts (8..32).',
    default: 'auto',
  },
  'traffic-limit': {
    description: '`x-cos-traffic-limit` in bit/s per request (819200..838860800).',
  },
  crc: { description: 'Verify every byte against the object’s CRC64.', default: 'true' },
  fsync: {
    description:
      'Make files and folders durable (fsync) before each rename and before the manifest, for power loss; off, like curl, rclone and the SDKs.',
    default: 'false',
  },
  overwrite: {
    description: '`changed` (skip files that match the remote), `always`, or `never`.',
    default: 'changed',
  },
  delete: {
    description:
      'Remove files this tool wrote into `destination` (its manifest says so) that the prefix no longer ' +
      'holds, and folders that leaves empty; files it did not write are kept (with `prefix`).',
    default: 'false',
  },
  'allow-empty': {
    description:
      'A prefix that lists no object succeeds with 0 files; by default it fails, naming the prefix (with `prefix`).',
    default: 'false',
  },
  'dry-run': {
    description: 'List what would be downloaded, skipped and deleted; write nothing.',
    default: 'false',
  },
  shard: { description: '`i/n` (1 ≤ i ≤ n): take only this job’s share of the keys (matrix fan-out).' },
  'sse-customer-key': { description: 'Base64 AES-256 key for SSE-C objects.', secret: true },
  retries: { description: 'Retries per request for transient failures (0..20).', default: '5' },
  timeout: {
    description: 'Idle timeout per request: seconds, or with a unit (`500ms`, `30s`, `2m`).',
    default: '60s',
  },
  'ca-cert': {
    description:
      'A PEM file of extra CAs to trust besides the system ones (a TLS-inspecting proxy, a private endpoint), relative to the workspace.',
  },
  cache: { description: 'Keep the mirror in the GitHub Actions cache (with `prefix`).', default: 'false' },
  'cache-key': { description: 'Extra text mixed into the cache key.' },
  presign: {
    description:
      '`true` with `key`: make a temporary link to the object (outputs `url`, `url-expires-at`) and download nothing.',
    default: 'false',
  },
  expires: {
    description:
      'How long a link made by `presign` stays valid: `1h` (default), `30m`, `600` (seconds), `2h30m`; 1s..7d.',
  },
  'response-cache-control': { description: 'Override `Cache-Control` of the response.', cliOnly: true },
  'response-content-disposition': { description: 'Override `Content-Disposition`.', cliOnly: true },
  'response-content-encoding': { description: 'Override `Content-Encoding`.', cliOnly: true },
  'response-content-language': { description: 'Override `Content-Language`.', cliOnly: true },
  'response-content-type': { description: 'Override `Content-Type`.', cliOnly: true },
  'response-expires': { description: 'Override `Expires`.', cliOnly: true },
} as const satisfies Record<string, InputSpec>;

export type InputName = keyof typeof INPUTS;

/** Reads one input by name; blank and unset are both undefined. */
export type InputReader = (name: InputName) => string | undefined;

export const INPUT_NAMES = Object.keys(INPUTS) as InputName[];

/** Whether an input's value (as an InputReader gives it) is set to something other than its default. */
export function differsFromDefault(name: InputName, value: string | undefined): value is string {
  const fallback = (INPUTS[name] as InputSpec).default ?? '';
  return value !== undefined && value.trim().toLowerCase() !== fallback.toLowerCase();
}

export const ACTION_INPUT_NAMES = INPUT_NAMES.filter((name) => !(INPUTS[name] as InputSpec).cliOnly);

export const OUTPUTS = {
  etag: 'ETag of the object (single object).',
  'version-id': 'Version ID of the object, when versioned.',
  crc64: 'CRC64 (decimal) of the whole object, as COS reports it.',
  'content-length': 'Bytes written for the object (the range length for a ranged download).',
  'last-modified': 'Last-Modified of the object (ISO 8601).',
  'storage-class': 'Storage class of the object (`STANDARD` when COS omits it).',
  path: 'Absolute path of the downloaded file (or folder, for a prefix).',
  'not-modified': '`true` when a conditional GET answered 304 and nothing was written.',
  'files-downloaded': 'Files downloaded (prefix; 0 in a dry run).',
  'files-skipped': 'Files skipped because unchanged (prefix).',
  'files-deleted': 'Local files deleted by `delete` (prefix; 0 in a dry run).',
  'bytes-downloaded':
    'Bytes this run fetched from COS, for an object or a prefix (0 in a dry run; bytes a resume kept are not counted).',
  manifest: 'Path of the JSON manifest: key, etag, version-id, crc64, size, local path (prefix).',
  'cache-hit': '`true`, `partial` or `false` (with `cache`).',
  'would-download': 'Dry run only: files (or the one object) that would be downloaded.',
  'would-download-bytes': 'Dry run only: bytes that would be downloaded.',
  'would-delete': 'Dry run only: local files `delete` would remove (prefix).',
  url: 'The temporary link `presign` made: a credential, masked in logs (use it in this job’s later steps).',
  'url-expires-at': 'When the link `presign` made expires (ISO 8601).',
} as const;

export type OutputName = keyof typeof OUTPUTS;

/** Environment variables read for credentials, in order of preference. */
export const CREDENTIAL_ENV = {
  secretId: ['TENCENTCLOUD_SECRET_ID', 'COS_SECRET_ID'],
  secretKey: ['TENCENTCLOUD_SECRET_KEY', 'COS_SECRET_KEY'],
  sessionToken: ['TENCENTCLOUD_SESSION_TOKEN'],
} as const;
