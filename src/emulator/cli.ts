// `cos-download emulator`: run the local COS emulator until SIGINT or SIGTERM.
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { helpEntry, wrapCommand, wrapText } from '../base/wrap.js';
import { loadDemo } from './demo.js';
import { type EmulatorOptions, startEmulator } from './server.js';
import { type StsEmulator, startStsEmulator } from './sts.js';

export interface EmulatorCliIo {
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
  /** Stops the emulator like SIGINT does (tests). */
  readonly signal?: AbortSignal | undefined;
  /** The terminal's width, for --help (default 80). */
  readonly columns?: number;
}

const NAME = 'cos-download emulator';

/** Each option: how it is written, and what it does. */
const OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['--port N', 'Port to listen on; 0 picks a free one. Default: 9000.'],
  ['--host ADDRESS', 'Address to listen on. Default: 127.0.0.1 (this machine only).'],
  ['--bucket NAME-APPID', 'The bucket it serves. Default: examplebucket-1250000000.'],
  ['--region REGION', 'The region it claims. Default: ap-guangzhou.'],
  [
    '--root DIR',
    'Serve the files under DIR as objects (key = the path under DIR; empty folders as dir/ markers). ' +
      'The folder is read once, at start: files added or changed later are not seen until a restart.',
  ],
  [
    '--demo',
    'Add sample objects: a text file, a 3 MiB binary for ranged downloads, a folder, an ARCHIVE ' +
      'object and a versioned key.',
  ],
  [
    '--secret-id ID --secret-key KEY',
    'Accept only requests signed with this key (signatures are verified). Without them the bucket ' +
      'is public-read and anonymous.',
  ],
  ['--session-token TOKEN', 'With the keys: temporary credentials, which must carry this token.'],
  ['--public-read', 'With the keys: anonymous GET, HEAD and listing are allowed too.'],
  [
    '--lenient-signing',
    'Check only the headers and parameters a client chose to sign, as COS does. Default: every ' +
      'Range, If-*, x-cos-* header and query parameter must be signed, as cos-download signs them.',
  ],
  [
    '--sts',
    'Also start a stand-in for Tencent STS (AssumeRoleWithWebIdentity) whose temporary credentials ' +
      'the emulator accepts until they expire.',
  ],
  ['--sts-lifetime SECONDS', 'With --sts: how long issued credentials last (1..43200). Default: as asked.'],
  ['-h, --help', 'Print this help.'],
];

/** `cos-download emulator --help`, wrapped to `columns`. */
export function emulatorHelp(columns = 80): string {
  const width = Math.max(40, Math.min(columns, 100));
  const lines = [
    ...wrapText(
      'cos-download emulator: a local COS for tests, demos and your own workflows. It speaks the COS ' +
        'dialect (signatures, versions, ranges, conditionals, response-* overrides, traffic-limit, CRC64, ' +
        'ListObjects with pages) on one bucket, until Ctrl-C (SIGINT) or SIGTERM stops it. On start it ' +
        'prints the endpoint and a command to try.',
      width,
    ),
    '',
    'Usage:',
    ...wrapCommand(
      `${NAME} [--port 9000] [--root DIR | --demo] [--secret-id ID --secret-key KEY] [options]`,
      width,
      '  ',
    ),
    '',
    'Options:',
  ];
  for (const [flag, text] of OPTIONS) lines.push(...helpEntry(flag, text, width, 28));
  lines.push(
    '',
    'Examples:',
    ...wrapText('Sample objects, anonymous, on port 9000; then download them all:', width, '  '),
    ...wrapCommand(`${NAME} --demo --port 9000`, width, '    '),
    ...wrapCommand(
      'cos-download --endpoint http://127.0.0.1:9000 --bucket examplebucket-1250000000 --prefix / --destination out',
      width,
      '    ',
    ),
    ...wrapText('A folder as a bucket, with signatures checked:', width, '  '),
    ...wrapCommand(
      `${NAME} --root ./fixtures --secret-id AKIDEXAMPLE --secret-key EXAMPLEKEY`,
      width,
      '    ',
    ),
    '',
    ...wrapText(
      'Exit status: 0 after Ctrl-C or SIGTERM, 1 when it cannot start (port in use), 2 on a usage error.',
      width,
    ),
  );
  return `${lines.join('\n')}\n`;
}

class UsageError extends Error {}

interface Parsed {
  options: EmulatorOptions;
  demo: boolean;
  help: boolean;
  /** With --sts: the lifetime of issued credentials (undefined: as requested). */
  sts?: { lifetimeSeconds?: number | undefined } | undefined;
}

