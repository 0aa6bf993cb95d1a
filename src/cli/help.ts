// `cos-download --help`: the flags grouped by task, with examples and the exit codes, wrapped to
// the terminal's width.

import { helpEntry, wrapCommand, wrapText } from '../base/wrap.js';
import { INPUTS, type InputName, type InputSpec } from '../config/inputs.js';
import { BOOLEAN_INPUTS, SWITCHES, type SwitchName } from './args.js';
import { EXIT_CODES } from './exit-codes.js';

type Group = 'what' | 'where' | 'how' | 'credentials';

/** Where each input stands in the help; `undefined` = not a flag the help offers, for the reason given. */
const GROUP_OF: Record<InputName, Group | undefined> = {
  bucket: 'what',
  region: 'what',
  endpoint: 'what',
  accelerate: 'what',
  key: 'what',
  prefix: 'what',
  'version-id': 'what',
  range: 'what',
  url: 'what',
  'if-match': 'what',
  'if-none-match': 'what',
  'if-modified-since': 'what',
  'if-unmodified-since': 'what',
  include: 'what',
  exclude: 'what',
  shard: 'what',
  destination: 'where',
  overwrite: 'where',
  delete: 'where',
  'allow-empty': 'where',
  'dry-run': 'where',
  'part-size': 'how',
  concurrency: 'how',
  'traffic-limit': 'how',
  crc: 'how',
  fsync: 'how',
  retries: 'how',
  timeout: 'how',
  'response-cache-control': 'how',
  'response-content-disposition': 'how',
  'response-content-encoding': 'how',
  'response-content-language': 'how',
  'response-content-type': 'how',
  'response-expires': 'how',
  'secret-id': 'credentials',
  'secret-key': 'credentials',
  'session-token': 'credentials',
  'role-arn': 'credentials',
  'provider-id': 'credentials',
  'role-session-name': 'credentials',
  'role-duration': 'credentials',
  audience: 'credentials',
  'sts-endpoint': 'credentials',
  'web-identity-token-file': 'credentials',
  'ca-cert': 'credentials',
  'sse-customer-key': 'credentials',
  // The Actions cache is reachable only from an action step: the CLI refuses these (exit 2).
  cache: undefined,
  'cache-key': undefined,
  // `presign` is a command of its own here (`cos-download presign --help`), and its --expires with it.
  presign: undefined,
  expires: undefined,
};

const HEADINGS: Record<Group, string> = {
  what: 'What to download (and from where)',
  where: 'Where to',
  how: 'How',
  credentials: 'Credentials (else from the environment)',
};

/** The value a flag takes, as the help shows it. */
const VALUE_OF: Partial<Record<InputName, string>> = {
  bucket: 'NAME-APPID',
  region: 'REGION',
  endpoint: 'URL',
  key: 'KEY',
  prefix: 'PREFIX',
  'version-id': 'ID',
  range: 'bytes=A-B',
  url: 'LINK',
  'if-match': 'ETAG',
  'if-none-match': 'ETAG',
  'if-modified-since': 'DATE',
  'if-unmodified-since': 'DATE',
  include: 'GLOB',
  exclude: 'GLOB',
  shard: 'I/N',
  destination: 'PATH',
  overwrite: 'WHEN',
  'part-size': 'SIZE',
  concurrency: 'N',
  'traffic-limit': 'BIT/S',
  retries: 'N',
  timeout: 'TIME',
  'secret-id': 'ID',
  'secret-key': 'KEY',
  'session-token': 'TOKEN',
  'role-arn': 'QCS',
  'provider-id': 'ID',
  'role-session-name': 'NAME',
  'role-duration': 'SECONDS',
  audience: 'AUD',
  'sts-endpoint': 'URL',
  'web-identity-token-file': 'FILE',
  'ca-cert': 'PEM-FILE',
  'sse-customer-key': 'BASE64',
  'response-cache-control': 'VALUE',
  'response-content-disposition': 'VALUE',
  'response-content-encoding': 'VALUE',
  'response-content-language': 'VALUE',
  'response-content-type': 'VALUE',
  'response-expires': 'VALUE',
};

/** Where the action's wording does not fit a command line. */
const CLI_DESCRIPTIONS: Partial<Record<InputName, string>> = {
  accelerate: 'Use the global acceleration domain {bucket}.cos.accelerate.myqcloud.com.',
  crc: 'Verify every byte against the object’s CRC64 (on; --no-crc turns it off).',
  fsync: 'fsync files and folders before each rename and the manifest, for power loss (off).',
  include: 'Only keys matching this glob (relative to --prefix); repeat it for more.',
  exclude: 'Leave out keys matching this glob (relative to --prefix); repeat it for more.',
  destination:
    'File (for --key; an existing folder or a path ending in / takes the key’s base name) or folder ' +
    '(for --prefix). Default: the key’s base name / the current folder.',
  'secret-id': 'SecretId; else env TENCENTCLOUD_SECRET_ID, then COS_SECRET_ID; none: anonymous.',
  'secret-key': 'SecretKey; else env TENCENTCLOUD_SECRET_KEY, then COS_SECRET_KEY.',
  'session-token': 'Token of temporary credentials; else env TENCENTCLOUD_SESSION_TOKEN.',
};

