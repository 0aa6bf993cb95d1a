// The CLI's edge: argv → raw inputs → the core; prints a result (or --json) and returns the exit code.

import packageJson from '../../package.json' with { type: 'json' };
import { errorDetails, errorMessage } from '../base/error-message.js';
import { isDirectory, readRegularFile, realpathOf } from '../base/file-system.js';
import type { Logger } from '../base/runtime.js';
import { flagMessage, InputError } from '../config/errors.js';
import type { Options } from '../config/options.js';
import { parseOptions } from '../config/parse.js';
import { download, type RunResult } from '../core/download.js';
import { failureFacts } from '../core/failure.js';
import { type CliArgs, parseArgs, UsageError } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type ExitCode, Interrupted, SIGNAL_EXIT } from './exit-codes.js';
import { helpText, usageText } from './help.js';
import { formatJson, jsonFailure, jsonSuccess } from './json.js';
import { networkDeps } from './network.js';
import { humanLines } from './output.js';
import { type ErrStream, ProgressPrinter } from './progress-printer.js';

export { parseArgs, UsageError } from './args.js';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
export { helpText } from './help.js';

export interface CliIo {
  readonly stdout: {
    write(text: string): unknown;
    readonly isTTY?: boolean;
    readonly columns?: number | undefined;
  };
  readonly stderr: ErrStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Aborted on SIGINT / SIGTERM, with an {@link Interrupted} reason: the download stops, keeps its
   * checkpoint for a re-run, and the run exits 130 / 143.
   */
  readonly signal?: AbortSignal;
}

/** The version package.json states: one place to bump, read from source and bundled into dist/ alike. */
export const VERSION: string = packageJson.version;

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const columns = io.stdout.columns ?? io.stderr.columns ?? 80;
  if (argv[0] === 'emulator') {
    const emulator = await import('../emulator/cli.js');
    return (await emulator.main(argv.slice(1), {
      stdout: (line) => io.stdout.write(`${line}\n`),
      stderr: (line) => io.stderr.write(`${line}\n`),
      columns,
      signal: io.signal,
    })) as ExitCode;
  }
  if (argv[0] === 'presign') {
    const { presignMain } = await import('./presign.js');
    return presignMain(argv.slice(1), io);
  }
  if (argv.length === 0) {
    io.stderr.write(usageText(columns));
    return EXIT_USAGE;
  }
  // Known before the arguments are read, so that even a bad one is answered in JSON.
  const json = argv.includes('--json');
  let args: CliArgs;
  try {
    args = parseArgs(argv);
    if (args.quiet && args.verbose)
      throw new UsageError('--quiet and --verbose ask for opposite things: give one');
  } catch (error: unknown) {
    const flag = error instanceof UsageError ? error.flag : undefined;
    return usageFailure(io, json, errorMessage(error), flag);
  }
  if (args.help) {
    io.stdout.write(helpText(columns));
    return EXIT_OK;
  }
  if (args.version) {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  let options: Options;
  let network: Awaited<ReturnType<typeof networkDeps>>;
  try {
    options = parseOptions(args.inputs, {
      cwd: io.cwd,
      env: io.env,
      isDirectory,
      realpath: realpathOf,
      readFile: readRegularFile,
    });
    // Proxies from the environment, and a keyless run's token file (read once now: a usage error).
    network = await networkDeps(options, io.env);
  } catch (error: unknown) {
    if (!(error instanceof InputError)) throw error;
    return usageFailure(io, json, flagMessage(error), `--${error.input}`);
  }
  return run(options, args, io, network);
}

function usageFailure(io: CliIo, json: boolean, message: string, flag: string | undefined): ExitCode {
  io.stderr.write(`cos-download: ${message}\n`);
  if (json) {
    io.stdout.write(formatJson(jsonFailure(EXIT_USAGE, { kind: 'usage', message, flag })));
  }
  return EXIT_USAGE;
}

/** Where log lines go: through the printer, so they never share the progress bar's line. */
function loggerFor(printer: ProgressPrinter, args: CliArgs, interrupted: () => boolean): Logger {
  const showInfo = !args.quiet && (!args.json || args.verbose);
  return {
    debug: (m) => {
      if (args.verbose) printer.line(`debug: ${m}`);
    },
    // After Ctrl-C the engine says what it keeps: that is told even with --quiet.
    info: (m) => {
      if (showInfo || interrupted()) printer.line(m);
    },
    warning: (m) => printer.line(`warning: ${m}`),
  };
}

async function run(
  options: Options,
  args: CliArgs,
  io: CliIo,
  network: Awaited<ReturnType<typeof networkDeps>>,
): Promise<ExitCode> {
  const printer = new ProgressPrinter(io.stderr, { progress: !args.quiet && !args.json });
  const interrupted = () => io.signal?.aborted === true;
  const logger = loggerFor(printer, args, interrupted);
  // On Ctrl-C the bar stops where it is, so that what follows has lines of its own.
  const freeze = () => printer.stop(true);
  io.signal?.addEventListener('abort', freeze, { once: true });
  let result: RunResult;
  try {
    result = await download(options, {
      logger,
      ...network,
      signal: io.signal,
      onStart: (info, length, alreadyOnDisk) => printer.start(info.key, length, alreadyOnDisk),
      onBytes: (count) => printer.add(count),
    });
  } catch (error: unknown) {
    printer.stop(true);
    for (const line of errorDetails(error)) logger.debug(line);
    return failure(io, args, options, error, printer);
  } finally {
    io.signal?.removeEventListener('abort', freeze);
  }
  printer.stop(true);
  if (args.json) io.stdout.write(formatJson(jsonSuccess(result)));
  else for (const line of humanLines(result)) io.stdout.write(`${line}\n`);
  return EXIT_OK;
}

function failure(
  io: CliIo,
  args: CliArgs,
  options: Options,
  error: unknown,
  printer: ProgressPrinter,
): ExitCode {
  const reason = io.signal?.aborted === true ? (io.signal.reason as unknown) : undefined;
  if (reason instanceof Interrupted) {
    const code = SIGNAL_EXIT[reason.signal];
    const reached = printer.reached();
    const message = `${reason.message}${reached === undefined ? '' : ` at ${reached}`}; run the same command again to resume`;
    io.stderr.write(`cos-download: ${message}\n`);
    if (args.json) {
      const facts = failureFacts(error, options);
      io.stdout.write(
        formatJson(
          jsonFailure(code, { kind: 'interrupted', message, signal: reason.signal }, { ...facts, message }),
        ),
      );
    }
    return code;
  }
  if (error instanceof InputError) {
    // Found by the core (e.g. --cache): a usage error like the parser's.
    return usageFailure(io, args.json, flagMessage(error), `--${error.input}`);
  }
  const facts = failureFacts(error, options);
  io.stderr.write(`cos-download: ${facts.message}\n`);
  if (args.json)
    io.stdout.write(
      formatJson(jsonFailure(EXIT_FAILURE, { kind: 'failure', message: facts.message }, facts)),
    );
  return EXIT_FAILURE;
}
