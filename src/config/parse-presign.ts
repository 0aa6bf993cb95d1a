// `presign: true` (the action) and `cos-download presign` (the CLI): the inputs of a temporary link
// to one object — where the bucket is, what signs the link, which object and version, the response
// overrides and traffic limit signed into it, and how long it lasts. Inputs that only a download
// uses are refused by name, so no one expects `presign` to download too.

import { resolveEndpoint } from './endpoint.js';
import { InputError } from './errors.js';
import { EXPIRES_DEFAULT_SECONDS, formatExpires, parseExpires } from './expires.js';
import { differsFromDefault, INPUTS, type InputName, type InputSpec } from './inputs.js';
import type { PresignOptions } from './options.js';
import { deepFreeze, inputReader, type ParseContext, type RawInputs, RETRIES_RANGE } from './parse.js';
import { parseCredentials } from './parse-credentials.js';
import { parseCaCertInput, parseKeylessInputs } from './parse-network.js';
import { parseInteger, parseTimeout, parseTrafficLimit } from './parse-numbers.js';
import { parseObjectTarget } from './parse-target.js';
import { BUCKET_FIX, parseBoolean, parseBucket, parseRegion } from './parse-values.js';

/** Inputs only a download uses: refused with `presign` when set to anything but their default. */
const DOWNLOAD_ONLY = [
  'destination',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'include',
  'exclude',
  'part-size',
  'concurrency',
  'crc',
  'overwrite',
  'delete',
  'allow-empty',
  'dry-run',
  'shard',
  'cache',
  'cache-key',
] as const satisfies readonly InputName[];

/** Whether the inputs ask for a link (`presign: true`) rather than a download. */
export function wantsPresign(raw: RawInputs): boolean {
  const text = inputReader(raw)('presign');
  return text === undefined ? false : parseBoolean('presign', text);
}

function defaultOf(name: InputName): string {
  return (INPUTS[name] as InputSpec).default ?? '';
}

/**
 * Parses and checks the inputs of a link; returns PresignOptions or throws the first InputError.
 * `credentialsProvided`: the caller signs with credentials of its own (the library's provider).
 */
export function parsePresignOptions(
  raw: RawInputs,
  context: ParseContext,
  caller: { readonly credentialsProvided?: boolean } = {},
): PresignOptions {
  const get = inputReader(raw);
  const presign = get('presign');
  if (presign !== undefined && !parseBoolean('presign', presign)) {
    throw new InputError({
      input: 'presign',
      value: presign,
      rule: 'making a link is what this is for',
      fix: "remove 'presign', or download instead",
    });
  }
  const bucketText = get('bucket');
  if (bucketText === undefined) {
    throw new InputError({
      input: 'bucket',
      rule: 'required: the bucket of the object to link to',
      fix: BUCKET_FIX,
    });
  }
  const bucket = parseBucket(bucketText);
  const link = get('url');
  if (link !== undefined) {
    throw new InputError({
      input: 'url',
      value: link,
      rule: "'presign' makes a link, 'url' downloads one: they do not go together",
      fix: "remove 'url' to make a link to 'key', or remove 'presign' to download the link",
    });
  }
  const prefix = get('prefix');
  if (prefix !== undefined) {
    throw new InputError({
      input: 'prefix',
      value: prefix,
      rule: "a link is to one object, and a prefix holds many ('presign' is set)",
      fix: "link to one object with 'key', or mirror the prefix without 'presign'",
    });
  }
  const key = get('key');
  if (key === undefined) {
    throw new InputError({
      input: 'key',
      rule: 'required with presign: the object the link is to',
      fix: "set 'key', e.g. 'releases/app.tar.gz'",
    });
  }
  for (const name of DOWNLOAD_ONLY) {
    const value = get(name);
    if (!differsFromDefault(name, value)) continue;
    throw new InputError({
      input: name,
      value,
      rule: "is a download option, and 'presign' downloads nothing",
      fix: `remove '${name}', or download without 'presign'`,
    });
  }
  const sse = get('sse-customer-key');
  if (sse !== undefined) {
    throw new InputError({
      input: 'sse-customer-key',
      value: sse,
      rule: 'an SSE-C key travels in request headers, which a link cannot carry',
      fix: "remove it: whoever downloads the link passes the key ('sse-customer-key' with 'url')",
    });
  }
  const target = parseObjectTarget(get, key);

  const regionText = get('region');
  const region = regionText === undefined ? undefined : parseRegion(regionText);
  const accelerate = parseBoolean('accelerate', get('accelerate') ?? defaultOf('accelerate'));
  const endpoint = resolveEndpoint({ bucket, region, endpoint: get('endpoint')?.trim(), accelerate });
  const credentials = parseCredentials(get, context.env);
  const keyless = parseKeylessInputs(get, context, credentials);
  if (credentials === undefined && keyless === undefined && caller.credentialsProvided !== true) {
    throw new InputError({
      input: 'secret-id',
      rule: 'a link is signed with credentials, and none were given',
      fix:
        "set 'secret-id' and 'secret-key' (or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), " +
        "or 'role-arn' for keyless credentials",
    });
  }
  const caCert = parseCaCertInput(get, context);
  const trafficText = get('traffic-limit');
  const trafficLimit = trafficText === undefined ? undefined : parseTrafficLimit(trafficText);
  const expiresText = get('expires');
  const expiresSeconds = expiresText === undefined ? EXPIRES_DEFAULT_SECONDS : parseExpires(expiresText);
  if (keyless !== undefined && expiresText !== undefined && expiresSeconds > keyless.durationSeconds) {
    // A link dies with the temporary credentials that sign it, and STS issues them for role-duration.
    throw new InputError({
      input: 'expires',
      value: expiresText,
      rule: `outlives the temporary credentials that sign the link (role-duration: ${keyless.durationSeconds} s), and the link dies with them`,
      fix: `set 'expires' to at most '${formatExpires(keyless.durationSeconds)}', or raise 'role-duration' (up to 43200)`,
    });
  }
  const options: PresignOptions = {
    connection: {
      bucket,
      region,
      endpoint,
      credentials,
      retries: parseInteger(
        'retries',
        get('retries') ?? defaultOf('retries'),
        RETRIES_RANGE.min,
        RETRIES_RANGE.max,
      ),
      timeoutMs: parseTimeout(get('timeout') ?? defaultOf('timeout')),
    },
    caCert,
    keyless,
    key: target.key,
    versionId: target.versionId,
    responseOverrides: target.responseOverrides,
    trafficLimit,
    expiresSeconds,
    expiresGiven: expiresText !== undefined,
  };
  return deepFreeze(options);
}