/** The flags the help lists, by group; a test holds them against the README. */
export function helpFlags(): Record<Group, InputName[]> {
  const groups: Record<Group, InputName[]> = { what: [], where: [], how: [], credentials: [] };
  for (const [name, group] of Object.entries(GROUP_OF)) {
    if (group !== undefined) groups[group].push(name as InputName);
  }
  return groups;
}

/** An input's description in flags: `key` → --key, other code spans plain. */
function describe(name: InputName): string {
  const spec = INPUTS[name] as InputSpec;
  const text =
    CLI_DESCRIPTIONS[name] ??
    spec.description.replace(/`([^`]+)`/g, (_, code: string) =>
      Object.hasOwn(INPUTS, code) ? `--${code}` : code,
    );
  const fallback = spec.default;
  if (fallback === undefined || fallback === 'false' || BOOLEAN_INPUTS.has(name)) return text;
  return /Default/.test(text) ? text : `${text} Default: ${fallback}.`;
}

function flagColumn(name: InputName): string {
  const value = VALUE_OF[name];
  return `--${name}${value === undefined ? '' : ` ${value}`}`;
}

const EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  [
    'One object into a folder (it keeps its name); a re-run skips it if unchanged:',
    'cos-download --bucket examplebucket-1250000000 --region ap-guangzhou --key releases/app-1.4.2.tar.gz --destination downloads/',
  ],
  [
    'Mirror a prefix; a re-run downloads only what changed and, with --delete, removes what is gone:',
    'cos-download --bucket examplebucket-1250000000 --region ap-guangzhou --prefix build-cache/linux-x64 --destination .cache/build --delete',
  ],
  [
    'Say what a mirror would do, as JSON, writing nothing:',
    'cos-download --bucket examplebucket-1250000000 --region ap-guangzhou --prefix models/ --dry-run --json',
  ],
  [
    'No account? Start the local COS in one terminal, download from it in another:',
    'cos-download emulator --demo --port 9000',
  ],
  [
    '',
    'cos-download --endpoint http://127.0.0.1:9000 --bucket examplebucket-1250000000 --prefix / --destination out',
  ],
];

function usageLines(width: number): string[] {
  return [
    'Usage:',
    ...[
      'cos-download --bucket NAME-APPID --region REGION --key KEY [--destination PATH] [options]',
      'cos-download --bucket NAME-APPID --region REGION --prefix PREFIX [--destination DIR] [options]',
      'cos-download --url LINK [--destination PATH] [options]',
      'cos-download presign --bucket NAME-APPID --region REGION --key KEY [--expires 1h]',
      'cos-download emulator [--demo] [--port 9000] [--root DIR] [options]',
    ].flatMap((line) => wrapCommand(line, width, '  ', false)),
  ];
}

/** The whole help, for a terminal `columns` wide (default 80). */
export function helpText(columns = 80): string {
  const width = Math.max(40, Math.min(columns, 100));
  const column = 30;
  const out: string[] = [
    ...wrapText(
      'cos-download: download from Tencent Cloud COS — one object, a byte range of it, a version, or a ' +
        'whole prefix mirrored into a folder. Resumable, parallel, every byte checked against CRC64.',
      width,
    ),
    '',
    ...usageLines(width),
  ];
  const groups = helpFlags();
  for (const group of Object.keys(HEADINGS) as Group[]) {
    out.push('', `${HEADINGS[group]}:`);
    for (const name of groups[group]) out.push(...helpEntry(flagColumn(name), describe(name), width, column));
  }
  out.push('', 'Output:');
  for (const [name, spec] of Object.entries(SWITCHES)) {
    const left = spec.short === undefined ? `--${name}` : `-${spec.short}, --${name}`;
    out.push(...helpEntry(left, spec.description, width, column));
  }
  out.push(
    ...wrapText(
      'A progress bar is drawn on a terminal (stderr), a line every 10 s otherwise. Boolean flags work bare ' +
        '(--dry-run) or negated (--no-crc); --include/--exclude may repeat; --name=value works too.',
      width,
      '  ',
    ),
  );
  out.push('', 'Examples:');
  for (const [what, command] of EXAMPLES) {
    if (what !== '') out.push(...wrapText(what, width, '  '));
    out.push(...wrapCommand(command, width, '    '));
  }
  out.push('', 'Exit status:');
  for (const { code, meaning } of EXIT_CODES) out.push(...helpEntry(String(code), meaning, width, 8));
  return `${out.join('\n')}\n`;
}

/** The few lines a bare `cos-download` prints: what to type next. */
export function usageText(columns = 80): string {
  const width = Math.max(40, Math.min(columns, 100));
  return `${[
    ...usageLines(width),
    ...wrapText("Run 'cos-download --help' for every option, examples and the exit codes.", width),
  ].join('\n')}\n`;
}

export type { SwitchName };
