// How one run reaches its servers and signs its requests: the proxy settings the edge read from its
// environment, the extra CAs of `ca-cert`, and for keyless runs an STS client whose temporary
// credentials sign every COS request, renewed before they expire. The edges reach this only
// through `download()`, plus the two proxy helpers re-exported here (they read no environment:
// the edge passes its own).
import type { Clock, Logger } from '../base/runtime.js';
import type { Options } from '../config/options.js';
import type { ClientDeps } from '../cos/client.js';
import type { TransportOptions } from '../cos/dispatcher.js';
import type { ProxySettings } from '../cos/proxy.js';
import { StsClient, stsCredentials } from '../cos/sts.js';

export { type ProxyEnv, type ProxySettings, proxySecrets, proxySettingsFrom } from '../cos/proxy.js';

/** A current OIDC token, asked for at every renewal: GitHub's (`core.getIDToken`), a token file's. */
export type WebIdentityTokenSource = (signal?: AbortSignal) => Promise<string>;

/** STS's `X-TC-Region` when the bucket's region is not known (an endpoint URL without one). */
export const DEFAULT_STS_REGION = 'ap-guangzhou';

export interface NetworkDeps {
  /** From `proxySettingsFrom(env)` at the edge; absent: every request goes direct. */
  readonly proxy?: ProxySettings | undefined;
  /** Needed when `options.keyless` is set. */
  readonly webIdentityToken?: WebIdentityTokenSource | undefined;
  /** Called with the OIDC token and each part of every temporary credential before use (`core.setSecret`). */
  readonly mask?: ((secret: string) => void) | undefined;
  readonly logger?: Logger | undefined;
  readonly clock?: Clock | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface Network {
  /** What the COS client takes from here: the transport, and the credentials of a keyless run. */
  readonly client: Pick<ClientDeps, 'transport' | 'credentials'>;
  /** Closes the STS client's connections (nothing to do without keyless credentials). */
  close(): Promise<void>;
}

/** The transport and credentials of one run. Throws the ProxyConfigError of an unusable proxy variable STS needs. */
export function openNetwork(
  options: Pick<Options, 'connection' | 'keyless' | 'caCert'>,
  deps: NetworkDeps,
): Network {
  const transport: TransportOptions = { proxy: deps.proxy, extraCa: options.caCert };
  const keyless = options.keyless;
  if (keyless === undefined) return { client: { transport }, close: async () => {} };
  const token = deps.webIdentityToken;
  if (token === undefined) {
    throw new TypeError(
      'download: options.keyless needs deps.webIdentityToken, the source of the OIDC token',
    );
  }
  const { logger, clock } = deps;
  const sts = new StsClient(
    {
      endpoint: keyless.stsEndpoint,
      region: options.connection.region ?? DEFAULT_STS_REGION,
      timeoutMs: options.connection.timeoutMs,
      transport,
    },
    { logger, clock },
  );
  const credentials = stsCredentials(
    { sts, role: keyless, webIdentityToken: token },
    { logger, clock, mask: deps.mask, signal: deps.signal },
  );
  return { client: { transport, credentials }, close: () => sts.close() };
}