function parse(argv: readonly string[]): Parsed {
  let values: ReturnType<typeof readArgs>['values'];
  try {
    ({ values } = readArgs(argv));
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const port = values.port ?? '9000';
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, not "${port}"`);
  }
  const bucket = values.bucket ?? 'examplebucket-1250000000';
  if (!/^[a-z0-9-]+-\d+$/.test(bucket)) {
    throw new UsageError(
      `--bucket must look like NAME-APPID (e.g. examplebucket-1250000000), not "${bucket}"`,
    );
  }
  const region = values.region ?? 'ap-guangzhou';
  if (!/^[a-z0-9-]+$/.test(region))
    throw new UsageError(`--region must look like ap-guangzhou, not "${region}"`);
  if ((values['secret-id'] === undefined) !== (values['secret-key'] === undefined)) {
    throw new UsageError('--secret-id and --secret-key go together; give both or neither (public-read)');
  }
  const options: EmulatorOptions = {
    bucket,
    region,
    host: values.host ?? '127.0.0.1',
    port: Number(port),
    publicRead: values['public-read'] ?? false,
    strictSigning: !(values['lenient-signing'] ?? false),
  };
  if (values['secret-id'] !== undefined && values['secret-key'] !== undefined) {
    const token = values['session-token'];
    options.credentials = [
      {
        secretId: values['secret-id'],
        secretKey: values['secret-key'],
        sessionToken: token,
      },
    ];
  } else if (values['session-token'] !== undefined) {
    throw new UsageError('--session-token needs --secret-id and --secret-key');
  }
  if (values.root !== undefined) options.root = values.root;
  const lifetime = values['sts-lifetime'];
  if (lifetime !== undefined && !values.sts) throw new UsageError('--sts-lifetime goes with --sts');
  if (
    lifetime !== undefined &&
    !(/^\d{1,5}$/.test(lifetime) && Number(lifetime) >= 1 && Number(lifetime) <= 43_200)
  ) {
    throw new UsageError(`--sts-lifetime must be whole seconds from 1 to 43200, not "${lifetime}"`);
  }
  return {
    options,
    demo: values.demo ?? false,
    help: values.help ?? false,
    sts: values.sts ? { lifetimeSeconds: lifetime === undefined ? undefined : Number(lifetime) } : undefined,
  };
}

function readArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      root: { type: 'string' },
      demo: { type: 'boolean' },
      bucket: { type: 'string' },
      region: { type: 'string' },
      'secret-id': { type: 'string' },
      'secret-key': { type: 'string' },
      'session-token': { type: 'string' },
      'public-read': { type: 'boolean' },
      'lenient-signing': { type: 'boolean' },
      sts: { type: 'boolean' },
      'sts-lifetime': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signal?.aborted === true) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Runs the emulator. `argv` are the arguments after the command name (`cos-emulator …` or
 * `cos-download emulator …`). Returns 0 after SIGINT/SIGTERM, 2 on a usage error, 1 when the
 * emulator cannot start (port in use, unreadable --root).
 */
export async function main(argv: readonly string[], io: EmulatorCliIo = {}): Promise<number> {
  const out = io.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error: unknown) {
    if (!(error instanceof UsageError)) throw error;
    err(`${NAME}: ${error.message}. Run '${NAME} --help' for the options.`);
    return 2;
  }
  if (parsed.help) {
    out(emulatorHelp(io.columns).trimEnd());
    return 0;
  }
  const { options } = parsed;
  if (options.root !== undefined) {
    const info = await stat(options.root).catch(() => undefined);
    if (info?.isDirectory() !== true) {
      err(
        `${NAME}: --root "${options.root}" is not a folder; give an existing folder to serve. Run '${NAME} --help' for the options.`,
      );
      return 2;
    }
  }
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let sts: StsEmulator | undefined;
  try {
    if (parsed.sts !== undefined) {
      sts = await startStsEmulator({ host: options.host ?? '127.0.0.1', ...parsed.sts });
      options.temporaryCredentials = sts.issued;
    }
    emulator = await startEmulator(options);
  } catch (error: unknown) {
    await sts?.close();
    err(`${NAME}: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const demo = parsed.demo ? loadDemo(emulator) : [];
  const credentials =
    options.credentials !== undefined
      ? ' with --secret-id/--secret-key as given'
      : sts !== undefined
        ? ' with the STS options below'
        : ' (anonymous: public-read bucket)';
  out(
    `COS emulator for ${emulator.bucket} (${emulator.region}) at ${emulator.url}; try: cos-download ` +
      `--endpoint ${emulator.url} --bucket ${emulator.bucket} --region ${emulator.region} ` +
      `--prefix / --destination ./cos-emulator-download${credentials}. Ctrl-C stops it.`,
  );
  for (const object of demo) out(`  ${object.key}: ${object.note}`);
  if (options.root !== undefined) {
    out(`  Serving the files of ${options.root}, read once at start: restart to serve later changes.`);
  }
  if (sts !== undefined) {
    const account = /-(\d+)$/.exec(emulator.bucket)?.[1] ?? '0';
    out(
      `STS stand-in (AssumeRoleWithWebIdentity) at ${sts.url}; the emulator accepts its temporary credentials ` +
        `until they expire. Try: --sts-endpoint ${sts.url} --role-arn qcs::cam::uin/${account}:roleName/emulator ` +
        '--provider-id emulator --web-identity-token-file <a file holding any JWT-shaped token>',
    );
  }
  await waitForStop(io.signal);
  await emulator.close();
  await sts?.close();
  return 0;
}
