// The import rule of ARCHITECTURE.md, held by dependency-cruiser (.dependency-cruiser.cjs): src/ keeps
// it, and a made-up tree with one wrong import per rule shows each rule firing, while the stated
// exceptions and the imports that go down pass. Then two limits on src/ that would otherwise creep
// back: no file past 400 lines, and few optional fields kept absent by hand.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { removeFolder, tempFolder } from './helpers/env.js';

const root = path.resolve(import.meta.dirname, '..');
const config = createRequire(import.meta.url)(path.join(root, '.dependency-cruiser.cjs')) as IConfiguration;

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

async function violations(baseDir: string): Promise<Violation[]> {
  // The tsconfig only matters to the command line (it reads it); the made-up trees have none.
  const { tsConfig: _tsConfig, ...options } = config.options ?? {};
  const result = await cruise(['src'], {
    ...options,
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
  });
  const output = result.output as ICruiseResult;
  return output.summary.violations
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))
    .sort((a, b) => `${a.rule} ${a.from}`.localeCompare(`${b.rule} ${b.from}`));
}

const trees: string[] = [];
afterAll(async () => {
  for (const tree of trees) await removeFolder(tree);
});

/** A made-up src/ in a temp folder: each file (relative to src/) with the files it imports, type-only. */
async function makeTree(files: Readonly<Record<string, readonly string[]>>): Promise<string> {
  const tree = await tempFolder();
  trees.push(tree);
  for (const [file, imports] of Object.entries(files)) {
    const at = path.join(tree, 'src', file);
    await mkdir(path.dirname(at), { recursive: true });
    const lines = imports.map((target, i) => {
      const specifier = path.relative(path.dirname(file), target).replace(/\.ts$/, '.js');
      // Type-only imports count as much as value imports.
      return `import type * as m${i} from '${specifier.startsWith('.') ? specifier : `./${specifier}`}';`;
    });
    await writeFile(at, `${lines.join('\n')}\nexport const here = '${file}';\n`);
  }
  return tree;
}

const edge = (rule: string, from: string, to: string): Violation => ({
  rule,
  from: `src/${from}`,
  to: `src/${to}`,
});

describe('the import rule', () => {
  it('holds in src/', async () => {
    expect(await violations(root)).toEqual([]);
  });

  it('fails each import that runs upward, naming the rule and both files; the stated exceptions pass', async () => {
    const tree = await makeTree({
      'index.ts': ['action/main.ts'],
      'action/main.ts': ['core/download.ts', 'config/parse.ts', 'base/runtime.ts'],
      'cli/main.ts': ['core/download.ts', 'emulator/cli.ts'],
      'action/actions-cache.ts': [],
      'cli/args.ts': [],
      'core/download.ts': ['cache/mirror-cache.ts', 'transfer/mirror.ts', 'config/options.ts', 'cli/args.ts'],
      'cache/mirror-cache.ts': ['transfer/mirror.ts', 'config/errors.ts', 'action/actions-cache.ts'],
      'transfer/mirror.ts': ['cos/client.ts', 'base/runtime.ts', 'config/options.ts'],
      'cos/client.ts': ['cos/sign.ts', 'base/runtime.ts', 'transfer/plan.ts'],
      'transfer/plan.ts': ['base/request.ts'],
      'cos/sign.ts': ['base/request.ts'],
      'config/parse.ts': ['config/options.ts', 'config/errors.ts', 'base/text.ts', 'cos/sign.ts'],
      'config/options.ts': ['base/request.ts'],
      'config/errors.ts': ['base/text.ts'],
      'base/runtime.ts': [],
      'base/request.ts': [],
      'base/text.ts': ['emulator/cli.ts'],
      'emulator/cli.ts': ['emulator/auth.ts'],
      'emulator/auth.ts': ['cos/sign.ts', 'cos/client.ts'],
      'pool/pool.ts': ['base/runtime.ts'],
    });
    expect(await violations(tree)).toEqual([
      edge('base-imports-nothing-of-ours', 'base/text.ts', 'emulator/cli.ts'),
      edge('cache-imports-only-transfer-cos-base', 'cache/mirror-cache.ts', 'action/actions-cache.ts'),
      edge('config-imports-only-base', 'config/parse.ts', 'cos/sign.ts'),
      edge('core-imports-only-cache-transfer-cos-config-base', 'core/download.ts', 'cli/args.ts'),
      edge('cos-imports-only-base', 'cos/client.ts', 'transfer/plan.ts'),
      edge('emulator-imports-only-base', 'emulator/auth.ts', 'cos/client.ts'),
      edge('every-folder-is-a-layer', 'pool/pool.ts', 'base/runtime.ts'),
      edge('nothing-imports-the-edges', 'cache/mirror-cache.ts', 'action/actions-cache.ts'),
      edge('nothing-imports-the-edges', 'core/download.ts', 'cli/args.ts'),
      edge('transfer-imports-only-cos-base', 'transfer/mirror.ts', 'config/options.ts'),
    ]);
  });

  it('fails a cycle, even inside one layer', async () => {
    const tree = await makeTree({
      'transfer/mirror.ts': ['transfer/plan.ts'],
      'transfer/plan.ts': ['transfer/mirror.ts'],
    });
    expect(await violations(tree)).toEqual([edge('no-circular', 'transfer/mirror.ts', 'transfer/plan.ts')]);
  });
});

