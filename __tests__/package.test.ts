// The npm tarball as a new user gets it: `npm pack`, its exact file list, `npm install` of the tarball
// into a fresh folder, a TypeScript consumer type-checked with the project's tsc and run on every Node
// we support (the current one and Node 22 from tools/node22), the CLI it installs run against the
// emulator, and on a Node too old for it one line and exit status 2.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_NODE } from '../src/base/node-version.js';
import { type EmulatorHandle, startEmulator } from '../src/library/index.js';
import { removeFolder, tempFolder } from './helpers/env.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const windows = process.platform === 'win32';
const INSTALL_TIMEOUT_MS = 180_000;

/** Node 22 from the tools/node22 workspace (`npm ci` installs it). */
const NODE22 = [
  path.join(root, 'tools/node22/node_modules/node/bin/node'),
  path.join(root, 'tools/node22/node_modules/node/bin/node.exe'),
].find((candidate) => existsSync(candidate));

let work: string;
let tarball: string;
let packed: string[];
let consumer: string;
let cos: EmulatorHandle;

/**
 * The environment without npm's own variables: under `npm test` they point at this project
 * (`npm_config_local_prefix`, …), and an `npm install` in the consumer folder must not see them.
 */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

async function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = await exec(command, args, {
    cwd,
    env: { ...childEnv(), ...env },
    shell: windows && command === 'npm',
    maxBuffer: 64 * 1024 * 1024,
    timeout: INSTALL_TIMEOUT_MS,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string; message: string }) => ({
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
    }),
  );
  return result;
}

async function ok(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`,
    );
  }
  return result.stdout;
}

function filesUnder(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** What the tarball must hold: the project files, dist/ as built, and lib/ for every library source. */
function expectedFiles(): string[] {
  const sources = filesUnder('src').filter(
    (file) => file.endsWith('.ts') && file !== 'src/index.ts' && !/^src\/(action|cli)\//.test(file),
  );
  const lib = sources.flatMap((file) => {
    const base = `lib/${file.slice('src/'.length, -'.ts'.length)}`;
    return [`${base}.js`, `${base}.d.ts`];
  });
  return [
    'CHANGELOG.md',
    'LICENSE',
    'README.md',
    'action.yml',
    'package.json',
    ...filesUnder('dist'),
    ...lib,
  ].sort();
}

/** Deterministic bytes for the consumer's objects; the consumer makes the same ones. */
function pattern(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) % 253;
  return bytes;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

const CONSUMER = `
import { readFile } from 'node:fs/promises';
import {
  downloadObject,
  type DownloadObjectResult,
  mirrorPrefix,
  type MirrorPrefixResult,
  OptionError,
  startEmulator,
} from 'cos-download';

function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) % 253;
  return bytes;
}

