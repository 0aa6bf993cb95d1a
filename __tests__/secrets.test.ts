// Secrets never leave the process in anything a user or a log can read. Known credentials and SSE-C
// keys go through the action (typed fake core, debug on; and the real @actions/core in a child, as a
// runner runs it) and the CLI (text and --json), over success and every failure we can cause; then
// logs, outputs, summaries, GITHUB_OUTPUT, checkpoints and manifests are searched for the secrets
// in any common encoding, and for any signature or pre-signed URL. A link is a credential too: a
// token-bearing link goes through the same channels (downloaded with `url`, made with `presign`).
import { type ChildProcess, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCore, fakeCore } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { secretForms } from '../src/action/secrets.js';
import { main } from '../src/cli/main.js';
import { presignObjectUrl } from '../src/cos/presign.js';
import { cosEncode } from '../src/cos/sign.js';
import { useEmulator } from './helpers/use-emulator.js';

const ID = 'AKIDsecretsTest0id0000000000000001';
const KEY = 'secretsTestKey+/0never=shown0123456789';
const TOKEN = 'secretsTestToken+/0never=shown==';
const WRONG_KEY = 'wrongTestKey+/0also=never=shown01234';
const SSE = randomBytes(32).toString('base64');
const OTHER_SSE = randomBytes(32).toString('base64');
const SHORT_SSE = randomBytes(16).toString('base64');
const md5 = (key: string) => createHash('md5').update(Buffer.from(key, 'base64')).digest('base64');

/** Every secret a scenario may hand in; none may show up in any encoding. */
const SECRETS = [ID, KEY, TOKEN, WRONG_KEY, SSE, OTHER_SSE, SHORT_SSE];

