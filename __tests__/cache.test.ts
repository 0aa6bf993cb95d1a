// `cache: true` against a real local cache stack: `@actions/cache` itself, talking to a small cache
// service endpoint and Azurite on loopback, in front of the COS emulator. Each "runner" starts with
// an empty destination, as a fresh GitHub runner does.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeCore } from '../__fixtures__/core.js';
import { actionsCacheStore } from '../src/action/actions-cache.js';
import { run as runAction } from '../src/action/main.js';
import type { CacheStore } from '../src/cache/mirror-cache.js';
import { main as cli } from '../src/cli/main.js';
import type { RawInputs } from '../src/config/parse.js';
import { download, type PrefixRunResult } from '../src/core/download.js';
import { type CacheStack, startCacheStack } from './helpers/cache-stack.js';
import {
  type LogLines,
  optionsFor,
  recordingLogger,
  removeFolder,
  SECRET_ID,
  SECRET_KEY,
  tempFolder,
} from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';
import { clearWorkflowCommands, workflowCommands } from './helpers/workflow-commands.js';

const ctx = useEmulator({ per: 'test' });
let stack: CacheStack;
let runnerTemp: string;
let logger: LogLines;

const PART = 512 * 1024;
const files: Record<string, Buffer> = {
  'build/app.js': Buffer.from('console.log("v1")'),
  'build/assets/logo.png': randomBytes(30_000),
  'build/assets/font.woff2': randomBytes(12_000),
  'build/data/model.bin': randomBytes(3 * PART + 1234),
  'build/docs/readme.md': Buffer.from('# readme'),
  'other/not-me.txt': Buffer.from('outside the prefix'),
};

