// Credentials: the `secret-id` / `secret-key` / `session-token` inputs, else the first family of
// environment variables in CREDENTIAL_ENV that is set, else anonymous. Keys come in pairs.
import type { Credentials } from '../base/request.js';
import { InputError } from './errors.js';
import { CREDENTIAL_ENV, type InputName, type InputReader } from './inputs.js';

/** Credentials go into headers: printable ASCII, no spaces. */
function parseCredential(name: InputName, text: string, source: string): string {
  const value = text.trim();
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new InputError({
      input: name,
      value,
      rule: `${source} must be printable ASCII without spaces`,
      fix: 'copy the value again from the Tencent Cloud console (CAM → API keys)',
    });
  }
  return value;
}

/** The credentials the inputs or the environment give, or undefined for anonymous access. */
export function parseCredentials(
  get: InputReader,
  env: Readonly<Record<string, string | undefined>>,
): Credentials | undefined {
  const fromEnv = (name: string | undefined): string | undefined => {
    const value = name === undefined ? undefined : env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  /** `sources` name where each value came from, for messages: `'secret-id'` or `env COS_SECRET_ID`. */
  const build = (
    id: string,
    key: string,
    token: string | undefined,
    sources: readonly [string, string, string],
  ) => ({
    secretId: parseCredential('secret-id', id, sources[0]),
    secretKey: parseCredential('secret-key', key, sources[1]),
    sessionToken: token === undefined ? undefined : parseCredential('session-token', token, sources[2]),
  });
  const token = get('session-token');
  const id = get('secret-id');
  const key = get('secret-key');
  if (id !== undefined || key !== undefined) {
    if (id === undefined || key === undefined) {
      const [given, missing]: [InputName, InputName] =
        id === undefined ? ['secret-key', 'secret-id'] : ['secret-id', 'secret-key'];
      throw new InputError({
        input: missing,
        rule: `required because '${given}' is set (keys come in pairs)`,
        fix: `set '${missing}' too, or remove '${given}' to use the environment or anonymous access`,
      });
    }
    return build(id, key, token, ["'secret-id'", "'secret-key'", "'session-token'"]);
  }
  const families = CREDENTIAL_ENV.secretId.length;
  for (let i = 0; i < families; i++) {
    const idVar = CREDENTIAL_ENV.secretId[i];
    const keyVar = CREDENTIAL_ENV.secretKey[i];
    const tokenVar: string | undefined = CREDENTIAL_ENV.sessionToken[i];
    const envId = fromEnv(idVar);
    const envKey = fromEnv(keyVar);
    if (envId === undefined && envKey === undefined) continue;
    if (envId === undefined || envKey === undefined) {
      const [setVar, missingVar] = envId === undefined ? [keyVar, idVar] : [idVar, keyVar];
      throw new InputError({
        input: envId === undefined ? 'secret-id' : 'secret-key',
        subject: `Environment variable ${setVar} is set but ${missingVar} is not`,
        rule: 'keys come in pairs',
        fix: `set ${missingVar} too, or pass 'secret-id' and 'secret-key'`,
      });
    }
    const envToken = token ?? fromEnv(tokenVar);
    const tokenSource = token === undefined ? `env ${tokenVar}` : "'session-token'";
    return build(envId, envKey, envToken, [`env ${idVar}`, `env ${keyVar}`, tokenSource]);
  }
  const strayToken =
    token !== undefined ? "'session-token'" : CREDENTIAL_ENV.sessionToken.find((v) => fromEnv(v));
  if (strayToken !== undefined) {
    throw new InputError({
      input: 'session-token',
      subject: `${token !== undefined ? "Input 'session-token'" : `Environment variable ${strayToken}`} is set without keys`,
      rule: "a session token works only with its 'secret-id' and 'secret-key' (temporary credentials come as three)",
      fix: "set 'secret-id' and 'secret-key' too, or remove the token for anonymous access",
    });
  }
  return undefined;
}