function forbiddenForms(): string[] {
  const forms = new Set<string>();
  for (const secret of SECRETS) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(cosEncode(secret));
    forms.add(Buffer.from(secret).toString('base64'));
    forms.add(Buffer.from(secret).toString('hex'));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  for (const key of [SSE, OTHER_SSE, SHORT_SSE]) {
    forms.add(Buffer.from(key, 'base64').toString('hex'));
    // Not a secret in itself (COS echoes it), but it fingerprints the key: keep it out of logs too.
    forms.add(md5(key));
  }
  return [...forms];
}
const FORBIDDEN = forbiddenForms();
/** Signatures, signed headers and pre-signed URLs (any URL with a query). */
const SIGNED = /q-signature|q-sign-algorithm|q-ak=|q-key-time|x-cos-security-token=|https?:\/\/[^\s'"]*\?/i;

function expectNoSecrets(where: string, text: string): void {
  for (const form of FORBIDDEN) {
    if (text.includes(form))
      expect.fail(`${where} holds a secret (${form.slice(0, 6)}…): ${text.slice(0, 2000)}`);
  }
  expect(text, where).not.toMatch(SIGNED);
}

/** After this many GETs the emulator's clock jumps two hours: a link expires mid-download. */
let expireAfterGets: number | undefined;
const ctx = useEmulator({
  emulator: {
    credentials: [{ secretId: ID, secretKey: KEY, sessionToken: TOKEN }],
    now: () =>
      Date.now() +
      (expireAfterGets !== undefined && ctx.emulator.stats.count('get') > expireAfterGets ? 2 * 3600_000 : 0),
  },
});
let bait: Server;
let baitRequests = 0;
let echo: Server;
const children = new Set<ChildProcess>();
const big = randomBytes(1536 * 1024);

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function listen(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}

beforeAll(async () => {
  ctx.emulator.put('plain.txt', 'plain');
  ctx.emulator.put('big.bin', big);
  ctx.emulator.put('sse.bin', randomBytes(4096), { sseCustomerKey: SSE });
  ctx.emulator.put('data/a.txt', 'a');
  ctx.emulator.put('data/sub/b.bin', randomBytes(2048));
  // A server a redirect points at: it must never be asked anything.
  bait = createServer((_req, res) => {
    baitRequests++;
    res.end('bait');
  });
  // A server that echoes the request's secrets in its error message, as a careless proxy might.
  echo = createServer((req, res) => {
    const echoed = [
      req.headers.authorization,
      req.headers['x-cos-security-token'],
      req.headers['x-cos-server-side-encryption-customer-key'],
      req.url,
    ].join(' ');
    const body = `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>denied: ${echoed}</Message><RequestId>r-1</RequestId></Error>`;
    res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await listen(bait);
  await listen(echo);
});
afterAll(async () => {
  bait.closeAllConnections();
  echo.closeAllConnections();
  await new Promise((resolve) => bait.close(resolve));
  await new Promise((resolve) => echo.close(resolve));
});
beforeEach(() => {
  baitRequests = 0;
  expireAfterGets = undefined;
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

interface Scenario {
  readonly name: string;
  /** Inputs beyond bucket, endpoint and credentials. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Credential inputs that replace the good ones (bad values, wrong keys). */
  readonly credentials?: Readonly<Record<string, string>>;
  readonly endpoint?: () => string;
  readonly setup?: () => void;
  readonly fails: RegExp | false;
  /** A bad input: the CLI exits 2 before any request. */
  readonly usage?: boolean;
  /** What the run leaves on disk to search: a checkpoint or a manifest. */
  readonly leaves?: 'checkpoint' | 'manifest';
}

const redirectTarget = () =>
  `${urlOf(bait)}/big.bin?q-sign-algorithm=sha1&q-ak=${ID}&q-signature=${'ab'.repeat(20)}&x-cos-security-token=${encodeURIComponent(TOKEN)}&sign=${encodeURIComponent(KEY)}`;

const SCENARIOS: readonly Scenario[] = [
  { name: 'a multipart download', inputs: { key: 'big.bin', 'part-size': '512KiB' }, fails: false },
  { name: 'an SSE-C object', inputs: { key: 'sse.bin', 'sse-customer-key': SSE }, fails: false },
  { name: 'a mirror', inputs: { prefix: 'data/' }, fails: false, leaves: 'manifest' },
  {
    name: 'a wrong secret key',
    inputs: { key: 'plain.txt' },
    credentials: { 'secret-id': ID, 'secret-key': WRONG_KEY, 'session-token': TOKEN },
    fails: /SignatureDoesNotMatch/,
  },
  {
    name: 'a wrong session token',
    inputs: { key: 'plain.txt' },
    credentials: { 'secret-id': ID, 'secret-key': KEY, 'session-token': WRONG_KEY },
    fails: /InvalidToken/,
  },
  { name: 'a missing object', inputs: { key: 'missing.bin' }, fails: /404 NoSuchKey/ },
  {
    name: 'a 403',
    inputs: { key: 'plain.txt' },
    setup: () => ctx.emulator.setFaults({ failNext: [{ status: 403, code: 'AccessDenied' }] }),
    fails: /403 AccessDenied/,
  },
  {
    name: '5xx after retries',
    inputs: { key: 'plain.txt', retries: '2' },
    setup: () => ctx.emulator.setFaults({ errorRate: 1, errorStatus: 503 }),
    fails: /503 (SlowDown|ServiceUnavailable)/,
  },
  {
    name: 'connection resets',
    inputs: { key: 'big.bin', 'part-size': '512KiB', retries: '1' },
    setup: () => ctx.emulator.setFaults({ resetAfterBytes: 4096 }),
    fails: /connection|socket|ECONNRESET|other side closed|terminated/i,
  },
  {
    name: 'a CRC mismatch',
    inputs: { key: 'big.bin', 'part-size': '512KiB' },
    setup: () => ctx.emulator.setFaults({ corruptByteAt: 700_000 }),
    fails: /CRC64 mismatch/,
  },
  {
    name: 'a part refused midway (checkpoint kept)',
    inputs: { key: 'big.bin', 'part-size': '512KiB', concurrency: '1' },
    setup: () =>
      ctx.emulator.setFaults({ failNext: [{ status: 403, code: 'AccessDenied', kinds: ['get'], skip: 1 }] }),
    fails: /403 AccessDenied/,
    leaves: 'checkpoint',
  },
  {
    name: 'a 302 to a signed URL',
    inputs: { key: 'sse.bin', 'sse-customer-key': SSE },
    setup: () => ctx.emulator.setFaults({ redirect: { location: redirectTarget() } }),
    fails: /302/,
  },
  {
    name: 'the wrong SSE-C key',
    inputs: { key: 'sse.bin', 'sse-customer-key': OTHER_SSE },
    fails: /SSE-C|40[03]/,
  },
  {
    name: 'a mirror whose downloads fail',
    inputs: { prefix: 'data/', retries: '0' },
    setup: () =>
      ctx.emulator.setFaults({ failNext: [{ status: 500, code: 'InternalError', kinds: ['get'] }] }),
    fails: /failed/,
  },
  {
    name: 'a server that echoes the request',
    inputs: { key: 'sse.bin', 'sse-customer-key': SSE },
    endpoint: () => urlOf(echo),
    fails: /403 AccessDenied/,
  },
  {
    name: 'a secret-id with a space',
    inputs: { key: 'plain.txt' },
    credentials: { 'secret-id': `${ID} x`, 'secret-key': KEY },
    fails: /(?:'secret-id' =|--secret-id) \(hidden\)/,
    usage: true,
  },
  {
    name: 'a secret-key with a line break',
    inputs: { key: 'plain.txt' },
    credentials: { 'secret-id': ID, 'secret-key': `${KEY}\n${WRONG_KEY}` },
    fails: /(?:'secret-key' =|--secret-key) \(hidden\)/,
    usage: true,
  },
  {
    name: 'a session token with a tab',
    inputs: { key: 'plain.txt' },
    credentials: { 'secret-id': ID, 'secret-key': KEY, 'session-token': `${TOKEN}\t${WRONG_KEY}` },
    fails: /(?:'session-token' =|--session-token) \(hidden\)/,
    usage: true,
  },
  {
    name: 'a secret-key without its id',
    inputs: { key: 'plain.txt' },
    credentials: { 'secret-key': KEY },
    fails: /'secret-id'|--secret-id/,
    usage: true,
  },
  {
    name: 'an SSE-C key that is not base64',
    inputs: { key: 'sse.bin', 'sse-customer-key': `${SSE.slice(0, -4)}%%%%` },
    fails: /(?:'sse-customer-key' =|--sse-customer-key) \(hidden\)/,
    usage: true,
  },
  {
    name: 'an SSE-C key of 16 bytes',
    inputs: { key: 'sse.bin', 'sse-customer-key': SHORT_SSE },
    fails: /(?:'sse-customer-key' =|--sse-customer-key) \(hidden\).*16 bytes/,
    usage: true,
  },
];

const GOOD = { 'secret-id': ID, 'secret-key': KEY, 'session-token': TOKEN };
const SECRET_INPUTS = ['secret-id', 'secret-key', 'session-token', 'sse-customer-key'];

describe('the forms of a secret the runner masks', () => {
  it.each([
    ['key', ['key']],
    [' key\n', [' key\n', 'key']],
    ['key\r\nsecond\n', ['key\r\nsecond\n', 'key\r\nsecond', 'key', 'second']],
    ['\n\n', ['\n\n']],
  ])('%j → %j', (value, forms) => {
    expect(secretForms(value)).toEqual(forms);
  });
});

function inputsOf(scenario: Scenario): Record<string, string> {
  return {
    bucket: ctx.emulator.bucket,
    endpoint: scenario.endpoint?.() ?? ctx.emulator.url,
    retries: '1',
    timeout: '5s',
    ...(scenario.credentials ?? GOOD),
    ...scenario.inputs,
  };
}

/** Every file the run left under the work folder that is not downloaded content: checkpoints, manifests. */
async function leftoverText(): Promise<string> {
  const texts: string[] = [];
  for (const entry of await readdir(ctx.work, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.json(\.tmp)?$/.test(entry.name)) continue;
    texts.push(await readFile(path.join(entry.parentPath, entry.name), 'utf8'));
  }
  return texts.join('\n');
}

/** The fake core, recording the order of setSecret against everything that shows text. */
function orderedCore(inputs: Record<string, string>): { core: FakeCore; events: string[] } {
  const core = fakeCore(inputs, true);
  const events: string[] = [];
  const wrap = <K extends 'setSecret' | 'info' | 'warning' | 'debug' | 'setOutput' | 'setFailed'>(
    name: K,
  ) => {
    const inner = core[name] as (...args: string[]) => void;
    (core as unknown as Record<string, unknown>)[name] = (...args: string[]) => {
      events.push(name === 'setSecret' ? 'secret' : name);
      inner(...args);
    };
  };
  for (const name of ['setSecret', 'info', 'warning', 'debug', 'setOutput', 'setFailed'] as const) wrap(name);
  return { core, events };
}

function expectOutcome(scenario: Pick<Scenario, 'fails'>, failure: string | undefined): void {
  if (scenario.fails === false) expect(failure).toBeUndefined();
  else expect(failure).toMatch(scenario.fails);
}

describe('the action (fake core, debug on)', () => {
  it.each(SCENARIOS)('$name: secrets masked first, never shown', async (scenario) => {
    scenario.setup?.();
    const inputs = inputsOf(scenario);
    const { core, events } = orderedCore(inputs);
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work, ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } });
    expectOutcome(scenario, core.failed);
    // Every secret input given is masked before the first line of output.
    for (const name of SECRET_INPUTS) {
      const value = inputs[name];
      if (value !== undefined) expect(core.secrets).toContain(value);
    }
    const firstShown = events.findIndex((event) => event !== 'secret');
    expect(events.lastIndexOf('secret')).toBeLessThan(firstShown === -1 ? events.length : firstShown);
    expectNoSecrets(
      'logs, outputs, summary, failure',
      JSON.stringify([core.logs, core.outputs, core.summaries, core.failed]),
    );
    const leftover = await leftoverText();
    if (scenario.leaves !== undefined)
      expect(leftover).toMatch(new RegExp(`"format": ?"cos-download-${scenario.leaves}/\\d"`));
    expectNoSecrets('checkpoints and manifests', leftover);
    expect(baitRequests).toBe(0);
  });

  it.each(SCENARIOS.filter((s) => s.credentials === undefined))(
    '$name, credentials from the environment: masked and never shown',
    async (scenario) => {
      scenario.setup?.();
      const { core, events } = orderedCore(
        Object.fromEntries(Object.entries(inputsOf(scenario)).filter(([name]) => !(name in GOOD))),
      );
      await run({
        core,
        env: {
          GITHUB_WORKSPACE: ctx.work,
          TENCENTCLOUD_SECRET_ID: ID,
          TENCENTCLOUD_SECRET_KEY: `${KEY}\n`,
          TENCENTCLOUD_SESSION_TOKEN: TOKEN,
        },
      });
      expectOutcome(scenario, core.failed);
      expect(core.secrets).toEqual(expect.arrayContaining([ID, `${KEY}\n`, TOKEN]));
      const firstShown = events.findIndex((event) => event !== 'secret');
      expect(events.lastIndexOf('secret')).toBeLessThan(firstShown === -1 ? events.length : firstShown);
      expectNoSecrets(
        'logs, outputs, summary, failure',
        JSON.stringify([core.logs, core.outputs, core.summaries, core.failed]),
      );
      expectNoSecrets('checkpoints and manifests', await leftoverText());
    },
  );
});

/** The CLI in-process; flags carry the inputs, or the environment the credentials. */
async function cli(scenario: Scenario, mode: 'flags' | 'env', output: 'text' | 'json' | 'verbose') {
  const inputs = inputsOf(scenario);
  const credentials = scenario.credentials ?? GOOD;
  const env: Record<string, string> = {};
  const argv: string[] = [];
  for (const [name, value] of Object.entries(inputs)) {
    if (mode === 'env' && name in credentials) continue;
    argv.push(`--${name}`, value);
  }
  if (mode === 'env') {
    if (credentials['secret-id'] !== undefined) env.TENCENTCLOUD_SECRET_ID = credentials['secret-id'];
    if (credentials['secret-key'] !== undefined) env.TENCENTCLOUD_SECRET_KEY = credentials['secret-key'];
    if (credentials['session-token'] !== undefined)
      env.TENCENTCLOUD_SESSION_TOKEN = credentials['session-token'];
  }
  if (output === 'json') argv.push('--json');
  if (output === 'verbose') argv.push('--verbose');
  return runMain(argv, env);
}

/** `main` in-process with stdout and stderr captured. */
async function runMain(argv: readonly string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd: ctx.work,
  });
  return { code, stdout, stderr };
}

