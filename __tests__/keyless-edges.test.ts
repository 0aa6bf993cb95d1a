// Keyless credentials through the edges, against the COS emulator and its STS stand-in: the action
// (the typed fake of @actions/core, whose getIDToken hands out a token from the test; and the real
// @actions/core in a child, as a runner runs it, asking a local OIDC token service) and the CLI with
// --web-identity-token-file. Every COS request is signed with STS's temporary credentials and
// carries their token; a long mirror renews them; each refusal is one line; every secret (the OIDC
// token, TmpSecretId, TmpSecretKey, Token) is masked before the next log line and shown nowhere.
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCore, fakeCore, type IdTokenAnswer } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { main } from '../src/cli/main.js';
import { tokenFileReader } from '../src/cli/network.js';
import { ACTION_INPUT_NAMES, INPUTS, type InputSpec } from '../src/config/inputs.js';
import {
  type Emulator,
  exampleWebIdentityToken,
  type StsEmulator,
  startEmulator,
  startStsEmulator,
} from '../src/emulator/index.js';
import { removeFolder, tempFolder } from './helpers/env.js';

const ROLE_ARN = 'qcs::cam::uin/1250000000:roleName/ci-download';
const PROVIDER = 'github-actions';
const repository = path.resolve(import.meta.dirname, '..');

/**
 * One clock for the action, the stand-in and the emulator: real time plus `stepMs` for every COS
 * request served so far, so a mirror can outlive its credentials without a test that waits.
 */
let stepMs = 0;
const clock = {
  now: () => Date.now() + stepMs * (cos?.stats.requests.length ?? 0),
  sleep: async () => {},
};

let sts: StsEmulator;
let cos: Emulator;
let work: string;
/** Credentials the stand-in issued before this test. */
let issuedBefore = 0;
/** The credentials the stand-in issued in this test, oldest first. */
const issuedNow = () => sts.credentials.slice(issuedBefore);

beforeAll(async () => {
  sts = await startStsEmulator({ clock, roleArn: ROLE_ARN, providerId: PROVIDER });
  cos = await startEmulator({ temporaryCredentials: sts.issued, now: () => clock.now() });
  cos.put('file.txt', 'the body of file.txt');
  for (let i = 1; i <= 12; i++)
    cos.put(`logs/part-${String(i).padStart(2, '0')}.txt`, `part ${i}\n`.repeat(50));
});
afterAll(async () => {
  await cos.close();
  await sts.close();
});
beforeEach(async () => {
  await removeFolder(work ?? path.join(repository, 'no-such-folder'));
  work = await tempFolder();
  stepMs = 0;
  issuedBefore = sts.credentials.length;
  sts.reset();
  cos.stats.reset();
});

/** What a runner passes: every action input's default, then the step's inputs. */
function withDefaults(inputs: Record<string, string>): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const name of ACTION_INPUT_NAMES) {
    const value = (INPUTS[name] as InputSpec).default;
    if (value !== undefined) defaults[name] = value;
  }
  return { ...defaults, ...inputs };
}

const KEYLESS = {
  bucket: 'examplebucket-1250000000',
  'role-arn': ROLE_ARN,
  'provider-id': PROVIDER,
  retries: '1',
  timeout: '5s',
};

const GITHUB_ENV = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/_apis/token?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token-of-the-runner-0123456789',
  GITHUB_REPOSITORY: 'octo-org/octo-repo',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '3',
};

interface Event {
  readonly kind: 'secret' | 'idtoken' | 'log' | 'output' | 'failed';
  readonly text: string;
}

/** The fake core, each call recorded in order; getIDToken answers fresh tokens from the test. */
function recordingCore(inputs: Record<string, string>, answer?: IdTokenAnswer) {
  const tokens: string[] = [];
  const events: Event[] = [];
  const core: FakeCore = fakeCore(
    withDefaults({ ...KEYLESS, endpoint: cos.url, 'sts-endpoint': sts.url, ...inputs }),
    true,
    answer ??
      (() => {
        const token = exampleWebIdentityToken({}, clock.now());
        tokens.push(token);
        events.push({ kind: 'idtoken', text: token });
        return token;
      }),
  );
  const wrap = (
    name: 'setSecret' | 'info' | 'warning' | 'debug' | 'setOutput' | 'setFailed',
    kind: Event['kind'],
  ) => {
    const inner = core[name] as (...args: string[]) => void;
    (core as unknown as Record<string, unknown>)[name] = (...args: string[]) => {
      events.push({ kind, text: args.join(' ') });
      inner(...args);
    };
  };
  wrap('setSecret', 'secret');
  for (const name of ['info', 'warning', 'debug'] as const) wrap(name, 'log');
  wrap('setOutput', 'output');
  wrap('setFailed', 'failed');
  return { core, tokens, events };
}

