// The CLI edge in process, without a download: --version, --help and the emulator's, a bare command,
// and the usage errors — unknown options named with the closest one, inputs told in flags, exit 2.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest, editDistance, knownFlags, parseArgs, UsageError } from '../src/cli/args.js';
import { EXIT_CODES } from '../src/cli/exit-codes.js';
import { helpFlags } from '../src/cli/help.js';
import { helpText, main, VERSION } from '../src/cli/main.js';
import { INPUT_NAMES } from '../src/config/inputs.js';

const root = path.resolve(import.meta.dirname, '..');

async function packageVersion(): Promise<string> {
  const manifest: unknown = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  if (typeof version !== 'string') throw new TypeError('package.json has no version');
  return version;
}

async function cli(args: readonly string[], columns?: number) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text), columns },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: root,
  });
  return { code, stdout, stderr };
}

describe('cos-download --version', () => {
  it.each([['--version'], ['-V']])("%s prints package.json's version and exits 0", async (flag) => {
    const version = await packageVersion();
    expect(VERSION).toBe(version);
    expect(await cli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('cos-download --help', () => {
  it('groups the flags by task, in order, with examples and the exit codes', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    const headings = stdout.split('\n').filter((line) => /^[A-Z][^:]*:$/.test(line));
    expect(headings).toEqual([
      'Usage:',
      'What to download (and from where):',
      'Where to:',
      'How:',
      'Credentials (else from the environment):',
      'Output:',
      'Examples:',
      'Exit status:',
    ]);
    for (const { code: exit } of EXIT_CODES) expect(stdout).toMatch(new RegExp(`^  ${exit} +\\S`, 'm'));
    expect(stdout).toContain('cos-download emulator --demo --port 9000');
  });

  it('lists every flag but --cache, --cache-key (action only), --presign and --expires (the presign command)', async () => {
    const { stdout } = await cli(['--help']);
    const listed = Object.values(helpFlags()).flat();
    expect([...listed].sort()).toEqual(
      INPUT_NAMES.filter((name) => !['cache', 'cache-key', 'presign', 'expires'].includes(name)).sort(),
    );
    for (const name of listed) expect(stdout).toMatch(new RegExp(`^  --${name}\\b`, 'm'));
    for (const flag of ['--json', '--quiet', '--verbose', '--help', '--version'])
      expect(stdout).toContain(flag);
    // The CLI speaks in flags: no input is named in the action's way.
    expect(stdout).not.toMatch(/`|Input '/);
  });

  it.each([40, 50, 80, 120])('fits a terminal %i columns wide', async (columns) => {
    const { stdout } = await cli(['--help'], columns);
    const width = Math.min(Math.max(columns, 40), 100);
    for (const line of stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
  });

  it('wraps each example as a command that still pastes: every continued line ends in \\', () => {
    const text = helpText(50);
    const examples = text.slice(text.indexOf('Examples:'), text.indexOf('Exit status:')).split('\n');
    const commands = examples.filter((line) => line.startsWith('    '));
    expect(commands.length).toBeGreaterThan(5);
    for (const [i, line] of commands.entries()) {
      const next = commands[i + 1];
      if (next?.startsWith('      ')) expect(line.endsWith(' \\')).toBe(true);
    }
  });
});

describe('cos-download emulator --help', () => {
  it('describes every option the emulator takes, under the command that exists', async () => {
    const { code, stdout } = await cli(['emulator', '--help']);
    expect(code).toBe(0);
    expect(stdout).not.toContain('cos-emulator');
    expect(stdout).toContain('cos-download emulator [--port 9000]');
    for (const flag of [
      '--port',
      '--host',
      '--bucket',
      '--region',
      '--root',
      '--demo',
      '--secret-id ID --secret-key',
      '--session-token',
      '--public-read',
      '--lenient-signing',
      '--sts',
      '--sts-lifetime',
      '--help',
    ]) {
      expect(stdout).toMatch(new RegExp(`^  (-h, )?${flag}\\b`, 'm'));
    }
    expect(stdout.replace(/\s+/g, ' ')).toContain(
      'read once, at start: files added or changed later are not seen until a restart',
    );
    expect(stdout).toMatch(/^Examples:/m);
  });

  it('refuses an unknown option in one line, pointing to --help', async () => {
    const { code, stderr } = await cli(['emulator', '--prot', '9000']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^cos-download emulator: .*'--prot'.*Run 'cos-download emulator --help'/),
    ]);
  });
});

describe('a bare cos-download', () => {
  it('prints the usage on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await cli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Usage:\n {2}cos-download --bucket NAME-APPID/);
    expect(stderr).toMatch(/Run 'cos-download --help'/);
  });
});

describe('usage errors', () => {
  it.each<[string[], RegExp]>([
    [
      ['-k', 'x'],
      /^cos-download: unknown option '-k'\. Did you mean --key\? The one-letter options are -q, -v, -h, -V/,
    ],
    [['--destinaton', 'x'], /^cos-download: unknown option '--destinaton'\. Did you mean --destination\?/],
    [['--bukcet', 'x'], /unknown option '--bukcet'\. Did you mean --bucket\?/],
    [['--part_size', '8MiB'], /unknown option '--part_size'\. Did you mean --part-size\?/],
    [['--dryrun'], /unknown option '--dryrun'\. Did you mean --dry-run\?/],
    [['--no-crcs'], /unknown option '--no-crcs'\. Did you mean --no-crc\?/],
    [['--frobnicate'], /^cos-download: unknown option '--frobnicate'\. Run 'cos-download --help'/],
    [['emulater'], /^cos-download: unknown command 'emulater'\. Did you mean 'cos-download emulator'\?/],
    [['--key'], /option '--key' needs a value/],
    [['--key', 'a', '--key', 'b'], /option '--key' is given twice/],
    [['--quiet', '--verbose', '--key', 'a'], /--quiet and --verbose ask for opposite things/],
  ])('%j: one line, exit 2', async (argv, message) => {
    const { code, stdout, stderr } = await cli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
    if (!/frobnicate/.test(stderr)) expect(stderr).not.toMatch(/Did you mean --frob/);
  });

  it('names no guess when nothing is close', async () => {
    const { stderr } = await cli(['--zzzzzzzz']);
    expect(stderr).not.toContain('Did you mean');
  });

  it.each<[string[], string]>([
    [
      ['--region', 'ap-guangzhou', '--key', 'a'],
      "cos-download: --bucket (not set): required: the bucket to download from. Fix: e.g. 'examplebucket-1250000000'.\n",
    ],
    [
      ['--bucket', 'b-1', '--region', 'ap-guangzhou', '--key', 'a', '--part-size', '10MB'],
      "cos-download: --part-size '10MB': ",
    ],
    [
      ['--bucket', 'b-1', '--region', 'ap-guangzhou'],
      'cos-download: None of --key, --prefix or --url is set: exactly one says what to download. Fix: set --key path/to/file.bin',
    ],
    [
      ['--bucket', 'b-1', '--region', 'ap-guangzhou', '--key', 'a', '--delete'],
      'cos-download: --delete: applies only to a folder mirror (--prefix), not to one object (--key). Fix: remove --delete, or use --prefix instead of --key.\n',
    ],
    [
      ['--bucket', 'b-1', '--region', 'ap-guangzhou', '--prefix', 'a', '--destination', 'out', '--cache'],
      'cos-download: --cache: needs the GitHub Actions cache, which only the action can reach. Fix: remove --cache (the mirror still skips unchanged files through its manifest), or run the action.\n',
    ],
  ])('inputs are told in flags: %j', async (argv, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(2);
    if (message.endsWith('\n')) expect(stderr).toBe(message);
    else expect(stderr.startsWith(message)).toBe(true);
    expect(stderr).not.toMatch(/Input '|'(key|prefix|cache|delete)'/);
  });

  it('--json answers a usage error on stdout too: ok false, the error, the exit code', async () => {
    const { code, stdout } = await cli(['--json', '--destinaton', 'x']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      'exit-code': 2,
      error: {
        kind: 'usage',
        message:
          "unknown option '--destinaton'. Did you mean --destination? Run 'cos-download --help' for the options.",
        flag: '--destinaton',
      },
    });
    const input = await cli([
      '--json',
      '--bucket',
      'b-1',
      '--region',
      'ap-guangzhou',
      '--key',
      'a',
      '--range',
      'x',
    ]);
    expect(JSON.parse(input.stdout)).toMatchObject({
      ok: false,
      'exit-code': 2,
      error: { kind: 'usage', flag: '--range', message: expect.stringMatching(/^--range 'x': /) },
    });
  });
});

describe('parseArgs', () => {
  it('reads values, bare and negated switches, repeated globs, and its own switches', () => {
    expect(
      parseArgs([
        '--bucket=b-1',
        '--key',
        'a',
        '--dry-run',
        '--no-crc',
        '--include',
        '*.a',
        '--include',
        '*.b',
        '-q',
        '--json',
      ]),
    ).toEqual({
      inputs: { bucket: 'b-1', key: 'a', 'dry-run': 'true', crc: 'false', include: '*.a\n*.b' },
      json: true,
      quiet: true,
      verbose: false,
      help: false,
      version: false,
    });
  });

  it('never takes an option as the value of the one before, nor echoes a stray argument', () => {
    expect(() => parseArgs(['--secret-id', '--secret-key', 'KEY'])).toThrow(UsageError);
    try {
      parseArgs(['--key', 'a', 'stray-secret']);
    } catch (error: unknown) {
      expect((error as Error).message).not.toContain('stray-secret');
      expect((error as Error).message).toMatch(/unexpected argument #3 \(after '--key'\)/);
    }
  });
});

describe('closest', () => {
  it.each<[string, number]>([
    ['kitten|sitting', 3],
    ['bucket|bukcet', 1],
    ['ab|ba', 1],
    ['|abc', 3],
  ])('editDistance %s = %i', (pair, distance) => {
    const [a = '', b = ''] = pair.split('|');
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it('suggests within a distance that grows with the length, or the one flag a prefix starts', () => {
    const known = knownFlags();
    expect(closest('destinaton', known)).toBe('destination');
    expect(closest('if-none-mach', known)).toBe('if-none-match');
    expect(closest('concurency', known)).toBe('concurrency');
    expect(closest('verbos', known)).toBe('verbose');
    expect(closest('sse', known)).toBe('sse-customer-key');
    expect(closest('zz', known)).toBeUndefined();
    expect(closest('response', known)).toBeUndefined();
  });
});
