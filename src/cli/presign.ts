// `cos-download presign`: print a temporary link to one object on stdout (with `--json`:
// `{ ok, url, "expires-at" }`). The flags are the inputs'; credentials come from the same
// environment variables as a download's, or keyless from `--web-identity-token-file`.
import { errorMessage } from '../base/error-message.js';
import { isDirectory, readRegularFile, realpathOf } from '../base/file-system.js';
import { InputError } from '../config/errors.js';
import { parsePresignOptions } from '../config/parse-presign.js';
import { describePresign, presign } from '../core/presign.js';
import { type CliArgs, parseArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type ExitCode } from './exit-codes.js';
import { networkDeps } from './network.js';

/** The CLI's streams and surroundings (main.ts's `CliIo`). */
export interface PresignIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly signal?: AbortSignal;
}

const PRESIGN_HELP = `cos-download presign: print a temporary link (a presigned URL) to one object.

Usage:
  cos-download presign --bucket NAME-APPID --region REGION --key KEY [--expires 1h] [options]

Options:
  --expires DURATION               How long the link stays valid: 1h (default), 30m, 600 (seconds), 2h30m; 1s..7d
  --version-id ID                  A link to this version
  --traffic-limit BITS             x-cos-traffic-limit signed into the link (819200..838860800 bit/s)
  --response-content-disposition   A response-* override signed into the link (also -content-type, -cache-control, …)
  --json                           Print { "ok", "url", "expires-at" } instead of the bare URL
  --endpoint, --accelerate, --secret-id, --secret-key, --session-token, --role-arn, --provider-id,
  --web-identity-token-file, --ca-cert, --timeout   as for a download ('cos-download --help')

Credentials come from TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY (/ TENCENTCLOUD_SESSION_TOKEN),
then COS_SECRET_ID / COS_SECRET_KEY, or keyless from --role-arn with --web-identity-token-file.
A link is a credential: whoever holds it can read the object until it expires.
Exit status: 0 success, 1 failure, 2 usage error.
`;

/** Runs `presign` with the flags after it; returns the exit status. */
export async function presignMain(argv: readonly string[], io: PresignIo): Promise<ExitCode> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (error: unknown) {
    io.stderr.write(`cos-download presign: ${errorMessage(error)}\n`);
    return EXIT_USAGE;
  }
  if (args.help) {
    io.stdout.write(PRESIGN_HELP);
    return EXIT_OK;
  }
  try {
    const options = parsePresignOptions(args.inputs, {
      cwd: io.cwd,
      env: io.env,
      isDirectory,
      realpath: realpathOf,
      readFile: readRegularFile,
    });
    const network = await networkDeps(options, io.env);
    const result = await presign(options, {
      ...network,
      signal: io.signal,
      logger: {
        debug: () => {},
        info: (m) => {
          if (!args.json) io.stderr.write(`${m}\n`);
        },
        warning: (m) => io.stderr.write(`warning: ${m}\n`),
      },
    });
    if (args.json) {
      io.stdout.write(
        `${JSON.stringify({ ok: true, url: result.url, 'expires-at': result.expiresAt.toISOString() })}\n`,
      );
    } else {
      io.stdout.write(`${result.url}\n`);
      io.stderr.write(`${describePresign(result)}\n`);
    }
    return EXIT_OK;
  } catch (error: unknown) {
    const usage = error instanceof InputError;
    if (args.json && !usage)
      io.stdout.write(`${JSON.stringify({ ok: false, error: errorMessage(error) })}\n`);
    io.stderr.write(`cos-download presign: ${errorMessage(error)}\n`);
    return usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}