async function runAction(
  inputs: Record<string, string>,
  env: Record<string, string> = GITHUB_ENV,
  answer?: IdTokenAnswer,
) {
  const recorded = recordingCore(inputs, answer);
  await run({ core: recorded.core, env: { GITHUB_WORKSPACE: work, ...env }, clock });
  return recorded;
}

/** The secrets of a run: each OIDC token handed out and every credential STS issued. */
function secretsOf(tokens: readonly string[]): string[] {
  return [...tokens, ...sts.credentials.flatMap((c) => [c.secretId, c.secretKey, c.sessionToken])];
}

function expectNoSecret(where: string, text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
      if (text.includes(form)) expect.fail(`${where} holds a secret (${secret.slice(0, 6)}…)`);
    }
  }
}

/** Files the run left besides downloads: manifests, checkpoints. */
async function stateText(): Promise<string> {
  const texts: string[] = [];
  for (const entry of await readdir(work, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.json(\.tmp)?$/.test(entry.name)) {
      texts.push(await readFile(path.join(entry.parentPath, entry.name), 'utf8'));
    }
  }
  return texts.join('\n');
}

/**
 * After each OIDC token is handed out, that token and the three parts of the credentials STS issued
 * for it are masked before the next log line, output or failure.
 */
function expectMaskedBeforeShown(events: readonly Event[], tokens: readonly string[]): void {
  const issued = issuedNow();
  let k = 0;
  events.forEach((event, index) => {
    if (event.kind !== 'idtoken') return;
    const credential = issued[k];
    const secrets = [tokens[k], credential?.secretId, credential?.secretKey, credential?.sessionToken];
    k++;
    const next = events.findIndex((e, i) => i > index && e.kind !== 'secret' && e.kind !== 'idtoken');
    const masked = events.slice(index, next === -1 ? events.length : next).filter((e) => e.kind === 'secret');
    for (const secret of secrets) expect(masked.map((e) => e.text)).toContain(secret);
  });
  expect(k).toBe(tokens.length);
}