const out = process.argv[2] ?? 'out';
const cos = await startEmulator({
  objects: { 'data/hello.txt': 'hello from cos\\n', 'data/big.bin': pattern(2 * 1024 * 1024 + 3), 'data/sub/c.txt': 'c' },
});
try {
  const { endpoint, bucket, region, credentials } = cos;
  const one: DownloadObjectResult = await downloadObject({
    endpoint,
    bucket,
    region,
    credentials,
    key: 'data/big.bin',
    destination: \`\${out}/one/\`,
    partSize: 512 * 1024,
    concurrency: 4,
  });
  if (one.notModified) throw new Error('expected a download');
  const contentLength: number = one.contentLength;
  const etag: string = one.etag;
  const mirror: MirrorPrefixResult = await mirrorPrefix({
    endpoint,
    bucket,
    region,
    credentials,
    prefix: 'data/',
    destination: \`\${out}/mirror\`,
    exclude: ['**/*.bin'],
  });
  const filesDownloaded: number = mirror.filesDownloaded;
  let optionError = '';
  try {
    await downloadObject({ endpoint, bucket, credentials, key: 'data/hello.txt', partSize: '10MB' });
  } catch (error: unknown) {
    if (error instanceof OptionError) optionError = \`\${error.option}: \${error.message}\`;
  }
  // @ts-expect-error: concurrency is a number, and the declarations say so.
  const typed: Parameters<typeof downloadObject>[0] = { bucket, key: 'k', concurrency: 'many' as const };
  void typed;
  const hello = await readFile(\`\${out}/mirror/hello.txt\`, 'utf8');
  console.log(
    JSON.stringify({
      node: process.versions.node,
      one: { status: one.status, path: one.path, contentLength, etag, crc64: one.crc64, crcCheck: one.crcCheck },
      mirror: {
        filesDownloaded,
        filesSkipped: mirror.filesSkipped,
        bytesDownloaded: mirror.bytesDownloaded,
        manifest: mirror.manifest,
        files: mirror.files.map((f) => f.key).sort(),
      },
      hello,
      optionError,
    }),
  );
} finally {
  await cos.close();
}
`;

/** The TypeScript example of the README's "Use it as a library": it must compile against the tarball. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it as a library'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (example === undefined) throw new Error('README.md: no ```ts example under "Use it as a library"');
  return example;
}

beforeAll(async () => {
  work = await tempFolder();
  const packs = path.join(work, 'packs');
  await mkdir(packs);
  // prepack builds lib/ (tsc) from the sources as they are; dist/ goes in as committed.
  const listing = JSON.parse(
    await ok('npm', ['pack', '--json', '--pack-destination', packs], root),
  ) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const [pack] = listing;
  if (pack === undefined) throw new Error('npm pack listed no tarball');
  tarball = path.join(packs, path.basename(pack.filename));
  packed = pack.files.map((f) => f.path).sort();

  consumer = path.join(work, 'consumer');
  await mkdir(consumer);
  await writeFile(
    path.join(consumer, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const typesNode = JSON.parse(
    await readFile(path.join(root, 'node_modules/@types/node/package.json'), 'utf8'),
  ) as {
    version: string;
  };
  await ok(
    'npm',
    [
      'install',
      tarball,
      `@types/node@${typesNode.version}`,
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--prefer-offline',
      '--loglevel=error',
    ],
    consumer,
  );
  await writeFile(path.join(consumer, 'consumer.ts'), CONSUMER);
  await writeFile(path.join(consumer, 'readme-example.ts'), await readmeExample());
  await writeFile(
    path.join(consumer, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2024'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          outDir: 'build',
        },
        files: ['consumer.ts', 'readme-example.ts'],
      },
      null,
      2,
    )}\n`,
  );
  cos = await startEmulator({ objects: { 'cli/one.bin': pattern(700_000), 'cli/two.txt': 'two' } });
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await cos?.close();
  if (work !== undefined) await removeFolder(work);
});

describe('the npm tarball', () => {
  it('holds the build, the types and the project files: no tests, benchmarks, fixtures, workflows or sources', () => {
    expect(packed).toEqual(expectedFiles());
    const unwanted = packed.filter((file) =>
      /^(__tests__|__fixtures__|bench|scripts|docs|src|tools|\.github|\.ci)\/|\.test\.|(^|\/)\.|tsconfig|biome/.test(
        file,
      ),
    );
    expect(unwanted).toEqual([]);
    expect(packed).toContain('lib/library/index.d.ts');
    expect(packed).toContain('dist/cli/index.js');
    expect(packed.some((file) => file.startsWith('lib/action/') || file === 'lib/index.js')).toBe(false);
  });

  it('declares the entry points, the engines and no private flag', async () => {
    const manifest = JSON.parse(
      await readFile(path.join(consumer, 'node_modules/cos-download/package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(manifest.exports).toMatchObject({
      '.': { types: './lib/library/index.d.ts', import: './lib/library/index.js' },
    });
    expect(manifest.types).toBe('./lib/library/index.d.ts');
    expect(manifest.bin).toEqual({ 'cos-download': 'dist/cli/index.js' });
    expect(manifest.engines).toEqual({ node: `>=${MIN_NODE.join('.')}.0` });
  });

  it("type-checks a strict TypeScript consumer and the README's example with the project's tsc", async () => {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer);
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.code).toBe(0);
  });

  const nodes = [['the current Node', process.execPath] as const, ['Node 22', NODE22 ?? 'missing'] as const];

  it('has Node 22 at hand (npm ci installs it in tools/node22)', () => {
    expect(NODE22).toBeDefined();
  });

  it.each(nodes)('runs the consumer on %s: emulator, downloadObject, mirrorPrefix', async (label, node) => {
    const version = await ok(node, ['--version'], consumer);
    // Named for the label: under Node 22 itself, both runs have the same version.
    const out = path.join(work, `out-${label.replace(/\W+/g, '-')}`);
    const stdout = await ok(node, [path.join(consumer, 'build/consumer.js'), out], consumer);
    const report = JSON.parse(stdout) as {
      node: string;
      one: {
        status: string;
        path: string;
        contentLength: number;
        etag: string;
        crc64: string;
        crcCheck: string;
      };
      mirror: {
        filesDownloaded: number;
        filesSkipped: number;
        bytesDownloaded: number;
        manifest: string;
        files: string[];
      };
      hello: string;
      optionError: string;
    };
    expect(`v${report.node}`).toBe(version.trim());
    const big = pattern(2 * 1024 * 1024 + 3);
    expect(report.one).toEqual({
      status: 'downloaded',
      path: path.join(out, 'one', 'big.bin'),
      contentLength: big.length,
      etag: `"${createHash('md5').update(big).digest('hex')}"`,
      crc64: expect.stringMatching(/^\d+$/),
      crcCheck: 'verified',
    });
    expect(sha256(await readFile(report.one.path))).toBe(sha256(big));
    expect(report.mirror).toEqual({
      filesDownloaded: 2,
      filesSkipped: 0,
      bytesDownloaded: 'hello from cos\n'.length + 1,
      manifest: path.join(out, 'mirror', '.cos-download', 'manifest.json'),
      files: ['data/hello.txt', 'data/sub/c.txt'],
    });
    expect(report.hello).toBe('hello from cos\n');
    expect(await readFile(path.join(out, 'mirror', 'sub', 'c.txt'), 'utf8')).toBe('c');
    expect(report.optionError).toMatch(/^partSize: Option 'partSize' = '10MB': 'MB' is ambiguous/);
  });

  it.each(nodes)('runs the installed CLI on %s against the emulator', async (label, node) => {
    const bin = path.join(consumer, 'node_modules/cos-download/dist/cli/index.js');
    const version = await ok(node, [bin, '--version'], consumer);
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const out = path.join(work, `cli-${label.replace(/\W+/g, '-')}`);
    const env = {
      TENCENTCLOUD_SECRET_ID: cos.credentials.secretId,
      TENCENTCLOUD_SECRET_KEY: cos.credentials.secretKey,
    };
    const common = ['--bucket', cos.bucket, '--endpoint', cos.endpoint, '--part-size', '512KiB', '--json'];
    const one = JSON.parse(
      await ok(node, [bin, ...common, '--key', 'cli/one.bin', '--destination', `${out}/`], consumer, env),
    );
    expect(one).toMatchObject({
      ok: true,
      status: 'downloaded',
      'content-length': 700000,
      path: path.join(out, 'one.bin'),
    });
    expect(sha256(await readFile(path.join(out, 'one.bin')))).toBe(sha256(pattern(700_000)));
    const mirror = JSON.parse(
      await ok(
        node,
        [bin, ...common, '--prefix', 'cli/', '--destination', path.join(out, 'm')],
        consumer,
        env,
      ),
    );
    expect(mirror).toMatchObject({ ok: true, 'files-downloaded': 2, 'files-skipped': 0 });
    expect(await readFile(path.join(out, 'm', 'two.txt'), 'utf8')).toBe('two');
    const usage = await run(
      node,
      [bin, ...common, '--key', 'cli/one.bin', '--part-size', '10MB'],
      consumer,
      env,
    );
    expect(usage.code).toBe(2);
    await rm(out, { recursive: true, force: true });
  });
});

/** A Node older than MIN_NODE on this machine (Debian's, for one), if there is one. */
async function oldNode(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = (await run(candidate, ['--version'], root)).stdout.trim();
    const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
    if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) return candidate;
  }
  return undefined;
}

describe('on a Node.js older than the CLI and the library need', () => {
  /** The real old Node when the machine has one; else the current Node told it is 20.0.0 before anything loads. */
  async function olderNode(): Promise<{ command: string; preArgs: string[]; version: string }> {
    const real = await oldNode();
    if (real !== undefined) {
      return { command: real, preArgs: [], version: (await ok(real, ['--version'], root)).trim() };
    }
    const fake = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.0.0"})';
    return { command: process.execPath, preArgs: ['--import', fake], version: 'v20.0.0' };
  }
  const line = (version: string) =>
    `cos-download needs Node.js ${MIN_NODE.join('.')} or newer; this is Node.js ${version}.\n`;

  it.each([
    [
      'the installed bin (dist/cli)',
      () => path.join(consumer, 'node_modules/cos-download/dist/cli/index.js'),
    ],
    ['the CLI entry as tsc builds it (lib/cli)', () => path.join(root, 'lib/cli/entry.js')],
  ])('%s says so in one line and exits 2, for --version too', async (_, entry) => {
    const old = await olderNode();
    for (const args of [['--version'], ['--bucket', 'b-1250000000', '--key', 'k']]) {
      const result = await run(old.command, [...old.preArgs, entry(), ...args], consumer);
      expect(result).toEqual({ code: 2, stdout: '', stderr: line(old.version) });
    }
  });

  it('the library fails at import with the same line, before the HTTP client loads', async () => {
    const old = await olderNode();
    const script = "import('cos-download').then(() => console.log('loaded'), (e) => console.log(e.message))";
    const result = await run(old.command, [...old.preArgs, '--input-type=module', '-e', script], consumer);
    expect(result).toEqual({ code: 0, stdout: line(old.version), stderr: '' });
  });
});
