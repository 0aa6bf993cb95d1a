// Prefix mirroring against the emulator, into real temp folders.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteValue } from '../src/base/text.js';
import type { RawInputs } from '../src/config/parse.js';
import { concurrencyFor, mirrorRequestFor, transferSettings } from '../src/core/download.js';
import { CosClient } from '../src/cos/client.js';
import { listPages } from '../src/cos/list.js';
import {
  type MirrorRequest,
  type MirrorResult,
  type MirrorSource,
  mirrorPrefix,
} from '../src/transfer/mirror.js';
import { shardOf } from '../src/transfer/mirror-scope.js';
import { transferDeps } from '../src/transfer/settings.js';
import { type LogLines, optionsFor, recordingLogger, removeFolder, tempFolder } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

const ctx = useEmulator();
let outside: string;
let logger: LogLines;

const files: Record<string, Buffer> = {
  'site/index.html': Buffer.from('<h1>home</h1>'),
  'site/css/main.css': Buffer.from('body{}'),
  'site/img/logo.png': randomBytes(40_000),
  'site/big/video.bin': randomBytes(1_300_000),
  'site/docs/a.md': Buffer.from('# a'),
  'site/docs/b.md': Buffer.from('# b'),
  'site2/not-me.txt': Buffer.from('outside the prefix'),
};

beforeEach(async () => {
  outside = await tempFolder();
  logger = recordingLogger();
  for (const [key, body] of Object.entries(files)) ctx.emulator.put(key, body);
  ctx.emulator.stats.reset();
});
afterEach(async () => {
  await removeFolder(outside);
});

async function mirror(
  raw: RawInputs,
  extra: Partial<MirrorRequest> = {},
  source: (client: CosClient) => MirrorSource = () => ({}),
): Promise<MirrorResult> {
  const options = optionsFor(ctx.emulator, ctx.work, {
    prefix: 'site',
    destination: 'out',
    'part-size': '512KiB',
    ...raw,
  });
  if (options.target.kind !== 'prefix') throw new Error('prefix expected');
  const client = new CosClient(options.connection, {
    logger,
    clock: { now: () => Date.now(), sleep: async () => {} },
  });
  try {
    return await mirrorPrefix(
      client,
      { ...mirrorRequestFor(options, options.target), listPageSize: 2, ...extra },
      transferSettings(options),
      transferDeps({ logger }),
      source(client),
    );
  } finally {
    await client.close();
  }
}

async function tree(folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        found.push(`${r}/`);
        await walk(path.join(dir, entry.name), r);
      } else found.push(r);
    }
  };
  await walk(folder, '');
  return found.sort();
}

const out = (rel: string): string => path.join(ctx.work, 'out', rel);
const gets = (): number => ctx.emulator.stats.count('get');
const heads = (): number => ctx.emulator.stats.count('head');