describe('the action (fake core)', () => {
  it('OIDC token → STS → COS: every request signed with the temporary key and carrying its token', async () => {
    const { core, tokens, events } = await runAction({ key: 'file.txt', destination: 'out.txt' });
    expect(core.failed).toBeUndefined();
    expect(await readFile(path.join(work, 'out.txt'), 'utf8')).toBe('the body of file.txt');
    expect(core.outputs['content-length']).toBe('20');
    // The token was asked for with the default audience, then traded once, with the inputs' defaults.
    expect(core.idTokenAudiences).toEqual(['sts.tencentcloudapi.com']);
    expect(sts.requests).toHaveLength(1);
    expect(sts.requests[0]?.body).toEqual({
      ProviderId: PROVIDER,
      WebIdentityToken: '***',
      RoleArn: ROLE_ARN,
      RoleSessionName: 'gh-octo-org.octo-repo-4242-3',
      DurationSeconds: 3600,
    });
    expect(sts.requests[0]?.headers['x-tc-region']).toBe('ap-guangzhou');
    const [issued] = issuedNow();
    expect(issuedNow()).toHaveLength(1);
    expect(cos.stats.requests.length).toBeGreaterThan(0);
    for (const request of cos.stats.requests) {
      expect(request.authorization).toContain(`q-ak=${issued?.secretId}`);
      expect(request.headers['x-cos-security-token']).toBe('***');
    }
    // Masked the moment they arrived; shown nowhere.
    expectMaskedBeforeShown(events, tokens);
    const secrets = secretsOf(tokens);
    expectNoSecret(
      'logs, outputs, summary',
      JSON.stringify([core.logs, core.outputs, core.summaries]),
      secrets,
    );
  });

  it('a mirror that outlives its credentials renews them, each set masked before use', async () => {
    // Every COS request moves the shared clock 2 minutes: 900-second credentials, renewed 5 minutes
    // before they expire, last about five requests.
    stepMs = 120_000;
    const { core, tokens, events } = await runAction({
      prefix: 'logs/',
      destination: 'logs',
      concurrency: '1',
      'role-duration': '900',
    });
    expect(core.failed).toBeUndefined();
    expect(core.outputs['files-downloaded']).toBe('12');
    const issued = issuedNow();
    expect(issued.length).toBeGreaterThanOrEqual(3);
    // A fresh OIDC token for each renewal (GitHub's expire within minutes).
    expect(tokens).toHaveLength(issued.length);
    expect(new Set(tokens).size).toBe(tokens.length);
    // The first credentials expired during the mirror: it could only finish on renewed ones.
    expect(sts.issued.lookup(issued[0]?.secretId ?? '')?.expired).toBe(true);
    const used = [...new Set(cos.stats.requests.map((r) => /q-ak=([^&]+)/.exec(r.authorization ?? '')?.[1]))];
    expect(used).toEqual(issued.map((c) => c.secretId));
    expect(cos.stats.requests.every((r) => r.status >= 200 && r.status < 300)).toBe(true);
    expect(core.logs.filter((line) => line.includes('renewed the temporary credentials'))).toHaveLength(
      issued.length - 1,
    );
    expectMaskedBeforeShown(events, tokens);
    const secrets = secretsOf(tokens);
    expectNoSecret(
      'logs, outputs, summary',
      JSON.stringify([core.logs, core.outputs, core.summaries]),
      secrets,
    );
    expectNoSecret('the manifest', await stateText(), secrets);
  });

  const head = `^STS AssumeRoleWithWebIdentity \\(role '${ROLE_ARN.replaceAll('/', '\\/')}', provider '${PROVIDER}'\\): `;
  it.each([
    [
      'InvalidParameter',
      `${head}InvalidParameter: Incorrect parameter\\. \\(request id [\\w-]+\\)\\. Fix: check 'role-arn'`,
    ],
    [
      'AuthFailure',
      `${head}AuthFailure\\.UnauthorizedOperation: .+ Fix: the role does not trust this identity`,
    ],
    [
      'ExpiredToken',
      `${head}InvalidParameter\\.WebIdentityTokenError: WebIdentityToken has expired\\. .*Fix: the OIDC token had expired`,
    ],
  ] as const)(
    'STS answers %s: the step fails in one line, no COS request, no output',
    async (failure, pattern) => {
      sts.fail(failure);
      const { core, tokens } = await runAction({ key: 'file.txt' });
      expect(core.failed).toMatch(new RegExp(pattern));
      expect(core.failed).not.toContain('\n');
      expectNoSecret('the failure', core.failed ?? '', tokens);
      expect(sts.requests).toHaveLength(1);
      expect(cos.stats.requests).toEqual([]);
      expect(core.outputs).toEqual({});
    },
  );

  it('without ACTIONS_ID_TOKEN_REQUEST_URL: one line saying the job needs id-token: write, before any request', async () => {
    const { ACTIONS_ID_TOKEN_REQUEST_URL: _url, ...env } = GITHUB_ENV;
    const { core } = await runAction({ key: 'file.txt' }, env);
    expect(core.failed).toMatch(
      /^Input 'role-arn' needs a GitHub OIDC token, but ACTIONS_ID_TOKEN_REQUEST_URL is not set: the job needs `permissions: id-token: write`\. Fix: add `permissions: id-token: write`/,
    );
    expect(core.failed).not.toContain('\n');
    expect(core.idTokenAudiences).toEqual([]);
    expect(sts.requests).toEqual([]);
    expect(cos.stats.requests).toEqual([]);
  });

  it('the token service refuses (as @actions/core reports it): one line naming the audience', async () => {
    const { core } = await runAction({ key: 'file.txt', audience: 'my-cam-client' }, GITHUB_ENV, () => {
      throw new Error('Failed to get ID Token. \n Error Code : 403\n Error Message: Forbidden');
    });
    expect(core.failed).toMatch(
      /^Getting the GitHub OIDC token for audience 'my-cam-client' failed \(Failed to get ID Token\. Error Code : 403 Error Message: Forbidden\)\. Fix: check that the job has `permissions: id-token: write`/,
    );
    expect(core.idTokenAudiences).toEqual(['my-cam-client']);
    expect(sts.requests).toEqual([]);
    expect(cos.stats.requests).toEqual([]);
  });

  it.each([
    [
      'an input',
      { 'secret-id': 'AKIDstaticstaticstatic', 'secret-key': 'static-key-0123456789' },
      {},
      "input 'secret-id'",
    ],
    [
      'the environment',
      {},
      { TENCENTCLOUD_SECRET_ID: 'AKIDenvenvenv', TENCENTCLOUD_SECRET_KEY: 'env-key-0123456789' },
      'env TENCENTCLOUD_SECRET_ID',
    ],
  ])(
    'static keys from %s beside role-arn: refused in one line naming both',
    async (_, inputs, env, source) => {
      const { core } = await runAction({ key: 'file.txt', ...inputs }, { ...GITHUB_ENV, ...env });
      expect(core.failed).toMatch(
        new RegExp(
          `^Input 'role-arn' = '${ROLE_ARN.replaceAll('/', '\\/')}': keyless credentials exclude .*, and ${source} is set\\. Fix: `,
        ),
      );
      expect(core.failed).not.toMatch(/static-key|env-key/);
      expect(core.idTokenAudiences).toEqual([]);
      expect(cos.stats.requests).toEqual([]);
    },
  );

  it('no role-arn, only the defaults a runner passes: keys as before, no STS', async () => {
    const { core } = await runAction({
      key: 'file.txt',
      'role-arn': '',
      'provider-id': '',
      'sts-endpoint': 'https://sts.tencentcloudapi.com',
    });
    // The emulator knows no static keys: anonymous, refused. What matters is that nothing asked STS.
    expect(core.failed).toMatch(/403 AccessDenied/);
    expect(core.idTokenAudiences).toEqual([]);
    expect(sts.requests).toEqual([]);
  });
});