describe('the CLI', () => {
  it.each(
    SCENARIOS.flatMap((s) => [
      { ...s, mode: 'flags' as const },
      { ...s, mode: 'env' as const },
    ]),
  )('$name ($mode): nothing secret on stdout or stderr, text, --json or --verbose', async (scenario) => {
    for (const output of ['text', 'json', 'verbose'] as const) {
      // Each run starts afresh: a run that resumes the last one's parts may not meet the fault.
      for (const entry of await readdir(ctx.work))
        await rm(path.join(ctx.work, entry), { recursive: true, force: true });
      scenario.setup?.();
      const result = await cli(scenario, scenario.mode, output);
      expect(result.code).toBe(scenario.fails === false ? 0 : scenario.usage ? 2 : 1);
      if (scenario.fails !== false) expect(result.stderr).toMatch(scenario.fails);
      // --verbose tells a failure's cause chain with its codes: as clean as the rest.
      if (output === 'verbose' && scenario.fails !== false && scenario.usage !== true) {
        expect(result.stderr).toMatch(/^debug: error: /m);
      }
      expectNoSecrets(`stdout (${output})`, result.stdout);
      expectNoSecrets(`stderr (${output})`, result.stderr);
      expectNoSecrets('checkpoints and manifests', await leftoverText());
    }
    expect(baitRequests).toBe(0);
  });

  it('an empty --secret-id before --secret-key does not swallow the key and print it', async () => {
    // `--secret-id $EMPTY --secret-key $KEY` with an unset variable: the shell drops the empty word.
    const { code, stderr } = await runMain([
      '--bucket',
      ctx.emulator.bucket,
      '--key',
      'plain.txt',
      '--secret-id',
      '--secret-key',
      KEY,
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/option '--secret-id' needs a value/);
    expectNoSecrets('stderr', stderr);
  });

  it('a key split by lost quotes is not echoed as a stray argument', async () => {
    // `--secret-key $KEY` where the key holds a space and the variable is unquoted: the second
    // half arrives as an argument of its own.
    const { code, stderr } = await runMain([
      '--bucket',
      ctx.emulator.bucket,
      '--key',
      'plain.txt',
      '--secret-id',
      ID,
      '--secret-key',
      KEY.slice(0, 8),
      KEY.slice(8),
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unexpected argument #9 \(after '--secret-key'\), not shown/);
    expect(stderr).not.toContain(KEY.slice(8));
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the action as a runner runs it (real @actions/core, RUNNER_DEBUG=1)', () => {
  const repository = path.resolve(import.meta.dirname, '..');

  async function runChild(scenario: Scenario) {
    const outputFile = path.join(ctx.work, 'github-output');
    const summaryFile = path.join(ctx.work, 'step-summary');
    await writeFile(outputFile, '');
    await writeFile(summaryFile, '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_WORKSPACE: ctx.work,
      RUNNER_TEMP: ctx.work,
      RUNNER_DEBUG: '1',
    };
    for (const [name, value] of Object.entries(inputsOf(scenario)))
      env[`INPUT_${name.toUpperCase()}`] = value;
    const child = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const process_ = execFile(
        process.execPath,
        [
          '--import',
          path.join(repository, '__tests__/helpers/ts-source.ts'),
          path.join(repository, 'src/index.ts'),
        ],
        { env, cwd: ctx.work, timeout: 20_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
            stdout,
            stderr,
          }),
      );
      children.add(process_);
    });
    return {
      ...child,
      output: await readFile(outputFile, 'utf8'),
      summary: await readFile(summaryFile, 'utf8'),
    };
  }

  it.each(
    SCENARIOS.filter((s) =>
      [
        'a multipart download',
        'a mirror',
        'a wrong secret key',
        'a 302 to a signed URL',
        'a CRC mismatch',
        'a secret-key with a line break',
      ].includes(s.name),
    ),
  )(
    '$name: add-mask comes first; stdout, stderr, GITHUB_OUTPUT and the summary hold no secret',
    async (scenario) => {
      scenario.setup?.();
      const result = await runChild(scenario);
      expect(result.code).toBe(scenario.fails === false ? 0 : 1);
      const lines = result.stdout.split('\n').filter((line) => line !== '');
      const masks = lines.filter((line) => line.startsWith('::add-mask::'));
      expect(masks.length).toBeGreaterThanOrEqual(3);
      expect(lines.slice(0, masks.length)).toEqual(masks);
      // Each secret is masked whole and line by line (@actions/core trims inputs, escapes line breaks).
      const escaped = (text: string) =>
        text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
      for (const name of SECRET_INPUTS) {
        const value = inputsOf(scenario)[name]?.trim();
        for (const form of value === undefined ? [] : secretForms(value)) {
          expect(masks).toContain(`::add-mask::${escaped(form)}`);
        }
      }
      // Debug is on: a failure logs its stack as ::debug:: lines, which must be as clean.
      if (scenario.fails !== false) expect(lines.some((line) => line.startsWith('::debug::'))).toBe(true);
      if (scenario.fails !== false)
        expect(result.stdout).toMatch(new RegExp(`::error::.*${scenario.fails.source}`));
      else expect(result.output).toMatch(/^(etag|files-downloaded)<</m);
      expectNoSecrets('stdout after the masks', lines.slice(masks.length).join('\n'));
      expectNoSecrets('stderr', result.stderr);
      expectNoSecrets('GITHUB_OUTPUT', result.output);
      expectNoSecrets('job summary', result.summary);
      expectNoSecrets('checkpoints and manifests', await leftoverText());
      expect(baitRequests).toBe(0);
    },
  );
});

/** A token-bearing link of ours to `key` on `origin` (the emulator by default). */
function tokenLink(key: string, origin = ctx.emulator.url): string {
  return presignObjectUrl(
    {
      endpoint: origin,
      credentials: { secretId: ID, secretKey: KEY, sessionToken: TOKEN },
      key,
      expiresSeconds: 600,
    },
    Date.now(),
  ).url;
}

interface LinkScenario {
  readonly name: string;
  /** The step's inputs, the link among them (made when the scenario runs). */
  readonly inputs: () => Record<string, string>;
  readonly setup?: () => void;
  readonly fails: RegExp | false;
  readonly leaves?: 'checkpoint';
}

const LINK_SCENARIOS: readonly LinkScenario[] = [
  {
    name: 'a token-bearing link, multipart',
    inputs: () => ({ url: tokenLink('big.bin'), 'part-size': '512KiB' }),
    fails: false,
  },
  {
    name: 'a link that expires mid-download (checkpoint kept)',
    inputs: () => ({ url: tokenLink('big.bin'), 'part-size': '512KiB', concurrency: '1' }),
    setup: () => {
      expireAfterGets = 1;
    },
    fails:
      /The link to http:\/\/127\.0\.0\.1:\d+\/big\.bin expired at \S+Z \(valid from \S+Z\); make a new one/,
    leaves: 'checkpoint',
  },
  {
    name: 'a tampered link',
    inputs: () => ({ url: tokenLink('plain.txt').replace(/q-signature=[0-9a-f]{6}/, 'q-signature=000000') }),
    fails: /403 SignatureDoesNotMatch/,
  },
  {
    name: 'a link answered with a 302 to a signed URL',
    inputs: () => ({ url: tokenLink('plain.txt') }),
    setup: () => ctx.emulator.setFaults({ redirect: { location: redirectTarget() } }),
    fails: /302 Redirect: the server redirected to http:\/\/127\.0\.0\.1:\d+\/big\.bin /,
  },
  {
    name: 'a link to a server that echoes the request',
    inputs: () => ({ url: tokenLink('big.bin', urlOf(echo)) }),
    fails: /403 AccessDenied/,
  },
];

describe('a link is a credential', () => {
  it.each(LINK_SCENARIOS)('$name (action, debug on): masked first, never shown', async (scenario) => {
    scenario.setup?.();
    const inputs = scenario.inputs();
    const { core, events } = orderedCore(inputs);
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work, ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } });
    expectOutcome(scenario, core.failed);
    const link = inputs.url ?? '';
    expect(core.secrets).toContain(link);
    expect(core.secrets).toContain(new URL(link).searchParams.get('q-signature'));
    expect(core.secrets).toContain(TOKEN);
    const firstShown = events.findIndex((event) => event !== 'secret');
    expect(events.lastIndexOf('secret')).toBeLessThan(firstShown === -1 ? events.length : firstShown);
    expectNoSecrets(
      'logs, outputs, summary, failure',
      JSON.stringify([core.logs, core.outputs, core.summaries, core.failed]),
    );
    const leftover = await leftoverText();
    if (scenario.leaves !== undefined) {
      expect(leftover).toMatch(/"format": ?"cos-download-checkpoint\/\d"/);
      expect(core.logs).toContainEqual(expect.stringMatching(/Kept 1 of 3 finished parts/));
    }
    expectNoSecrets('checkpoints', leftover);
    expect(leftover).not.toContain(new URL(link).searchParams.get('q-signature'));
    expect(baitRequests).toBe(0);
  });

  it.each(LINK_SCENARIOS)(
    '$name (CLI): nothing secret on stdout or stderr, text or --json',
    async (scenario) => {
      for (const json of [false, true]) {
        scenario.setup?.();
        ctx.emulator.stats.reset();
        const argv = Object.entries(scenario.inputs()).flatMap(([name, value]) => [`--${name}`, value]);
        const result = await runMain(json ? [...argv, '--json'] : argv);
        expect(result.code).toBe(scenario.fails === false ? 0 : 1);
        if (scenario.fails !== false) expect(result.stderr).toMatch(scenario.fails);
        expectNoSecrets(`stdout${json ? ' (--json)' : ''}`, result.stdout);
        expectNoSecrets(`stderr${json ? ' (--json)' : ''}`, result.stderr);
        expectNoSecrets('checkpoints', await leftoverText());
      }
      expect(baitRequests).toBe(0);
    },
  );

  it('presign: true masks the link before the output; nothing but the output holds it', async () => {
    const { core, events } = orderedCore({
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      ...GOOD,
      key: 'big.bin',
      presign: 'true',
      expires: '10m',
    });
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work, ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } });
    expect(core.failed).toBeUndefined();
    const link = core.outputs.url ?? '';
    expect(new URL(link).searchParams.get('x-cos-security-token')).toBe(TOKEN);
    expect(core.secrets).toEqual(
      expect.arrayContaining([link, new URL(link).searchParams.get('q-signature')]),
    );
    expect(events.indexOf('setOutput')).toBeGreaterThan(events.lastIndexOf('secret'));
    const { url: _link, ...others } = core.outputs;
    expectNoSecrets('logs, other outputs, summary', JSON.stringify([core.logs, others, core.summaries]));
    // The CLI prints the link on stdout (that is what it is for), and nothing of it on stderr.
    const made = await runMain([
      'presign',
      ...['--bucket', ctx.emulator.bucket, '--endpoint', ctx.emulator.url, '--key', 'big.bin'],
      ...Object.entries(GOOD).flatMap(([name, value]) => [`--${name}`, value]),
    ]);
    expect(made.code, made.stderr).toBe(0);
    expectNoSecrets('stderr of presign', made.stderr);
  });

  it('a token-bearing link through the real @actions/core: add-mask first; stdout, GITHUB_OUTPUT and the summary clean', async () => {
    const repository = path.resolve(import.meta.dirname, '..');
    const outputFile = path.join(ctx.work, 'github-output');
    const summaryFile = path.join(ctx.work, 'step-summary');
    await writeFile(outputFile, '');
    await writeFile(summaryFile, '');
    const link = tokenLink('big.bin');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_WORKSPACE: ctx.work,
      RUNNER_TEMP: ctx.work,
      RUNNER_DEBUG: '1',
      INPUT_URL: link,
      'INPUT_PART-SIZE': '512KiB',
    };
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          '--import',
          path.join(repository, '__tests__/helpers/ts-source.ts'),
          path.join(repository, 'src/index.ts'),
        ],
        { env, cwd: ctx.work, timeout: 20_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
            stdout,
            stderr,
          }),
      );
      children.add(child);
    });
    expect(result.code, result.stdout).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    const masks = lines.filter((line) => line.startsWith('::add-mask::'));
    expect(lines.slice(0, masks.length)).toEqual(masks);
    // @actions/core escapes '%' in commands.
    expect(masks).toContain(`::add-mask::${link.replaceAll('%', '%25')}`);
    expect(masks).toContain(`::add-mask::${new URL(link).searchParams.get('q-signature')}`);
    expect(masks).toContain(`::add-mask::${TOKEN}`);
    expectNoSecrets('stdout after the masks', lines.slice(masks.length).join('\n'));
    expectNoSecrets('stderr', result.stderr);
    expectNoSecrets('GITHUB_OUTPUT', await readFile(outputFile, 'utf8'));
    expectNoSecrets('job summary', await readFile(summaryFile, 'utf8'));
    expect(await readFile(outputFile, 'utf8')).toMatch(/^etag<</m);
  });
});
