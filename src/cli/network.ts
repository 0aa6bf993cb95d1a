// The CLI's network settings: proxies from its environment, and for keyless credentials the OIDC
// token of `--web-identity-token-file` (GitLab's `id_tokens`, other CI systems' token files), read
// again at every renewal because such files are rotated.
import { readFile } from 'node:fs/promises';
import { InputError } from '../config/errors.js';
import type { Options } from '../config/options.js';
import type { RunDeps } from '../core/download.js';
import { proxySettingsFrom, type WebIdentityTokenSource } from '../core/network.js';

const TOKEN_FIX =
  "give the path of the file your CI system writes the OIDC token to (GitLab: an 'id_tokens' variable " +
  'written to a file, e.g. echo "$COS_ID_TOKEN" > token.jwt)';

function readRule(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'the file cannot be read (permission denied)';
    case 'EISDIR':
      return 'this is a folder, not a file';
    default:
      return `the file cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}

/** Reads the token file (trimmed) on every call; each failure is one InputError naming the flag. */
export function tokenFileReader(file: string): WebIdentityTokenSource {
  return async () => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error: unknown) {
      throw new InputError({
        input: 'web-identity-token-file',
        value: file,
        rule: readRule(error),
        fix: TOKEN_FIX,
        cause: error,
      });
    }
    const token = text.trim();
    if (token === '') {
      throw new InputError({
        input: 'web-identity-token-file',
        value: file,
        rule: 'the file is empty',
        fix: TOKEN_FIX,
      });
    }
    return token;
  };
}

/**
 * What the core takes from the CLI's environment: the proxy settings, and the token source of
 * keyless credentials. The token file is read once here, so a missing or empty one is a usage
 * error before any request.
 */
export async function networkDeps(
  options: Pick<Options, 'keyless'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Pick<RunDeps, 'proxy' | 'webIdentityToken'>> {
  const proxy = proxySettingsFrom(env);
  const keyless = options.keyless;
  if (keyless === undefined) return { proxy };
  const file = keyless.webIdentityTokenFile;
  if (file === undefined) {
    throw new InputError({
      input: 'web-identity-token-file',
      rule: "required with 'role-arn': outside GitHub Actions the CLI reads the OIDC token from a file",
      fix: `${TOKEN_FIX}, or leave 'role-arn' out and pass keys`,
    });
  }
  const webIdentityToken = tokenFileReader(file);
  await webIdentityToken();
  return { proxy, webIdentityToken };
}
