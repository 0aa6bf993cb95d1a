// The CLI's edge: argv → raw inputs → the core; prints a result (or --json) and returns the exit code.

import packageJson from '../../package.json' with { type: 'json' };
import { errorMessage } from '../base/error-message.js';
import { isDirectory, readRegularFile, realpathOf } from '../base/file-system.js';
import type { Logger } from '../base/runtime.js';
import { InputError } from '../config/errors.js';
import { INPUT_NAMES, INPUTS, type InputName, type InputSpec, OUTPUTS } from '../config/inputs.js';
import { parseOptions, type RawInputs } from '../config/parse.js';
import { download, type RunResult } from '../core/download.js';
import { describeResult, outputsFor } from '../core/outputs.js';
import { ANNOUNCE_BYTES, formatBytes, formatProgress, Progress } from '../core/progress.js';
import { networkDeps } from './network.js';

export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on SIGINT / SIGTERM: the download stops and keeps its checkpoint for a re-run. */
  readonly signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const BOOLEAN_INPUTS = new Set<InputName>(
  INPUT_NAMES.filter((name) => {
    const fallback = (INPUTS[name] as InputSpec).default;
    return fallback === 'true' || fallback === 'false';
  }),
);

export interface CliArgs {
  readonly inputs: RawInputs;
  readonly json: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

/** `--name value`, `--name=value`; boolean inputs also as bare `--name` / `--no-name`. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const inputs: RawInputs = {};
  let json = false;
  let help = false;
  let version = false;
  const known = new Set<string>(INPUT_NAMES);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--version' || arg === '-V') version = true;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      let name = arg.slice(2, eq === -1 ? undefined : eq);
      let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
      if (value === undefined && name.startsWith('no-') && BOOLEAN_INPUTS.has(name.slice(3) as InputName)) {
        name = name.slice(3);
        value = 'false';
      }
      if (!known.has(name))
        throw new UsageError(`unknown option '--${name}'. Run 'cos-download --help' for the options.`);
      const input = name as InputName;
      if (value === undefined) {
        const next = argv[i + 1];
        if (
          BOOLEAN_INPUTS.has(input) &&
          (next === undefined || next.startsWith('--') || !/^(true|false)$/i.test(next))
        ) {
          value = 'true';
        } else if (next === undefined || /^--[a-z]/.test(next)) {
          // `--secret-id $UNSET --secret-key KEY` must not take '--secret-key' as the id and then
          // echo KEY back as a stray argument: an option never takes the next option as its value.
          throw new UsageError(`option '--${name}' needs a value, e.g. --${name} VALUE or --${name}=VALUE`);
        } else {
          value = next;
          i++;
        }
      }
      if (input in inputs && input !== 'include' && input !== 'exclude') {
        throw new UsageError(`option '--${name}' is given twice`);
      }
      inputs[input] = input in inputs ? `${inputs[input]}\n${value}` : value;
    } else {
      // Not echoed: a stray argument is often half of a value that lost its quotes, a key perhaps.
      const after = argv
        .slice(0, i)
        .findLast((earlier) => earlier.startsWith('--'))
        ?.split('=')[0];
      throw new UsageError(
        `unexpected argument #${i + 1}${after === undefined ? '' : ` (after '${after}')`}, not shown in case it is a secret; ` +
          "options start with '--', and a value with spaces needs quotes. Run 'cos-download --help'.",
      );
    }
  }
  return { inputs, json, help, version };
}

export function helpText(): string {
  const lines = [
    'cos-download: download from Tencent Cloud COS — one object, a byte range, a version, or a prefix.',
    '',
    'Usage:',
    '  cos-download --bucket NAME-APPID --region REGION --key KEY [--destination PATH] [options]',
    '  cos-download --bucket NAME-APPID --region REGION --prefix PREFIX [--destination DIR] [options]',
    '  cos-download --url LINK [--destination PATH] [options]   download a presigned (or any ranged-HTTPS) link',
    '  cos-download presign --bucket NAME-APPID --region REGION --key KEY [--expires 1h]   print a temporary link',
    '  cos-download emulator [--port 9000] [--root DIR] [--demo]   start the local COS emulator',
    '',
    'Credentials come from --secret-id/--secret-key or TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY',
    '(then COS_SECRET_ID / COS_SECRET_KEY); none means anonymous.',
    '',
    'Options:',
  ];
  for (const name of INPUT_NAMES) {
    const spec = INPUTS[name] as InputSpec;
    const fallback = spec.default === undefined ? '' : ` [default: ${spec.default}]`;
    lines.push(`  --${name.padEnd(30)}${spec.description.replace(/`/g, '')}${fallback}`);
  }
  lines.push(`  --${'json'.padEnd(30)}Print the result as JSON on stdout.`);
  lines.push('', 'Exit status: 0 success, 1 failure, 2 usage error.');
  return `${lines.join('\n')}\n`;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'emulator') {
    const emulator = await import('../emulator/cli.js');
    return emulator.main(argv.slice(1));
  }
  if (argv[0] === 'presign') {
    const { presignMain } = await import('./presign.js');
    return presignMain(argv.slice(1), io, parseArgs);
  }
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (error: unknown) {
    io.stderr.write(`cos-download: ${errorMessage(error)}\n`);
    return EXIT_USAGE;
  }
  if (args.help) {
    io.stdout.write(helpText());
    return EXIT_OK;
  }
  if (args.version) {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  try {
    const options = parseOptions(args.inputs, {
      cwd: io.cwd,
      env: io.env,
      isDirectory,
      realpath: realpathOf,
      readFile: readRegularFile,
    });
    const network = await networkDeps(options, io.env);
    const logger: Logger = {
      debug: () => {},
      info: (m) => {
        if (!args.json) io.stderr.write(`${m}\n`);
      },
      warning: (m) => io.stderr.write(`warning: ${m}\n`),
    };
    const bar = new ProgressPrinter(io.stderr, args.json);
    let result: RunResult;
    try {
      result = await download(options, {
        logger,
        ...network,
        ...(io.signal ? { signal: io.signal } : {}),
        onStart: (info, length) => bar.start(info.key, length),
        onBytes: (count) => bar.add(count),
      });
    } finally {
      bar.stop();
    }
    printResult(io, result, args.json);
    return EXIT_OK;
  } catch (error: unknown) {
    if (error instanceof InputError) {
      io.stderr.write(`cos-download: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (args.json) io.stdout.write(`${JSON.stringify({ ok: false, error: errorMessage(error) })}\n`);
    io.stderr.write(`cos-download: ${errorMessage(error)}\n`);
    return EXIT_FAILURE;
  }
}

/** The version package.json states: one place to bump, read from source and bundled into dist/ alike. */
export const VERSION: string = packageJson.version;

function printResult(io: CliIo, result: RunResult, json: boolean): void {
  const outputs = outputsFor(result);
  if (json) {
    const status = result.kind === 'object' ? result.object.status : result.dryRun ? 'dry-run' : 'mirrored';
    const files =
      result.kind === 'prefix'
        ? {
            files: result.mirror.files,
            filesOmitted: result.mirror.filesOmitted,
            refused: result.mirror.refused,
            archived: result.mirror.archived,
            kept: result.mirror.kept,
          }
        : {};
    io.stdout.write(`${JSON.stringify({ ok: true, status, ...outputs, ...files }, null, 2)}\n`);
    return;
  }
  for (const line of describeResult(result)) io.stdout.write(`${line}\n`);
  for (const name of Object.keys(OUTPUTS)) {
    const value = outputs[name as keyof typeof outputs];
    if (value !== undefined && value !== '') io.stdout.write(`  ${name}: ${value}\n`);
  }
}

/** A live bar on a TTY, a plain line every 10 s otherwise; silent under --json. */
class ProgressPrinter {
  readonly #out: CliIo['stderr'];
  readonly #quiet: boolean;
  #progress: Progress | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;

  constructor(out: CliIo['stderr'], quiet: boolean) {
    this.#out = out;
    this.#quiet = quiet;
  }

  start(key: string, length: number): void {
    if (this.#quiet) return;
    this.#progress ??= new Progress(Date.now());
    this.#progress.addTotal(length);
    const tty = this.#out.isTTY === true;
    if (!tty && length >= ANNOUNCE_BYTES) this.#out.write(`downloading ${key} (${formatBytes(length)})\n`);
    this.#timer ??= setInterval(() => this.#draw(), tty ? 200 : 10_000);
    this.#timer.unref();
  }

  add(count: number): void {
    this.#progress?.add(count);
  }

  #draw(): void {
    if (this.#progress === undefined) return;
    const snapshot = this.#progress.snapshot(Date.now());
    if (this.#out.isTTY) {
      const width = 24;
      const filled = snapshot.total > 0 ? Math.round((snapshot.done / snapshot.total) * width) : width;
      this.#out.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${formatProgress(snapshot)}\x1b[K`,
      );
      this.#drawn = true;
    } else {
      this.#out.write(`${formatProgress(snapshot)}\n`);
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#drawn) {
      this.#draw();
      this.#out.write('\n');
    }
  }
}