/** `main` in-process with stdout and stderr captured, in the work folder. */
async function cli(argv: readonly string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd: work,
  });
  return { code, stdout, stderr };
}

const cliKeyless = () => [
  ...['--bucket', KEYLESS.bucket, '--endpoint', cos.url, '--sts-endpoint', sts.url],
  ...['--role-arn', ROLE_ARN, '--provider-id', PROVIDER, '--retries', '1'],
];

describe('the CLI with --web-identity-token-file', () => {
  it('reads the token from the file (relative to the working folder) and signs with STS credentials', async () => {
    const token = exampleWebIdentityToken({ iss: 'https://gitlab.example.com' });
    await writeFile(path.join(work, 'token.jwt'), `${token}\n`);
    for (const json of [false, true]) {
      sts.reset();
      const argv = [...cliKeyless(), '--web-identity-token-file', 'token.jwt', '--key', 'file.txt'];
      const result = await cli([...argv, '--destination', `out-${json}.txt`, ...(json ? ['--json'] : [])]);
      expect(result.code, result.stderr).toBe(0);
      expect(await readFile(path.join(work, `out-${json}.txt`), 'utf8')).toBe('the body of file.txt');
      expect(sts.requests).toHaveLength(1);
      expect(sts.requests[0]?.body).toMatchObject({ RoleSessionName: 'cos-download', DurationSeconds: 3600 });
      const secrets = secretsOf([token]);
      expectNoSecret('stdout', result.stdout, secrets);
      expectNoSecret('stderr', result.stderr, secrets);
    }
    const [issued] = issuedNow().slice(-1);
    expect(cos.stats.requests.at(-1)?.authorization).toContain(`q-ak=${issued?.secretId}`);
  });

  it('the file is read again at every call: a rotated token is the one sent', async () => {
    const file = path.join(work, 'rotating.jwt');
    const read = tokenFileReader(file);
    await writeFile(file, 'first-token\n');
    expect(await read()).toBe('first-token');
    await writeFile(file, '  second-token  ');
    expect(await read()).toBe('second-token');
  });

  it.each([
    [
      '--role-arn without a token file',
      [] as string[],
      /^cos-download: --web-identity-token-file \(not set\): required with --role-arn: outside GitHub Actions the CLI reads the OIDC token from a file\. Fix: /,
    ],
    [
      'a token file that does not exist',
      ['--web-identity-token-file', 'missing.jwt'],
      /^cos-download: --web-identity-token-file '.*missing\.jwt': the file does not exist\. Fix: /,
    ],
    [
      'an empty token file',
      ['--web-identity-token-file', 'empty.jwt'],
      /^cos-download: --web-identity-token-file '.*empty\.jwt': the file is empty\. Fix: /,
    ],
    [
      '--audience beside a token file',
      ['--web-identity-token-file', 'empty.jwt', '--audience', 'other'],
      /^cos-download: --audience 'other': applies only to the token the action asks GitHub for/,
    ],
  ])('%s: exit 2, one line, no request', async (_, extra, pattern) => {
    await writeFile(path.join(work, 'empty.jwt'), '\n');
    const result = await cli([...cliKeyless(), '--key', 'file.txt', ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(sts.requests).toEqual([]);
    expect(cos.stats.requests).toEqual([]);
  });

  it('a token file without --role-arn: exit 2, naming both', async () => {
    await writeFile(path.join(work, 'token.jwt'), 'x.y.z');
    const result = await cli([
      ...['--bucket', KEYLESS.bucket, '--endpoint', cos.url, '--key', 'file.txt'],
      ...['--web-identity-token-file', 'token.jwt'],
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^cos-download: --web-identity-token-file 'token\.jwt': is used only with --role-arn \(keyless credentials\)\. Fix: set --role-arn and --provider-id too/,
    );
  });
});

describe('the action as a runner runs it (real @actions/core, a local OIDC token service)', () => {
  let service: Server;
  const issuedTokens: string[] = [];
  const requestToken = 'runner-request-token-never-shown-0123456789';
  const audiences: string[] = [];

  beforeAll(async () => {
    service = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/_apis/token' || req.headers.authorization !== `Bearer ${requestToken}`) {
        res.writeHead(401).end();
        return;
      }
      audiences.push(url.searchParams.get('audience') ?? '');
      const token = exampleWebIdentityToken({ aud: url.searchParams.get('audience') });
      issuedTokens.push(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: token }));
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    service.closeAllConnections();
    await new Promise((resolve) => service.close(resolve));
  });

  it('add-mask for the token and each credential comes before they are used; no secret in any output', async () => {
    const outputFile = path.join(work, 'github-output');
    const summaryFile = path.join(work, 'step-summary');
    await writeFile(outputFile, '');
    await writeFile(summaryFile, '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_WORKSPACE: work,
      RUNNER_TEMP: work,
      RUNNER_DEBUG: '1',
      ...GITHUB_ENV,
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(service.address() as AddressInfo).port}/_apis/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    };
    const inputs = withDefaults({ ...KEYLESS, endpoint: cos.url, 'sts-endpoint': sts.url, key: 'file.txt' });
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
    const child = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          path.join(repository, '__tests__/helpers/ts-source.ts'),
          path.join(repository, 'src/index.ts'),
        ],
        { env, cwd: work, timeout: 20_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
            stdout,
            stderr,
          }),
      );
    });
    expect(child.code, child.stdout + child.stderr).toBe(0);
    expect(audiences).toEqual(['sts.tencentcloudapi.com']);
    const lines = child.stdout.split('\n');
    const [credential] = issuedNow();
    const secrets = [
      issuedTokens.at(-1) ?? '',
      credential?.secretId ?? '',
      credential?.secretKey ?? '',
      credential?.sessionToken ?? '',
    ];
    // The runner's request token is masked first of all; the OIDC token and the three parts of the
    // credentials before the line that says they arrived.
    expect(lines[0]).toBe(`::add-mask::${requestToken}`);
    const got = lines.findIndex((line) => line.includes('got temporary credentials'));
    expect(got).toBeGreaterThan(0);
    for (const secret of secrets) {
      const mask = lines.indexOf(`::add-mask::${secret}`);
      expect(mask, 'masked').toBeGreaterThan(0);
      expect(mask).toBeLessThan(got);
    }
    const shown = lines.filter((line) => !line.startsWith('::add-mask::')).join('\n');
    expectNoSecret('stdout', shown, [...secrets, requestToken]);
    expectNoSecret('stderr', child.stderr, [...secrets, requestToken]);
    expectNoSecret('GITHUB_OUTPUT', await readFile(outputFile, 'utf8'), secrets);
    expectNoSecret('the job summary', await readFile(summaryFile, 'utf8'), secrets);
    expect(await readFile(outputFile, 'utf8')).toMatch(/^etag<</m);
  });
});
