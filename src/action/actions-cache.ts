// The Actions cache behind the mirror's CacheStore. `@actions/cache` reports its own failures as
// warnings and returns "nothing restored" / -1, so a cache problem never fails the step.
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import * as cache from '@actions/cache';
import type { CaCertificates } from '../base/request.js';
import type { CacheStore } from '../core/download.js';

/**
 * The runner's cache service, or undefined when this job cannot reach one (no service URL). With
 * `extraCa` (the `ca-cert` input), `@actions/cache` trusts those CAs too.
 */
export function actionsCacheStore(extraCa?: CaCertificates): CacheStore | undefined {
  if (!cache.isFeatureAvailable()) return undefined;
  if (extraCa !== undefined) trustProcessWide(extraCa);
  return {
    restore: (paths, key, restoreKeys) => cache.restoreCache(paths, key, restoreKeys),
    save: async (paths, key) => (await cache.saveCache(paths, key)) !== -1,
  };
}

/**
 * Adds `extra` to Node's default CA store, keeping every CA it holds. `@actions/cache` (its
 * @actions/http-client calls to the cache service, and the Azure blob client's transfers) takes no
 * CA option and uses that store; our own clients pass their CAs per connection (cos/dispatcher.ts).
 * It changes the whole process, so the action does it only when it uses the cache.
 */
function trustProcessWide(extra: CaCertificates): void {
  const current = getCACertificates('default');
  const known = new Set(current.map((pem) => pem.trim()));
  const missing = extra.pems.filter((pem) => !known.has(pem.trim()));
  if (missing.length > 0) setDefaultCACertificates([...current, ...missing]);
}
