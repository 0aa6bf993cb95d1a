// The Actions cache behind the mirror's CacheStore. `@actions/cache` reports its own failures as
// warnings and returns "nothing restored" / -1, so a cache problem never fails the step.
import * as cache from '@actions/cache';
import type { CacheStore } from '../core/download.js';

/** The runner's cache service, or undefined when this job cannot reach one (no service URL). */
export function actionsCacheStore(): CacheStore | undefined {
  if (!cache.isFeatureAvailable()) return undefined;
  return {
    restore: (paths, key, restoreKeys) => cache.restoreCache(paths, key, restoreKeys),
    save: async (paths, key) => (await cache.saveCache(paths, key)) !== -1,
  };
}
