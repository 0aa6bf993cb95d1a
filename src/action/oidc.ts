// The GitHub OIDC token keyless credentials are assumed with. The runner offers one only to jobs with
// `permissions: id-token: write`; without it, say so in one line instead of letting
// `core.getIDToken` fail with "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable".
import { errorMessage } from '../base/error-message.js';

export const ID_TOKEN_REQUEST_URL = 'ACTIONS_ID_TOKEN_REQUEST_URL';
export const ID_TOKEN_REQUEST_TOKEN = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN';

const PERMISSIONS_FIX =
  'add `permissions: id-token: write` (and `contents: read`) to the job or the workflow; a pull request ' +
  'from a fork gets no token. Outside GitHub Actions, give the CLI --web-identity-token-file';

/** Keyless credentials cannot start: no OIDC token can be had. One line. */
export class OidcUnavailableError extends Error {
  override readonly name = 'OidcUnavailableError';
}

/**
 * Throws an OidcUnavailableError unless the runner offers an OIDC token to this job (both request
 * variables set). Pure: `env` is the step's environment.
 */
export function requireIdTokenRequest(env: Readonly<Record<string, string | undefined>>): void {
  const missing = [ID_TOKEN_REQUEST_URL, ID_TOKEN_REQUEST_TOKEN].filter((name) => !env[name]);
  if (missing.length === 0) return;
  throw new OidcUnavailableError(
    `Input 'role-arn' needs a GitHub OIDC token, but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} ` +
      `not set: the job needs \`permissions: id-token: write\`. Fix: ${PERMISSIONS_FIX}`,
  );
}

/** The slice of @actions/core this needs. */
export interface IdTokenSource {
  getIDToken(audience?: string): Promise<string>;
}

/**
 * A function that gets a fresh token for `audience` on every call (keyless credentials ask again at
 * each renewal). Checks the environment first; a failure of the token service becomes one line.
 */
export function githubIdToken(
  core: IdTokenSource,
  env: Readonly<Record<string, string | undefined>>,
  audience: string,
): () => Promise<string> {
  return async () => {
    requireIdTokenRequest(env);
    try {
      return await core.getIDToken(audience);
    } catch (error: unknown) {
      throw new OidcUnavailableError(
        `Getting the GitHub OIDC token for audience '${audience}' failed (${errorMessage(error).replace(/\s+/g, ' ')}). ` +
          `Fix: check that the job has \`permissions: id-token: write\`, and that 'audience' is what the CAM identity provider expects`,
        { cause: error },
      );
    }
  };
}
