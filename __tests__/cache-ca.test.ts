// `ca-cert` with `cache: true`: `@actions/cache` takes no CA option, so the action adds the CA to
// Node's default store before the cache is used. Here the cache service (the local stack of
// helpers/cache-stack.ts) sits behind TLS with a throwaway CA that nothing trusts by default; with
// `ca-cert` naming that CA, the real @actions/cache saves the mirror and restores it. This file runs
// in a process of its own (vitest's forks pool), so trusting the CA process-wide touches no other test.

import { writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeCore } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { type CacheStack, startCacheStack } from './helpers/cache-stack.js';
import { removeFolder, SECRET_ID, SECRET_KEY, tempFolder } from './helpers/env.js';
import { makeTestCa, startTlsFront, type TestCa, type TlsFront } from './helpers/proxy-stack.js';
import { useEmulator } from './helpers/use-emulator.js';

const ctx = useEmulator();
let stack: CacheStack;
let runnerTemp: string;
let ca: TestCa;
let front: TlsFront;
let serviceUrl: string;

beforeAll(async () => {
  runnerTemp = await tempFolder();
  stack = await startCacheStack(runnerTemp);
  ca = await makeTestCa(runnerTemp, '127.0.0.1');
  front = await startTlsFront(Number(new URL(stack.env.ACTIONS_RESULTS_URL ?? '').port), ca);
  serviceUrl = `https://127.0.0.1:${front.port}/`;
  for (const [key, body] of Object.entries({ 'build/a.txt': 'a', 'build/sub/b.txt': 'bb' })) {
    ctx.emulator.put(key, body);
  }
}, 60_000);
afterAll(async () => {
  await front?.close();
  await stack?.close();
  await removeFolder(runnerTemp);
});
beforeEach(async () => {
  for (const [name, value] of Object.entries(stack.env)) vi.stubEnv(name, value);
  vi.stubEnv('ACTIONS_RESULTS_URL', serviceUrl);
  await writeFile(path.join(ctx.work, 'corp-ca.pem'), ca.caPem);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** The status of a plain `https.get` to the cache service's TLS front, or the TLS error's code. */
async function probe(): Promise<string> {
  return new Promise((resolve) => {
    get(serviceUrl, (response) => {
      response.resume();
      resolve(String(response.statusCode));
    }).on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('ca-cert with cache: true', () => {
  it('before the action runs, Node (and so @actions/cache) does not trust the CA', async () => {
    expect(await probe()).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });

  it('the action trusts it for @actions/cache too: the mirror is saved over TLS, then restored', async () => {
    const inputs = {
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      'secret-id': SECRET_ID,
      'secret-key': SECRET_KEY,
      prefix: 'build',
      destination: 'out',
      cache: 'true',
      'ca-cert': 'corp-ca.pem',
    };
    const first = fakeCore(inputs);
    await run({ core: first, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(first.failed).toBeUndefined();
    expect(first.outputs['cache-hit']).toBe('false');
    expect(first.logs.filter((line) => line.startsWith('warning:'))).toEqual([]);
    expect(stack.entries()).toHaveLength(1);

    await removeFolder(path.join(ctx.work, 'out'));
    ctx.emulator.stats.reset();
    const second = fakeCore(inputs);
    await run({ core: second, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(second.outputs['cache-hit']).toBe('true');
    expect(ctx.emulator.stats.count('get')).toBe(0);
    // The default store now holds the CA, besides every CA it held before.
    expect(await probe()).toBe('404');
  }, 120_000);
});