beforeAll(async () => {
  runnerTemp = await tempFolder();
  stack = await startCacheStack(runnerTemp);
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await removeFolder(runnerTemp);
});
beforeEach(() => {
  logger = recordingLogger();
  for (const [key, body] of Object.entries(files)) ctx.emulator.put(key, body);
  stack.reset();
  for (const [name, value] of Object.entries(stack.env)) vi.stubEnv(name, value);
  vi.stubEnv('GITHUB_WORKSPACE', ctx.work);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const instant = { now: () => Date.now(), sleep: async () => {} };

function store(): CacheStore {
  const found = actionsCacheStore();
  if (found === undefined) throw new Error('the cache stack is not visible to @actions/cache');
  return found;
}

async function mirror(raw: RawInputs = {}, cache: CacheStore = store()): Promise<PrefixRunResult> {
  const options = optionsFor(ctx.emulator, ctx.work, {
    prefix: 'build',
    destination: 'out',
    cache: 'true',
    'part-size': '512KiB',
    ...raw,
  });
  const result = await download(options, { clock: instant, logger, cache });
  if (result.kind !== 'prefix') throw new Error('expected a prefix result');
  return result;
}

/** A fresh runner: nothing in the destination. */
async function freshRunner(): Promise<void> {
  await rm(path.join(ctx.work, 'out'), { recursive: true, force: true });
  ctx.emulator.stats.reset();
}

async function expectMirrored(expected: Record<string, Buffer>): Promise<void> {
  const out = path.join(ctx.work, 'out');
  const found = (await readdir(out, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(out, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((file) => !file.startsWith('.cos-download/'))
    .sort();
  const wanted = Object.keys(expected)
    .filter((key) => key.startsWith('build/'))
    .map((key) => key.slice('build/'.length))
    .sort();
  expect(found).toEqual(wanted);
  for (const relative of wanted) {
    const bytes = await readFile(path.join(out, relative));
    const source = expected[`build/${relative}`] as Buffer;
    expect(sha256(bytes), relative).toBe(sha256(source));
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const objectGets = (): number => ctx.emulator.stats.count('get');

describe('cache: true with @actions/cache on a local stack', () => {
  it('misses, then hits exactly with no object request, then partially hits and fetches only what changed', async () => {
    // Miss: everything comes from COS, then the mirror is saved under the exact key.
    const miss = await mirror();
    expect(miss.cache?.hit).toBe('false');
    expect(miss.cache?.saved).toBe(true);
    expect(miss.mirror.downloaded).toBe(5);
    const missGets = objectGets();
    expect(missGets).toBeGreaterThanOrEqual(5);
    expect(stack.entries()).toEqual([miss.cache?.key]);
    expect(miss.cache?.key).toMatch(/^cos-download-[a-z0-9-]+-[0-9a-f]{16}-[0-9a-f]{40}$/);
    await expectMirrored(files);

    // Exact hit on a fresh runner: only the listing goes to COS; nothing is saved again.
    await freshRunner();
    const creates = stack.calls('CreateCacheEntry');
    const hit = await mirror();
    expect(hit.cache?.hit).toBe('true');
    expect(hit.cache?.restoredKey).toBe(miss.cache?.key);
    expect(objectGets()).toBe(0);
    expect(ctx.emulator.stats.count('head')).toBe(0);
    expect(ctx.emulator.stats.count('list')).toBe(1);
    expect(hit.mirror.downloaded).toBe(0);
    expect(hit.mirror.skipped).toBe(5);
    expect(stack.calls('CreateCacheEntry')).toBe(creates);
    await expectMirrored(files);

    // One object changed, one added, one removed: a partial hit fetches the two, drops the third.
    const changed = { ...files };
    changed['build/app.js'] = Buffer.from('console.log("v2")');
    changed['build/new/extra.txt'] = Buffer.from('new file');
    delete changed['build/docs/readme.md'];
    ctx.emulator.put('build/app.js', changed['build/app.js'] as Buffer);
    ctx.emulator.put('build/new/extra.txt', changed['build/new/extra.txt'] as Buffer);
    ctx.emulator.remove('build/docs/readme.md');
    await freshRunner();
    const partial = await mirror();
    expect(partial.cache?.hit).toBe('partial');
    expect(partial.cache?.restoredKey).toBe(miss.cache?.key);
    expect(partial.cache?.key).not.toBe(miss.cache?.key);
    expect(objectGets()).toBe(2);
    expect(partial.mirror.downloaded).toBe(2);
    expect(partial.mirror.skipped).toBe(3);
    expect(partial.cache?.saved).toBe(true);
    expect(stack.entries()).toEqual([miss.cache?.key, partial.cache?.key]);
    await expectMirrored(changed);

    // The newer entry now hits exactly.
    await freshRunner();
    const again = await mirror();
    expect(again.cache?.hit).toBe('true');
    expect(objectGets()).toBe(0);
    await expectMirrored(changed);
    logger.lines.length = 0;
  }, 120_000);

  it('keys differ by cache-key and by filters, so differently filtered mirrors never share an entry', async () => {
    const plain = await mirror();
    await freshRunner();
    const keyed = await mirror({ 'cache-key': 'linux-x64' });
    await freshRunner();
    const filtered = await mirror({ exclude: '**/*.bin' });
    expect(keyed.cache?.key).toContain('-linux-x64-');
    expect(keyed.cache?.hit).toBe('false');
    expect(filtered.cache?.key).not.toBe(plain.cache?.key);
    // A different filter over an older entry of the same prefix is a partial hit, never an exact one.
    expect(filtered.cache?.hit).toBe('partial');
    expect(filtered.mirror.downloaded).toBe(0);
    const out = await readdir(path.join(ctx.work, 'out', 'data')).catch(() => []);
    expect(out).toEqual([]);
  }, 120_000);

  it("saves nothing when the mirror fails, and the failure is the mirror's", async () => {
    ctx.emulator.setFaults({ failNext: [{ status: 403, code: 'AccessDenied', kinds: ['get'] }] });
    await expect(mirror()).rejects.toThrow(/failed/);
    expect(stack.calls('CreateCacheEntry')).toBe(0);
    expect(stack.entries()).toEqual([]);
  }, 60_000);

  // A 5xx is retried by @actions/cache itself for ~30 s per call, so the fast failures are tested here:
  // a rate limit / quota answer (429), a service refusing (403), and a service that is down.
  it.each([
    ['a rate limit (429)', 429],
    ['a refusal (403)', 403],
    ['a service that is down', 'down'],
  ] as const)(
    'goes on from COS with a warning when the cache service fails: %s',
    async (_name, fault) => {
      if (fault === 'down') vi.stubEnv('ACTIONS_RESULTS_URL', `http://127.0.0.1:${await closedPort()}/`);
      else stack.failWith(fault);
      clearWorkflowCommands();
      const result = await mirror();
      // @actions/cache says so itself, as a warning (kept off the test output by the setup).
      expect(workflowCommands()).toContainEqual(expect.stringMatching(/^::warning::Failed to restore: /));
      expect(result.cache?.hit).toBe('false');
      expect(result.cache?.saved).toBe(false);
      expect(result.mirror.downloaded).toBe(5);
      await expectMirrored(files);
      if (fault !== 'down') expect(stack.calls('GetCacheEntryDownloadURL')).toBe(1);
      expect(logger.lines.some((line) => line.startsWith('warning: The mirror was not saved'))).toBe(true);
    },
    60_000,
  );

  it('goes on from COS when the store itself throws', async () => {
    const broken: CacheStore = {
      restore: async () => {
        throw new Error('socket hang up');
      },
      save: async () => {
        throw new Error('quota exceeded');
      },
    };
    const result = await mirror({}, broken);
    expect(result.cache).toMatchObject({ hit: 'false', saved: false });
    expect(logger.lines).toContain(
      'warning: The Actions cache could not be restored (socket hang up); downloading from COS',
    );
    expect(logger.lines).toContain(
      'warning: The mirror could not be saved to the Actions cache: quota exceeded',
    );
    await expectMirrored(files);
  }, 60_000);

  it('does not touch the cache in a dry run', async () => {
    const result = await mirror({ 'dry-run': 'true' });
    expect(result.cache?.hit).toBe('false');
    expect(stack.calls('GetCacheEntryDownloadURL') + stack.calls('CreateCacheEntry')).toBe(0);
    await expect(readdir(path.join(ctx.work, 'out'))).rejects.toThrow();
  });

  it('removes files an older entry brought whose keys are gone', async () => {
    await mirror();
    ctx.emulator.remove('build/app.js');
    ctx.emulator.put('build/docs/readme.md', Buffer.from('# readme v2'));
    await freshRunner();
    const partial = await mirror();
    expect(partial.cache?.hit).toBe('partial');
    await expect(readFile(path.join(ctx.work, 'out', 'app.js'))).rejects.toThrow();
    expect(await readFile(path.join(ctx.work, 'out', 'docs', 'readme.md'), 'utf8')).toBe('# readme v2');
  }, 120_000);

  it('a destination holding a file it did not write is neither restored over nor saved; the file stays', async () => {
    await mirror();
    await freshRunner();
    await mkdir(path.join(ctx.work, 'out'), { recursive: true });
    await writeFile(path.join(ctx.work, 'out', 'mine.txt'), 'a file of the user');
    const result = await mirror();
    expect(result.cache).toMatchObject({ hit: 'false', saved: false });
    expect(
      logger.lines.some((l) =>
        /neither restored nor saved: the destination holds 1 file\(s\) cos-download did not write \('mine\.txt'\)/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(await readFile(path.join(ctx.work, 'out', 'mine.txt'), 'utf8')).toBe('a file of the user');
    await expectMirrored({ ...files, 'build/mine.txt': Buffer.from('a file of the user') });
  }, 120_000);
});

describe('cache at the edges', () => {
  function actionInputs(extra: Record<string, string> = {}): Record<string, string> {
    return {
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      'secret-id': SECRET_ID,
      'secret-key': SECRET_KEY,
      prefix: 'build',
      destination: 'out',
      cache: 'true',
      retries: '2',
      ...extra,
    };
  }

  it('the action sets cache-hit from the real cache: false, then true', async () => {
    const env = { GITHUB_WORKSPACE: ctx.work };
    const first = fakeCore(actionInputs());
    await runAction({ core: first, env });
    expect(first.failed).toBeUndefined();
    expect(first.outputs['cache-hit']).toBe('false');
    await freshRunner();
    const second = fakeCore(actionInputs());
    await runAction({ core: second, env });
    expect(second.outputs['cache-hit']).toBe('true');
    expect(second.outputs['files-downloaded']).toBe('0');
    expect(objectGets()).toBe(0);
    expect(second.summaries.some((table) => table.heading === 'Actions cache')).toBe(true);
  }, 120_000);

  it('the action warns and mirrors without the cache when no cache service is reachable', async () => {
    vi.stubEnv('ACTIONS_RESULTS_URL', '');
    vi.stubEnv('ACTIONS_CACHE_URL', '');
    const core = fakeCore(actionInputs());
    await runAction({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toBeUndefined();
    expect(core.outputs['cache-hit']).toBe('false');
    expect(core.outputs['files-downloaded']).toBe('5');
    expect(
      core.logs.some((w) => w.startsWith('warning: cache: this job cannot reach the Actions cache')),
    ).toBe(true);
  });

  it('the action refuses a destination that holds the workspace, before any request', async () => {
    const core = fakeCore(actionInputs({ destination: '.' }));
    await runAction({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toMatch(/^Input 'destination' = '\.': .*saved whole.*a folder of its own/);
    expect(ctx.emulator.stats.count('list')).toBe(0);
  });

  it('the CLI refuses --cache with one line and exit code 2, before any request', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await cli(
      [
        '--bucket',
        ctx.emulator.bucket,
        '--endpoint',
        ctx.emulator.url,
        '--prefix',
        'build',
        '--destination',
        path.join(ctx.work, 'out'),
        '--cache',
      ],
      {
        env: { COS_SECRET_ID: SECRET_ID, COS_SECRET_KEY: SECRET_KEY },
        cwd: ctx.work,
        stdout: { write: (text: string) => out.push(text) },
        stderr: { write: (text: string) => err.push(text) },
      },
    );
    expect(code).toBe(2);
    const text = err.join('');
    expect(out).toEqual([]);
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toMatch(/cache.*only the action can reach/);
    expect(ctx.emulator.stats.count('list')).toBe(0);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
