// Which library call takes which options, and the raw inputs a call's options stand for: each
// option's kind (text, size, date, …) and input name, so that one parser checks all three edges.
import { INPUT_NAMES, type InputName } from '../config/inputs.js';
import type { RawInputs } from '../config/parse.js';
import { CREDENTIAL_OPTIONS, credentialInputs } from './connection.js';
import { OptionError } from './errors.js';
import { inputText, type Kind } from './option-values.js';

/** Where the bucket is: what a link names itself. */
const BUCKET: Readonly<Record<string, Kind>> = {
  bucket: 'text',
  region: 'text',
  endpoint: 'text',
  accelerate: 'boolean',
};

/** How requests behave, to a bucket or to a link's server. */
const NETWORK: Readonly<Record<string, Kind>> = {
  retries: 'integer',
  timeout: 'duration',
  caCert: 'text',
};

const CONNECTION: Readonly<Record<string, Kind>> = { ...BUCKET, ...NETWORK };

/** How a download is carried out and where it goes, whatever its source. */
const TRANSFER_ONLY: Readonly<Record<string, Kind>> = {
  destination: 'text',
  partSize: 'size',
  concurrency: 'concurrency',
  trafficLimit: 'integer',
  crc: 'boolean',
  fsync: 'boolean',
  overwrite: 'text',
  dryRun: 'boolean',
  sseCustomerKey: 'text',
};

const TRANSFER: Readonly<Record<string, Kind>> = { ...CONNECTION, ...TRANSFER_ONLY };

const CONDITIONS: Readonly<Record<string, Kind>> = {
  ifMatch: 'text',
  ifNoneMatch: 'text',
  ifModifiedSince: 'date',
  ifUnmodifiedSince: 'date',
};

const RESPONSE_OVERRIDES: Readonly<Record<string, Kind>> = {
  responseCacheControl: 'text',
  responseContentDisposition: 'text',
  responseContentEncoding: 'text',
  responseContentLanguage: 'text',
  responseContentType: 'text',
  responseExpires: 'text',
};

const OBJECT: Readonly<Record<string, Kind>> = {
  ...TRANSFER,
  key: 'text',
  versionId: 'text',
  range: 'text',
  ...CONDITIONS,
  ...RESPONSE_OVERRIDES,
};

/** {@link downloadObject} with `url`: a link names its server, object and signature itself. */
const LINK: Readonly<Record<string, Kind>> = { ...NETWORK, ...TRANSFER_ONLY, url: 'text', ...CONDITIONS };

const PRESIGN: Readonly<Record<string, Kind>> = {
  ...CONNECTION,
  key: 'text',
  versionId: 'text',
  trafficLimit: 'integer',
  expiresSeconds: 'integer',
  ...RESPONSE_OVERRIDES,
};

const PREFIX: Readonly<Record<string, Kind>> = {
  ...TRANSFER,
  prefix: 'text',
  include: 'globs',
  exclude: 'globs',
  delete: 'boolean',
  shard: 'shard',
};

/** Options that are not inputs: the library's own. */
const EXTRAS = new Set(['credentials', 'proxy', 'signal', 'logger', 'onStart', 'onBytes']);

/** The library option an input is, e.g. `part-size` → `partSize`, `secret-id` → `credentials.secretId`. */
export function optionName(input: InputName): string {
  if (input === 'expires') return 'expiresSeconds';
  return (
    CREDENTIAL_OPTIONS[input as InputName] ??
    input.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())
  );
}

const INPUT_OF = new Map<string, InputName>(INPUT_NAMES.map((input) => [optionName(input), input]));

/** Which call takes which options (`downloadObject` with `url` is a call of its own here). */
export type Operation = 'downloadObject' | 'mirrorPrefix' | 'presignUrl';

const OPTIONS_OF: Readonly<Record<Operation, Readonly<Record<string, Kind>>>> = {
  downloadObject: OBJECT,
  mirrorPrefix: PREFIX,
  presignUrl: PRESIGN,
};

/** A link to download: `downloadObject` with `url`. */
function isLinkDownload(operation: Operation, options: object): boolean {
  return operation === 'downloadObject' && (options as { url?: unknown }).url !== undefined;
}

/** The raw inputs the options stand for; throws an OptionError for an unknown option or a wrong type. */
export function rawInputsFor(operation: Operation, options: object): RawInputs {
  const link = isLinkDownload(operation, options);
  const kinds = link ? LINK : OPTIONS_OF[operation];
  const raw: RawInputs = {};
  for (const [option, value] of Object.entries(options)) {
    if (EXTRAS.has(option) && !(link && option === 'credentials')) continue;
    const kind = kinds[option];
    const input = INPUT_OF.get(option);
    if (link && kind === undefined && OBJECT[option] !== undefined) {
      const rule =
        option === 'key'
          ? "exactly one of 'key' and 'url' says what to download"
          : "does not go with 'url': a link names its server, object, version and signature itself";
      throw new OptionError({
        option,
        message: `Option '${option}' ${rule}. Fix: remove it.`,
        rule,
        fix: 'remove it',
      });
    }
    if (kind === undefined || input === undefined) {
      const other = operation === 'downloadObject' ? 'mirrorPrefix' : 'downloadObject';
      const elsewhere = OPTIONS_OF[other][option] !== undefined;
      const rule = elsewhere
        ? `is an option of ${other}, not of ${operation}`
        : `is not an option of ${operation}`;
      const fix = elsewhere
        ? `remove it, or call ${other}`
        : 'remove it, or check its spelling (options are camelCase)';
      throw new OptionError({ option, message: `Option '${option}' ${rule}. Fix: ${fix}.`, rule, fix });
    }
    if (value === undefined) continue;
    raw[input] = inputText(option, kind, value);
  }
  const required = link ? 'url' : operation === 'mirrorPrefix' ? 'prefix' : 'key';
  if ((raw[required] ?? '').trim() === '') {
    const rule = {
      url: 'required: the link to download',
      key:
        operation === 'presignUrl' ? 'required: the object to link to' : 'required: the object to download',
      prefix: "required: the prefix to mirror ('/' = the whole bucket)",
    }[required];
    const fix =
      required === 'prefix'
        ? "e.g. prefix: 'build-cache/'"
        : required === 'url'
          ? 'pass the whole link'
          : "e.g. key: 'releases/app.tar.gz'";
    throw new OptionError({
      option: required,
      message: `Option '${required}' (not set): ${rule}. Fix: ${fix}.`,
      rule,
      fix,
    });
  }
  if (link) return raw;
  return { ...raw, ...credentialInputs((options as { credentials?: unknown }).credentials) };
}