/** Every TypeScript file of src/, as `src/…` with `/` separators, and its text. */
async function sourceFiles(): Promise<Array<{ readonly file: string; readonly text: string }>> {
  const names = (await readdir(path.join(root, 'src'), { recursive: true })).filter((name) =>
    name.endsWith('.ts'),
  );
  return Promise.all(
    names.sort().map(async (name) => ({
      file: `src/${name.split(path.sep).join('/')}`,
      text: await readFile(path.join(root, 'src', name), 'utf8'),
    })),
  );
}

/** Lines as `wc -l` counts them. */
const lineCount = (text: string): number => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/**
 * An optional field kept absent by hand: `...(x === undefined ? {} : { x })`, or the same the other
 * way round. A field where undefined means absent is typed `?: T | undefined` and assigned; only
 * objects whose keys are read (headers, a query, a public result, a third-party option whose type
 * refuses undefined) keep the spread. A helper doing the same would count here too.
 */
const ABSENT_FIELD = /=== undefined \? \{\} :|!== undefined \? \{[^}\n]*\} : \{\}/g;
const MAX_ABSENT_FIELDS = 15;
const MAX_LINES = 400;

describe('the size of src/', () => {
  it(`keeps every file to ${MAX_LINES} lines: a longer one is two ideas`, async () => {
    const long = (await sourceFiles())
      .filter(({ text }) => lineCount(text) > MAX_LINES)
      .map(({ file, text }) => `${file} (${lineCount(text)} lines)`);
    expect(long, `split by idea: ${long.join(', ')}`).toEqual([]);
  });

  it(`keeps at most ${MAX_ABSENT_FIELDS} optional fields absent by hand`, async () => {
    const found = (await sourceFiles())
      .map(({ file, text }) => ({ file, count: text.match(ABSENT_FIELD)?.length ?? 0 }))
      .filter(({ count }) => count > 0);
    const total = found.reduce((sum, { count }) => sum + count, 0);
    const where = found.map(({ file, count }) => `${file}: ${count}`).join(', ');
    expect(
      total,
      `type the fields '?: T | undefined' and assign them; found in ${where}`,
    ).toBeLessThanOrEqual(MAX_ABSENT_FIELDS);
  });

  it('counts what it means to count', () => {
    const lines = [
      '    ...(versionId === undefined ? {} : { versionId }),',
      '    ...(info.crc64 === undefined ? {} : { crc64: info.crc64 }),',
      '    ...(token !== undefined ? { sessionToken: token } : {}),',
      '    versionId: info.versionId,',
      "    ...(dryRun ? { 'would-delete': deleted } : {}),",
    ];
    expect(lines.map((line) => line.match(ABSENT_FIELD)?.length ?? 0)).toEqual([1, 1, 1, 0, 0]);
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(2);
  });
});
