// The inputs that say how a run reaches its servers and proves who it is, besides the bucket's keys:
// extra trusted CAs (`ca-cert`) and keyless credentials (`role-arn` and the rest, and the CLI's
// `--web-identity-token-file`). Pure: the CA file is read through the injected reader.
import path from 'node:path';
import type { CaCertificates, Credentials } from '../base/request.js';
import { CA_FILE_MAX_BYTES, parseCaCert } from './ca-cert.js';
import { InputError } from './errors.js';
import { CREDENTIAL_ENV, INPUTS, type InputReader, type InputSpec } from './inputs.js';
import type { KeylessCredentials } from './options.js';
import { parseText } from './parse-values.js';
import { parseKeyless, ROLE_INPUTS, type RoleInputs } from './role.js';

export interface NetworkContext {
  /** Absolute path `ca-cert` and `web-identity-token-file` are relative to. */
  readonly cwd: string;
  /** Environment: GITHUB_REPOSITORY / GITHUB_RUN_ID / GITHUB_RUN_ATTEMPT, and the credential variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a whole regular file of at most `maxBytes` (for `ca-cert`); needed only when that input is set. */
  readonly readFile?: ((absolutePath: string, maxBytes: number) => Uint8Array | string) | undefined;
}

/** The extra CAs `ca-cert` names, read and checked; undefined when it is not set. */
export function parseCaCertInput(get: InputReader, context: NetworkContext): CaCertificates | undefined {
  const value = get('ca-cert');
  if (value === undefined) return undefined;
  const readFile = context.readFile;
  if (readFile === undefined) throw new TypeError("ParseContext.readFile is needed to read 'ca-cert'");
  return parseCaCert(value, { cwd: context.cwd, readFile: (file) => readFile(file, CA_FILE_MAX_BYTES) });
}

/** Where the static keys come from, for the message that refuses them beside `role-arn`. */
function staticSource(get: InputReader, env: NetworkContext['env']): string | undefined {
  for (const name of ['secret-id', 'secret-key', 'session-token'] as const) {
    if (get(name) !== undefined) return `input '${name}'`;
  }
  for (const names of Object.values(CREDENTIAL_ENV)) {
    for (const name of names) if (env[name]?.trim()) return `env ${name}`;
  }
  return undefined;
}

/**
 * Keyless credentials, when `role-arn` (or another of their inputs) is set. Static keys beside them
 * are refused, whether inputs or environment variables: which of the two would sign the requests
 * is not a guess to make silently. An input equal to its action.yml default counts as not set (the
 * runner passes every default).
 */
export function parseKeylessInputs(
  get: InputReader,
  context: NetworkContext,
  credentials: Credentials | undefined,
): KeylessCredentials | undefined {
  const raw: RoleInputs = {};
  for (const name of ROLE_INPUTS) {
    const value = get(name);
    if (value !== undefined && value.trim() !== (INPUTS[name] as InputSpec).default) raw[name] = value;
  }
  const source = credentials === undefined ? undefined : staticSource(get, context.env);
  const keyless = parseKeyless(raw, {
    repository: context.env.GITHUB_REPOSITORY,
    runId: context.env.GITHUB_RUN_ID,
    runAttempt: context.env.GITHUB_RUN_ATTEMPT,
    hasStaticCredentials: credentials !== undefined,
    staticCredentialsSource: source,
  });
  const tokenFile = get('web-identity-token-file')?.trim();
  if (tokenFile === undefined) return keyless;
  parseText('web-identity-token-file', tokenFile, 'a path must not hold line breaks or control characters');
  if (keyless === undefined) {
    throw new InputError({
      input: 'web-identity-token-file',
      value: tokenFile,
      rule: "is used only with 'role-arn' (keyless credentials)",
      fix: "set 'role-arn' and 'provider-id' too, or remove 'web-identity-token-file'",
    });
  }
  if (raw.audience !== undefined) {
    throw new InputError({
      input: 'audience',
      value: raw.audience,
      rule: "applies only to the token the action asks GitHub for; a token file's audience is set where the token is made",
      fix: "remove 'audience', and ask your CI system for a token with that audience (GitLab: 'id_tokens: … aud:')",
    });
  }
  return { ...keyless, webIdentityTokenFile: path.resolve(context.cwd, tokenFile) };
}
