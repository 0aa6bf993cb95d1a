// The action's edge: read inputs, mask secrets, call the core, set outputs, write the summary.

import { errorDetails, errorMessage } from '../base/error-message.js';
import { isDirectory, readRegularFile, realpathOf } from '../base/file-system.js';
import type { Clock, Logger } from '../base/runtime.js';
import { CREDENTIAL_ENV, INPUT_NAMES, INPUTS, type InputName, type InputSpec } from '../config/inputs.js';
import { type ParseContext, parseOptions, type RawInputs } from '../config/parse.js';
import { wantsPresign } from '../config/parse-presign.js';
import { type CacheStore, download } from '../core/download.js';
import { failureFacts, failureSummary } from '../core/failure.js';
import { type ProxySettings, proxySecrets, proxySettingsFrom } from '../core/network.js';
import { describeResult, outputsFor, summaryFor } from '../core/outputs.js';
import { linkSecrets } from '../core/presign.js';
import { ANNOUNCE_BYTES, formatBytes, formatProgress, Progress } from '../core/progress.js';
import { actionsCacheStore } from './actions-cache.js';
import { type ActionCore, realCore } from './core.js';
import { githubIdToken, ID_TOKEN_REQUEST_TOKEN, requireIdTokenRequest } from './oidc.js';
import { runPresign } from './presign.js';

export interface ActionDeps {
  readonly core?: ActionCore;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How often a long transfer logs a progress line. */
  readonly progressIntervalMs?: number;
  /** Aborted when the job is cancelled; the download keeps its checkpoint for a re-run. */
  readonly signal?: AbortSignal;
  /** The Actions cache for `cache: true`; by default `@actions/cache`, when the job can reach it. */
  readonly cache?: CacheStore;
  /** Time for retries and the renewal of keyless credentials; default the system clock. */
  readonly clock?: Clock;
}

export async function run(deps: ActionDeps = {}): Promise<void> {
  const core = deps.core ?? realCore;
  const env = deps.env ?? process.env;
  try {
    const proxy = proxySettingsFrom(env);
    maskSecrets(core, env, proxy);
    const raw: RawInputs = {};
    for (const name of INPUT_NAMES) {
      if ((INPUTS[name] as InputSpec).cliOnly) continue;
      const value = core.getInput(name);
      if (value !== '') raw[name] = value;
    }
    const context: ParseContext = {
      cwd: env.GITHUB_WORKSPACE ?? process.cwd(),
      env,
      isDirectory,
      realpath: realpathOf,
      readFile: readRegularFile,
    };
    if (wantsPresign(raw)) {
      const signal = deps.signal ?? cancelOnSignals();
      await runPresign(raw, { core, env, context, proxy, signal, clock: deps.clock });
      return;
    }
    const options = parseOptions(raw, context);
    // Before any request: a job without `permissions: id-token: write` gets one line saying so.
    if (options.keyless !== undefined) requireIdTokenRequest(env);
    const logger: Logger = {
      debug: (m) => core.debug(m),
      info: (m) => core.info(m),
      warning: (m) => core.warning(m),
    };
    const cache = options.cache ? (deps.cache ?? actionsCacheStore(options.caCert)) : undefined;
    if (options.cache && cache === undefined) {
      core.warning(
        'cache: this job cannot reach the Actions cache service (no ACTIONS_RESULTS_URL or ACTIONS_CACHE_URL); mirroring from COS without it',
      );
    }
    const result = await withProgressLog(core, deps.progressIntervalMs ?? 10_000, (onStart, onBytes) =>
      download(cache === undefined ? { ...options, cache: false } : options, {
        logger,
        onStart,
        onBytes,
        signal: deps.signal ?? cancelOnSignals(),
        cache,
        clock: deps.clock,
        proxy,
        mask: (secret) => core.setSecret(secret),
        webIdentityToken:
          options.keyless === undefined ? undefined : githubIdToken(core, env, options.keyless.audience),
      }),
    );
    if (options.cache && cache === undefined) core.setOutput('cache-hit', 'false');
    for (const [name, value] of Object.entries(outputsFor(result))) core.setOutput(name, value);
    for (const line of describeResult(result)) core.info(line);
    await core.writeSummary(summaryFor(result)).catch((error: unknown) => {
      core.warning(`Could not write the job summary: ${errorMessage(error)}`);
    });
  } catch (error: unknown) {
    if (core.isDebug()) for (const line of errorDetails(error)) core.debug(line);
    const facts = failureFacts(error);
    core.setFailed(facts.message);
    // The summary says what failed too: a failed step is where someone looks first.
    await core.writeSummary(failureSummary(facts, asked(core))).catch((summaryError: unknown) => {
      core.warning(`Could not write the job summary: ${errorMessage(summaryError)}`);
    });
  }
}

