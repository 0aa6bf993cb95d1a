// Making a temporary link: the credentials that sign it (keys, a provider of the caller's, or keyless
// credentials from STS, whose expiry bounds the link's), then the query-string signature of
// cos/presign.ts. Nothing is downloaded; the result maps to the outputs `url` and `url-expires-at`.
import { type Clock, type Logger, printable, silentLogger, systemClock } from '../base/runtime.js';
import { InputError } from '../config/errors.js';
import { formatExpires } from '../config/expires.js';
import type { OutputName } from '../config/inputs.js';
import type { PresignOptions } from '../config/options.js';
import { type CredentialsProvider, staticCredentials } from '../cos/credentials.js';
import { presignObjectUrl } from '../cos/presign.js';
import { type NetworkDeps, openNetwork } from './network.js';
import type { SummaryTable } from './summary.js';

export interface PresignDeps {
  readonly logger?: Logger | undefined;
  /** The link's window starts from this clock's now. */
  readonly clock?: Clock | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Proxy settings for STS (keyless credentials); the link itself makes no request. */
  readonly proxy?: NetworkDeps['proxy'] | undefined;
  /** With `options.keyless`: a fresh OIDC token (the action's GitHub token, a token file). */
  readonly webIdentityToken?: NetworkDeps['webIdentityToken'] | undefined;
  /** Registers a secret learnt on the way (OIDC token, temporary credentials) with the log masker. */
  readonly mask?: NetworkDeps['mask'] | undefined;
  /** Credentials of the caller's own (the library's `credentials: { current }`), instead of the options'. */
  readonly credentials?: CredentialsProvider | undefined;
}

export interface PresignResult {
  readonly key: string;
  readonly versionId?: string | undefined;
  /** The link: a credential. Never log it; mask `linkSecrets(url)` before it reaches any output. */
  readonly url: string;
  /** The end of its window: after this second COS answers 403 "Request has expired". */
  readonly expiresAt: Date;
  /** Its validity in seconds: the one asked for, or less when temporary credentials expire first. */
  readonly expiresSeconds: number;
}

/** How much shorter than an explicit `expires` temporary credentials may last before it is refused, not shortened. */
const MARGIN_SECONDS = 60;

/** Temporary credentials from STS carry their expiry (cos/credentials.ts `TemporaryCredentials`). */
function expiryOf(credentials: object): number | undefined {
  const expiresAt = (credentials as { readonly expiresAt?: unknown }).expiresAt;
  return typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : undefined;
}

/**
 * A temporary link to `options.key`. With temporary credentials that expire before the validity
 * asked for, the link would die with them: it is shortened to their lifetime, said in one line —
 * unless `expires` was given and they last more than a minute less, which is refused with an
 * InputError naming it (the parser refused already an `expires` past `role-duration`).
 */
export async function presign(options: PresignOptions, deps: PresignDeps = {}): Promise<PresignResult> {
  const clock = deps.clock ?? systemClock;
  const logger = printable(deps.logger ?? silentLogger);
  const network = openNetwork(options, { ...deps, logger, clock });
  try {
    const provider =
      deps.credentials ?? network.client.credentials ?? staticCredentials(options.connection.credentials);
    const credentials = await provider.current(deps.signal);
    if (credentials === undefined) {
      throw new Error(
        `presign '${options.key}': the credentials provider answered none, and a link must be signed`,
      );
    }
    let seconds = options.expiresSeconds;
    const expiresAt = expiryOf(credentials);
    const now = clock.now();
    if (expiresAt !== undefined && Math.floor((expiresAt - now) / 1000) < seconds) {
      const left = Math.floor((expiresAt - now) / 1000);
      const until = new Date(expiresAt).toISOString();
      // The parser refused an `expires` past role-duration; the seconds STS took are not the user's
      // to count, but a much shorter lifetime than asked for is.
      if (left < 1 || (options.expiresGiven && seconds - left > MARGIN_SECONDS)) {
        throw new InputError({
          input: 'expires',
          value: formatExpires(options.expiresSeconds),
          rule: `outlives the temporary credentials that sign the link (they expire at ${until}), and the link dies with them`,
          fix:
            left < 1
              ? 'run again for fresh credentials'
              : `set 'expires' to at most '${formatExpires(left)}', or raise 'role-duration' (up to 43200 seconds)`,
        });
      }
      logger.info(
        `The link lasts ${formatExpires(left)}, not ${formatExpires(seconds)}: the temporary credentials that sign it expire at ${until}`,
      );
      seconds = left;
    }
    const link = presignObjectUrl(
      {
        endpoint: options.connection.endpoint,
        credentials,
        key: options.key,
        versionId: options.versionId,
        responseOverrides: options.responseOverrides,
        trafficLimit: options.trafficLimit,
        expiresSeconds: seconds,
      },
      now,
    );
    return {
      key: options.key,
      versionId: options.versionId,
      url: link.url,
      expiresAt: link.expiresAt,
      expiresSeconds: seconds,
    };
  } finally {
    await network.close();
  }
}

/** The action's outputs of a link. */
export function presignOutputs(result: PresignResult): Partial<Record<OutputName, string>> {
  return { url: result.url, 'url-expires-at': result.expiresAt.toISOString() };
}

/** The line telling what was made; never the link itself. */
export function describePresign(result: PresignResult): string {
  const version = result.versionId === undefined ? '' : ` (version ${result.versionId})`;
  return `Made a link to '${result.key}'${version}, valid for ${formatExpires(result.expiresSeconds)}, until ${result.expiresAt.toISOString()}`;
}

/** The job summary of a link: what it opens and until when, never the link. */
export function presignSummary(result: PresignResult): SummaryTable {
  return {
    heading: 'COS link',
    header: ['Key', 'Version', 'Valid for', 'Expires at'],
    rows: [
      [
        result.key,
        result.versionId ?? '',
        formatExpires(result.expiresSeconds),
        result.expiresAt.toISOString(),
      ],
    ],
  };
}

/**
 * What a log masker must hide of a link — one made here, or the `url` input: the URL as given and
 * decoded, and each signature, key id or token in its query.
 */
export { linkSecrets } from '../cos/redact.js';