describe('mirror', () => {
  it('mirrors every object under the prefix across listing pages, byte for byte, and writes a manifest', async () => {
    const result = await mirror({});
    expect(result.downloaded).toBe(6);
    expect(result.listRequests).toBe(3);
    for (const [key, body] of Object.entries(files)) {
      if (!key.startsWith('site/')) continue;
      expect(Buffer.compare(await readFile(out(key.slice(5))), body)).toBe(0);
    }
    expect(await tree(path.join(ctx.work, 'out'))).not.toContain('not-me.txt');
    expect(result.bytesDownloaded).toBe(
      Object.entries(files)
        .filter(([k]) => k.startsWith('site/'))
        .reduce((n, [, b]) => n + b.length, 0),
    );
    const manifest = JSON.parse(await readFile(result.manifest ?? '', 'utf8'));
    expect(manifest.objects.map((o: { key: string }) => o.key)).toContain('site/big/video.bin');
    const video = manifest.objects.find((o: { key: string }) => o.key === 'site/big/video.bin');
    expect(video.crc64).toBe(ctx.emulator.versions('site/big/video.bin')[0]?.crc64);
    expect(video.path).toBe('big/video.bin');
  });

  it('starts downloading before the listing ends', async () => {
    // The real listing, held after its first page until a GET arrives: a mirror that waited for the
    // whole listing would never send one, and the wait would give up.
    let getsBeforeLastPage = -1;
    await mirror({}, {}, (client) => ({
      listing: (async function* () {
        let pages = 0;
        for await (const page of listPages(client, { prefix: 'site/', maxKeys: 2 })) {
          if (++pages === 2) {
            for (let waited = 0; gets() === 0 && waited < 10_000; waited += 5) await sleep(5);
          }
          if (!page.truncated) getsBeforeLastPage = gets();
          yield page;
        }
      })(),
    }));
    expect(getsBeforeLastPage).toBeGreaterThan(0);
    const kinds = ctx.emulator.stats.requests.map((r) => r.kind);
    expect(kinds.indexOf('get')).toBeLessThan(kinds.lastIndexOf('list'));
  });

  it('keeps requests in flight within concurrency, shared by small objects and parts', async () => {
    ctx.emulator.setFaults({ latencyMs: 20 });
    await mirror({ concurrency: '3' });
    expect(ctx.emulator.stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(ctx.emulator.stats.maxInFlight).toBeGreaterThan(1);
  });

  it("a large object's parts take at most partConcurrency of the budget, small objects the rest", async () => {
    ctx.emulator.setFaults({ latencyMs: 20 });
    const options = optionsFor(ctx.emulator, ctx.work, { prefix: 'site/big/', 'part-size': '512KiB' });
    if (options.target.kind !== 'prefix') throw new Error('prefix expected');
    const client = new CosClient(options.connection);
    try {
      await mirrorPrefix(
        client,
        mirrorRequestFor(options, options.target),
        { ...transferSettings(options), concurrency: 6, partConcurrency: 2 },
        transferDeps({}),
      );
    } finally {
      await client.close();
    }
    expect(ctx.emulator.stats.maxInFlight).toBe(2);
  });

  it('concurrency auto: 16 requests a core for small objects (32..64), 4 a core for parts (8..32)', () => {
    expect(concurrencyFor('auto', 1)).toEqual({ objects: 32, parts: 8 });
    expect(concurrencyFor('auto', 2)).toEqual({ objects: 32, parts: 8 });
    expect(concurrencyFor('auto', 3)).toEqual({ objects: 48, parts: 12 });
    expect(concurrencyFor('auto', 16)).toEqual({ objects: 64, parts: 32 });
    expect(concurrencyFor(5, 16)).toEqual({ objects: 5, parts: 5 });
  });

  it('filters with include and exclude globs on the key relative to the prefix', async () => {
    const result = await mirror({ include: 'docs/**\n*.html', exclude: 'docs/b.md' });
    expect(result.downloaded).toBe(2);
    expect(await tree(path.join(ctx.work, 'out'))).toEqual([
      '.cos-download/',
      '.cos-download/manifest.json',
      'docs/',
      'docs/a.md',
      'index.html',
    ]);
  });

  it('makes folders for dir/ markers', async () => {
    ctx.emulator.put('site/empty-dir/', '');
    await mirror({});
    expect((await stat(out('empty-dir'))).isDirectory()).toBe(true);
  });

  it('re-run with nothing changed: no GET and no HEAD, only listing', async () => {
    await mirror({});
    ctx.emulator.stats.reset();
    const again = await mirror({});
    expect(again.downloaded).toBe(0);
    expect(again.skipped).toBe(6);
    expect(gets()).toBe(0);
    expect(heads()).toBe(0);
    expect(ctx.emulator.stats.count()).toBe(ctx.emulator.stats.count('list'));
  });

  it('migrates the manifest of an earlier version: read once, re-run with no GET, then removed; its files are not ours to delete', async () => {
    await mirror({});
    // What a version before the state folder left: the manifest at the mirror's root, format /1,
    // no `written` field.
    const root = path.join(ctx.work, 'out');
    const current = (await readFile(path.join(root, '.cos-download', 'manifest.json'), 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('{"key"'))
      .map((line) => JSON.parse(line.replace(/,$/, '')) as Record<string, unknown>);
    expect(current.length).toBe(6);
    const legacy = {
      format: 'cos-download-manifest/1',
      bucket: ctx.emulator.bucket,
      prefix: 'site/',
      objects: current.map(({ written: _written, ...entry }) => entry),
    };
    await rm(path.join(root, '.cos-download'), { recursive: true });
    await writeFile(path.join(root, '.cos-download-manifest.json'), JSON.stringify(legacy));
    ctx.emulator.stats.reset();
    ctx.emulator.remove('site/docs/b.md');
    const again = await mirror({ delete: 'true' });
    expect(again).toMatchObject({ downloaded: 0, skipped: 5, deleted: 0 });
    expect(gets()).toBe(0);
    expect(heads()).toBe(0);
    // The legacy file is gone, the new manifest holds what it vouched for, and a file the old one
    // listed is kept: it could not say who wrote it.
    await expect(stat(path.join(root, '.cos-download-manifest.json'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(out('docs/b.md'), 'utf8')).toBe('# b');
    const migrated = await readFile(path.join(root, '.cos-download', 'manifest.json'), 'utf8');
    expect(migrated).toContain('"format":"cos-download-manifest/2"');
    expect(migrated).toContain('"key":"site/index.html"');
  });

  it('downloads only what changed', async () => {
    await mirror({});
    ctx.emulator.put('site/docs/a.md', '# a, edited');
    ctx.emulator.stats.reset();
    const again = await mirror({});
    expect(again.downloaded).toBe(1);
    expect(await readFile(out('docs/a.md'), 'utf8')).toBe('# a, edited');
    expect(gets()).toBe(1);
  });

  it('without a manifest, compares MD5 for plain ETags and CRC64 (by HEAD) for multipart ETags', async () => {
    ctx.emulator.put('site/big/video.bin', files['site/big/video.bin'] as Buffer, {
      etag: '"0123456789abcdef-3"',
    });
    await mirror({});
    await rm(out('.cos-download/manifest.json'));
    ctx.emulator.stats.reset();
    const again = await mirror({});
    expect(again.skipped).toBe(6);
    expect(gets()).toBe(0);
    expect(heads()).toBe(1);
  });

  it('overwrite: always downloads everything, never keeps what exists', async () => {
    await mirror({});
    await writeFile(out('index.html'), 'local edit');
    ctx.emulator.stats.reset();
    await mirror({ overwrite: 'never' });
    expect(await readFile(out('index.html'), 'utf8')).toBe('local edit');
    expect(gets()).toBe(0);
    await mirror({ overwrite: 'always' });
    expect(await readFile(out('index.html'), 'utf8')).toBe('<h1>home</h1>');
    expect(gets()).toBeGreaterThanOrEqual(6);
  });

  it('a local edit is detected through the manifest (size or mtime) and downloaded again', async () => {
    await mirror({});
    await writeFile(out('docs/a.md'), '# A');
    ctx.emulator.stats.reset();
    const again = await mirror({});
    expect(again.downloaded).toBe(1);
    expect(await readFile(out('docs/a.md'), 'utf8')).toBe('# a');
  });
});

describe('delete, dry-run, shard, archive', () => {
  it('delete removes files it wrote that are no longer listed, but leaves files outside the filters', async () => {
    ctx.emulator.put('site/stale.txt', 'old');
    ctx.emulator.put('site/docs/stale.md', 'old');
    await mirror({});
    ctx.emulator.remove('site/stale.txt');
    ctx.emulator.remove('site/docs/stale.md');
    const result = await mirror({ delete: 'true', exclude: 'stale.txt' });
    expect(result.deleted).toBe(1);
    await expect(stat(out('docs/stale.md'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(out('stale.txt'), 'utf8')).toBe('old');
  });

  it('delete does nothing when a download failed', async () => {
    ctx.emulator.put('site/stale.txt', 'old');
    await mirror({});
    ctx.emulator.remove('site/stale.txt');
    ctx.emulator.put('site/docs/a.md', 'changed');
    ctx.emulator.setFaults({ failNext: [{ status: 403, code: 'AccessDenied', kinds: ['get'] }] });
    await expect(mirror({ delete: 'true' })).rejects.toThrow(/1 of 1 download\(s\) failed/);
    expect(await readFile(out('stale.txt'), 'utf8')).toBe('old');
    expect(logger.lines.some((l) => /Nothing was deleted/.test(l))).toBe(true);
  });

  it('delete does nothing when the listing failed', async () => {
    ctx.emulator.put('site/stale.txt', 'old');
    await mirror({});
    ctx.emulator.remove('site/stale.txt');
    ctx.emulator.setFaults({ failNext: [{ status: 403, code: 'AccessDenied', kinds: ['list'] }] });
    await expect(mirror({ delete: 'true' })).rejects.toThrow(/Listing/);
    expect(await readFile(out('stale.txt'), 'utf8')).toBe('old');
  });

  it('dry-run lists downloads, skips and deletions with sizes and writes nothing', async () => {
    const result = await mirror({ 'dry-run': 'true', delete: 'true' });
    expect(result.downloaded).toBe(6);
    expect(result.files.find((f) => f.key === 'site/big/video.bin')).toMatchObject({
      action: 'download',
      size: 1_300_000,
    });
    await expect(stat(path.join(ctx.work, 'out'))).rejects.toThrow(/ENOENT/);
    expect(gets()).toBe(0);
    ctx.emulator.put('site/stale.txt', 'old');
    await mirror({});
    ctx.emulator.remove('site/stale.txt');
    ctx.emulator.stats.reset();
    const plan = await mirror({ 'dry-run': 'true', delete: 'true' });
    expect(plan.files.filter((f) => f.action === 'skip')).toHaveLength(6);
    expect(plan.files.filter((f) => f.action === 'delete').map((f) => f.path)).toEqual(['stale.txt']);
    expect(await readFile(out('stale.txt'), 'utf8')).toBe('old');
    expect(gets()).toBe(0);
  });

  it('shards are disjoint and together cover every key', async () => {
    const seen: string[] = [];
    for (const i of [1, 2, 3]) {
      const result = await mirror({ shard: `${i}/3`, destination: `shard-${i}` });
      const keys = result.files.map((f) => f.key);
      for (const key of keys) expect(shardOf(key, 3)).toBe(i);
      seen.push(...keys);
    }
    expect(seen.sort()).toEqual(
      Object.keys(files)
        .filter((k) => k.startsWith('site/'))
        .sort(),
    );
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('does not download ARCHIVE objects, and says which', async () => {
    ctx.emulator.put('site/cold/old.tar', 'frozen', { storageClass: 'ARCHIVE' });
    const result = await mirror({});
    expect(result.archived).toEqual(['site/cold/old.tar']);
    expect(
      logger.lines.some((l) =>
        /1 ARCHIVE \/ DEEP_ARCHIVE object\(s\) not downloaded.*site\/cold\/old.tar/.test(l),
      ),
    ).toBe(true);
    await expect(stat(out('cold/old.tar'))).rejects.toThrow(/ENOENT/);
  });
});

describe('hostile keys', () => {
  const evil = [
    'site/../escape.txt',
    'site/a/../../escape2.txt',
    'site//abs.txt',
    'site/C:/drive.txt',
    'site/back\\slash.txt',
    'site/nul\u0000byte',
    'site/ctl\u0001char',
    'site/..',
    'site/.',
  ];

  it('never writes outside the destination and names every refused key', async () => {
    for (const key of evil) ctx.emulator.put(key, 'evil');
    const result = await mirror({});
    expect(result.refused.map((r) => r.key).sort()).toEqual([...evil].sort());
    for (const key of evil) {
      // Named as messages quote values: control characters escaped, so the warning stays one line.
      expect(logger.lines.some((l) => l.includes(`Skipping ${quoteValue(key)}`))).toBe(true);
    }
    expect(await readdir(ctx.work)).toEqual(['out']);
    expect(await tree(path.join(ctx.work, 'out'))).not.toContain('escape.txt');
    expect(result.downloaded).toBe(6);
    for (const key of evil) ctx.emulator.remove(key);
  });

  it('applies Windows rules on a Windows runner: reserved names, <>:"|?*, trailing dots, case clashes', async () => {
    const refusedKeys = [
      'site/CON',
      'site/aux.txt',
      'site/a:b.txt',
      'site/what?.txt',
      'site/dot.',
      'site/case/X.md',
    ];
    for (const key of [...refusedKeys, 'site/Case/x.md']) ctx.emulator.put(key, 'x');
    const result = await mirror({}, { platform: 'win32' });
    expect(result.refused.map((r) => r.key).sort()).toEqual([...refusedKeys].sort());
    expect(result.refused.find((r) => r.key === 'site/case/X.md')?.reason).toMatch(
      /differs only in case from 'site\/Case\/x.md'/,
    );
    for (const key of [...refusedKeys, 'site/Case/x.md']) ctx.emulator.remove(key);
  });

  it('never follows a symlink found in the destination out of it', async () => {
    await mkdir(path.join(ctx.work, 'out'), { recursive: true });
    await symlink(outside, path.join(ctx.work, 'out', 'docs'));
    await expect(mirror({})).rejects.toThrow(/failed/);
    expect(logger.lines.some((l) => /refusing to follow the symlink/.test(l))).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('shard hash', () => {
  it('hashes keys into shards stably', () => {
    expect(shardOf('a', 4)).toBe(shardOf('a', 4));
    expect(createHash('sha1').update('a').digest().readUInt32BE(0) % 4).toBe(shardOf('a', 4) - 1);
  });
});