/** What the step asked for, told from its inputs: `key 'a.bin' of bucket 'b-125…'`. */
function asked(core: ActionCore): string | undefined {
  const bucket = core.getInput('bucket');
  const key = core.getInput('key');
  const prefix = core.getInput('prefix');
  const what = key !== '' ? `key '${key}'` : prefix !== '' ? `prefix '${prefix}'` : undefined;
  if (what === undefined) return bucket === '' ? undefined : `bucket '${bucket}'`;
  return bucket === '' ? what : `${what} of bucket '${bucket}'`;
}

/** A cancelled workflow run sends SIGINT, then SIGTERM: abort, so the download keeps its checkpoint. */
let cancellation: AbortController | undefined;
function cancelOnSignals(): AbortSignal {
  if (cancellation === undefined) {
    const controller = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => controller.abort(new Error(`cancelled by ${signal}`)));
    }
    cancellation = controller;
  }
  return cancellation.signal;
}

/** Masks every secret input, credential variable and proxy password before anything is logged. */
function maskSecrets(
  core: ActionCore,
  env: Readonly<Record<string, string | undefined>>,
  proxy: ProxySettings,
): void {
  for (const secret of proxySecrets(proxy)) core.setSecret(secret);
  // The runner masks it already; it is the bearer token of the OIDC request, so say it again.
  const idTokenRequestToken = env[ID_TOKEN_REQUEST_TOKEN];
  if (idTokenRequestToken) core.setSecret(idTokenRequestToken);
  for (const name of INPUT_NAMES as InputName[]) {
    if ((INPUTS[name] as InputSpec).secret) {
      const value = core.getInput(name);
      if (value !== '') core.setSecret(value);
    }
  }
  // A link is a credential: besides the URL as given, its decoded form and each signature or token.
  const link = core.getInput('url');
  if (link !== '') for (const secret of linkSecrets(link)) core.setSecret(secret);
  for (const names of Object.values(CREDENTIAL_ENV)) {
    for (const name of names) {
      const value = env[name];
      if (value) core.setSecret(value);
    }
  }
}

type OnStart = (info: { key: string }, length: number, alreadyOnDisk: number) => void;
type OnBytes = (count: number) => void;

/** Logs `percent, bytes, rate, ETA` at a steady pace while a transfer runs. */
async function withProgressLog<T>(
  core: ActionCore,
  intervalMs: number,
  body: (onStart: OnStart, onBytes: OnBytes) => Promise<T>,
): Promise<T> {
  const progress = new Progress(Date.now());
  let started = false;
  const timer = setInterval(() => {
    if (started) core.info(`Downloading: ${formatProgress(progress.snapshot(Date.now()))}`);
  }, intervalMs);
  timer.unref();
  try {
    return await body(
      (info, length, alreadyOnDisk) => {
        started = true;
        progress.addTotal(length, alreadyOnDisk);
        if (length >= ANNOUNCE_BYTES) {
          const kept = alreadyOnDisk > 0 ? `, ${formatBytes(alreadyOnDisk)} already on disk` : '';
          core.info(`Downloading '${info.key}' (${formatBytes(length)}${kept})`);
        }
      },
      (count) => progress.add(count),
    );
  } finally {
    clearInterval(timer);
  }
}
