// `presign: true`: make a temporary link and set it as the outputs `url` and `url-expires-at`;
// download nothing. The link is a credential: its signature, key id and token are masked before
// the output is set, and no log line or summary holds it.
import { errorMessage } from '../base/error-message.js';
import type { Clock, Logger } from '../base/runtime.js';
import type { ParseContext, RawInputs } from '../config/parse.js';
import { parsePresignOptions } from '../config/parse-presign.js';
import type { ProxySettings } from '../core/network.js';
import { describePresign, linkSecrets, presign, presignOutputs, presignSummary } from '../core/presign.js';
import type { ActionCore } from './core.js';
import { githubIdToken, requireIdTokenRequest } from './oidc.js';

export interface PresignStep {
  readonly core: ActionCore;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly context: ParseContext;
  readonly proxy: ProxySettings;
  readonly signal: AbortSignal;
  readonly clock?: Clock | undefined;
}

export async function runPresign(raw: RawInputs, step: PresignStep): Promise<void> {
  const { core, env } = step;
  const options = parsePresignOptions(raw, step.context);
  // Before any request: a job without `permissions: id-token: write` gets one line saying so.
  if (options.keyless !== undefined) requireIdTokenRequest(env);
  const logger: Logger = {
    debug: (m) => core.debug(m),
    info: (m) => core.info(m),
    warning: (m) => core.warning(m),
  };
  const result = await presign(options, {
    logger,
    signal: step.signal,
    proxy: step.proxy,
    mask: (secret) => core.setSecret(secret),
    clock: step.clock,
    webIdentityToken:
      options.keyless === undefined ? undefined : githubIdToken(core, env, options.keyless.audience),
  });
  // An output is no log, but a later step may echo it: masked first, so the runner hides it there too.
  for (const secret of linkSecrets(result.url)) core.setSecret(secret);
  for (const [name, value] of Object.entries(presignOutputs(result))) core.setOutput(name, value);
  core.info(describePresign(result));
  await core.writeSummary([presignSummary(result)]).catch((error: unknown) => {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`);
  });
}
