// Making links through the three edges — `cos-download presign`, the action's `presign: true`, the
// library's presignUrl — and downloading each with `url`, against the emulator that checks their
// signatures and windows; with keys, and keyless through the STS stand-in, whose credentials' expiry
// bounds the link's. Inputs that do not go with presign are refused in one line, before any request.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeCore } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { main } from '../src/cli/main.js';
import { ACTION_INPUT_NAMES, INPUTS, type InputSpec } from '../src/config/inputs.js';
import { linkWindow } from '../src/cos/presign.js';
import {
  type Emulator,
  exampleWebIdentityToken,
  type StsEmulator,
  startEmulator,
  startStsEmulator,
} from '../src/emulator/index.js';
import { downloadObject, OptionError, presignUrl } from '../src/library/index.js';
import { removeFolder, SECRET_ID, SECRET_KEY, tempFolder } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

/** What a runner passes: every action input's default, then the step's inputs. */
function withDefaults(inputs: Record<string, string>): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const name of ACTION_INPUT_NAMES) {
    const value = (INPUTS[name] as InputSpec).default;
    if (value !== undefined) defaults[name] = value;
  }
  return { ...defaults, ...inputs };
}

async function cli(argv: readonly string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

/** The seconds between a link's start and end (its window opens a minute early). */
function span(url: string): number {
  const window = linkWindow(url);
  if (window === undefined) throw new Error('not a COS link');
  return (window.end.getTime() - window.start.getTime()) / 1000;
}

describe('with keys', () => {
  const ctx = useEmulator();
  let versionOne: string;
  const KEYS = { TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY };
  const at = () => ['--bucket', ctx.emulator.bucket, '--endpoint', ctx.emulator.url];

  beforeAll(() => {
    ctx.emulator.setVersioning(true);
    versionOne = ctx.emulator.put('notes/v.txt', 'release notes v1').versionId;
    ctx.emulator.put('notes/v.txt', 'release notes v2');
  });

  it('the CLI prints the link (1 h by default) on stdout, and --url downloads it', async () => {
    const made = await cli(['presign', ...at(), '--key', 'notes/v.txt'], ctx.work, KEYS);
    expect(made.code, made.stderr).toBe(0);
    const url = made.stdout.trim();
    expect(made.stdout.split('\n')).toHaveLength(2);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/notes\/v\.txt\?q-sign-algorithm=sha1&/);
    expect(span(url)).toBe(3660);
    expect(made.stderr).toMatch(/^Made a link to 'notes\/v\.txt', valid for 1h, until \S+Z\n$/);
    expect(ctx.emulator.stats.count()).toBe(0);
    const got = await cli(['--url', url], ctx.work);
    expect(got.code, got.stderr).toBe(0);
    expect(await readFile(path.join(ctx.work, 'v.txt'), 'utf8')).toBe('release notes v2');
  });

  it('curl downloads the link the CLI printed, whole and by range', async () => {
    const made = await cli(['presign', ...at(), '--key', 'notes/v.txt'], ctx.work, KEYS);
    const url = made.stdout.trim();
    const curl = (...flags: string[]) =>
      new Promise<string>((resolve, reject) => {
        execFile('curl', ['--silent', '--show-error', '--fail', ...flags, url], (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        );
      });
    expect(await curl()).toBe('release notes v2');
    expect(await curl('-r', '8-12')).toBe('notes');
  });

  it('--json, --expires, --version-id, --response-content-disposition and --traffic-limit, all signed in', async () => {
    const made = await cli(
      [
        'presign',
        ...at(),
        '--key',
        'notes/v.txt',
        '--version-id',
        versionOne,
        '--expires',
        '10m',
        '--response-content-disposition',
        'attachment; filename="notes.txt"',
        '--traffic-limit',
        '819200',
        '--json',
      ],
      ctx.work,
      KEYS,
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toBe('');
    const json = JSON.parse(made.stdout) as { ok: boolean; url: string; 'expires-at': string };
    expect(Object.keys(json)).toEqual(['ok', 'url', 'expires-at']);
    expect(json.ok).toBe(true);
    expect(span(json.url)).toBe(660);
    expect(new Date(json['expires-at']).getTime()).toBe(linkWindow(json.url)?.end.getTime());
    const answer = await request(json.url);
    expect(answer.headers['content-disposition']).toBe('attachment; filename="notes.txt"');
    expect(await answer.body.text()).toBe('release notes v1');
    const got = await cli(['--url', json.url, '--destination', 'v1.txt', '--json'], ctx.work);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ 'version-id': versionOne });
    expect(await readFile(path.join(ctx.work, 'v1.txt'), 'utf8')).toBe('release notes v1');
  });

  it.each([
    [['--key', 'a.txt', '--expires', '1.5h'], /Input 'expires' = '1.5h'.*Fix: write '1h30m'/],
    [['--key', 'a.txt', '--expires', '8d'], /Input 'expires' = '8d': must be at most 7d/],
    [['--key', 'a.txt', '--destination', 'out/'], /Input 'destination' = 'out\/': is a download option/],
    [['--key', 'a.txt', '--part-size', '8MiB'], /Input 'part-size'.*is a download option/],
    [['--key', 'a.txt', '--sse-customer-key', 'a'.repeat(44)], /an SSE-C key travels in request headers/],
    [['--prefix', 'notes/'], /Input 'prefix' = 'notes\/': a link is to one object/],
    [['--key', 'a.txt', '--url', 'https://example.com/a'], /'presign' makes a link, 'url' downloads one/],
    [[], /Input 'key' \(not set\): required with presign/],
  ])('%j is refused in one line, exit 2', async (flags, message) => {
    const result = await cli(['presign', ...at(), ...flags], ctx.work, KEYS);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(ctx.emulator.stats.count()).toBe(0);
  });

  it('a link needs credentials', async () => {
    const result = await cli(['presign', ...at(), '--key', 'a.txt'], ctx.work);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/a link is signed with credentials, and none were given/);
  });

  it('the action: outputs url and url-expires-at, the signature masked first, no link in logs or summary', async () => {
    const core = fakeCore(
      withDefaults({
        bucket: ctx.emulator.bucket,
        endpoint: ctx.emulator.url,
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
        key: 'notes/v.txt',
        presign: 'true',
        expires: '30m',
      }),
      true,
    );
    const order: string[] = [];
    const setSecret = core.setSecret;
    core.setSecret = (secret) => {
      order.push(`secret:${secret}`);
      setSecret(secret);
    };
    const setOutput = core.setOutput;
    core.setOutput = (name, value) => {
      order.push(`output:${name}`);
      setOutput(name, value);
    };
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toBeUndefined();
    const url = core.outputs.url ?? '';
    expect(span(url)).toBe(1860);
    expect(core.outputs['url-expires-at']).toBe(linkWindow(url)?.end.toISOString());
    const signature = new URL(url).searchParams.get('q-signature') ?? '';
    expect(signature).toMatch(/^[0-9a-f]{40}$/);
    expect(order.indexOf(`secret:${signature}`)).toBeGreaterThan(-1);
    expect(order.indexOf(`secret:${signature}`)).toBeLessThan(order.indexOf('output:url'));
    expect(order.indexOf(`secret:${url}`)).toBeLessThan(order.indexOf('output:url'));
    const shown = JSON.stringify([core.logs, core.summaries]);
    expect(shown).not.toContain(signature);
    expect(shown).not.toMatch(/https?:\/\/[^\s"]*\?/);
    expect(core.logs).toContainEqual(
      expect.stringMatching(/^info: Made a link to 'notes\/v\.txt', valid for 30m/),
    );
    expect(core.summaries[0]?.header).toEqual(['Key', 'Version', 'Valid for', 'Expires at']);
    expect(ctx.emulator.stats.count()).toBe(0);
    // A later step downloads it with `url`, and nothing else about the bucket.
    const next = fakeCore(withDefaults({ url, destination: 'notes.txt' }), true);
    await run({ core: next, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(next.failed).toBeUndefined();
    expect(next.secrets).toContain(url);
    expect(next.secrets).toContain(signature);
    expect(await readFile(path.join(ctx.work, 'notes.txt'), 'utf8')).toBe('release notes v2');
    expect(JSON.stringify([next.logs, next.outputs, next.summaries])).not.toMatch(/https?:\/\/[^\s"]*\?/);
  });

  it.each([
    [{ prefix: 'notes/' }, /Input 'prefix'/],
    [{ key: 'a.txt', cache: 'true' }, /Input 'cache' = 'true': is a download option/],
    [{ key: 'a.txt', 'dry-run': 'true' }, /Input 'dry-run'/],
    [{ key: 'a.txt', 'if-none-match': '"x"' }, /Input 'if-none-match'/],
  ])('the action refuses presign with %j in one line', async (inputs, message) => {
    const core = fakeCore(
      withDefaults({ bucket: ctx.emulator.bucket, endpoint: ctx.emulator.url, presign: 'true', ...inputs }),
    );
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work, ...KEYS } });
    expect(core.failed).toMatch(message);
    expect(core.outputs).toEqual({});
  });

  it('the library: presignUrl, with keys or a provider, downloaded by downloadObject({ url })', async () => {
    const connection = { bucket: ctx.emulator.bucket, endpoint: ctx.emulator.url };
    const made = await presignUrl({
      ...connection,
      credentials: { secretId: SECRET_ID, secretKey: SECRET_KEY },
      key: 'notes/v.txt',
      expiresSeconds: 120,
    });
    expect(made).toMatchObject({ key: 'notes/v.txt', expiresSeconds: 120 });
    expect(made.expiresAt).toBeInstanceOf(Date);
    expect(span(made.url)).toBe(180);
    const got = await downloadObject({ url: made.url, destination: path.join(ctx.work, 'lib.txt') });
    expect(got).toMatchObject({ status: 'downloaded', crcCheck: 'verified' });
    expect(await readFile(path.join(ctx.work, 'lib.txt'), 'utf8')).toBe('release notes v2');

    const provided = await presignUrl({
      ...connection,
      credentials: { current: async () => ({ secretId: SECRET_ID, secretKey: SECRET_KEY }) },
      key: 'notes/v.txt',
      versionId: versionOne,
    });
    expect(span(provided.url)).toBe(3660);
    expect((await request(provided.url)).statusCode).toBe(200);

    const error = await presignUrl({
      ...connection,
      credentials: { secretId: SECRET_ID, secretKey: SECRET_KEY },
      key: 'a.txt',
      expiresSeconds: 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).message).toMatch(/^Option 'expiresSeconds' = 0: must be at least 1s/);
    const linkError = await downloadObject({
      url: made.url,
      bucket: 'b-1250000000',
    } as never).catch((e: unknown) => e);
    expect((linkError as OptionError).message).toMatch(/Option 'bucket' does not go with 'url'/);
  });
});

describe('keyless: the link is bounded by the temporary credentials that sign it', () => {
  const ROLE_ARN = 'qcs::cam::uin/1250000000:roleName/ci-links';
  const PROVIDER = 'github-actions';
  let sts: StsEmulator;
  let cos: Emulator;
  let work: string;

  beforeAll(async () => {
    sts = await startStsEmulator({ roleArn: ROLE_ARN, providerId: PROVIDER });
    cos = await startEmulator({ temporaryCredentials: sts.issued });
    cos.put('release.txt', 'the release');
  });
  afterAll(async () => {
    await cos.close();
    await sts.close();
    if (work !== undefined) await removeFolder(work);
  });
  beforeEach(async () => {
    if (work !== undefined) await removeFolder(work);
    work = await tempFolder();
    sts.reset();
  });

  async function presignKeyless(extra: string[]) {
    const tokenFile = path.join(work, 'token.jwt');
    await writeFile(tokenFile, exampleWebIdentityToken({}, Date.now()));
    return cli(
      [
        'presign',
        ...['--bucket', cos.bucket, '--endpoint', cos.url, '--key', 'release.txt'],
        ...['--role-arn', ROLE_ARN, '--provider-id', PROVIDER, '--sts-endpoint', sts.url],
        ...['--web-identity-token-file', tokenFile],
        ...extra,
      ],
      work,
    );
  }

  it('the 1 h default is shortened to the credentials’ lifetime, said in one line; the token rides in the link', async () => {
    const made = await presignKeyless(['--role-duration', '900']);
    expect(made.code, made.stderr).toBe(0);
    const url = made.stdout.trim();
    expect(made.stderr).toMatch(
      /The link lasts 1[45]m\d*s?, not 1h: the temporary credentials that sign it expire at/,
    );
    expect(span(url)).toBeGreaterThan(60 + 890);
    expect(span(url)).toBeLessThanOrEqual(60 + 900);
    const issued = sts.credentials.at(-1);
    expect(new URL(url).searchParams.get('x-cos-security-token')).toBe(issued?.sessionToken);
    const got = await cli(['--url', url, '--destination', 'release.txt'], work);
    expect(got.code, got.stderr).toBe(0);
    expect(await readFile(path.join(work, 'release.txt'), 'utf8')).toBe('the release');
  });

  it('an explicit expires that outlives them is refused, naming expires and role-duration', async () => {
    const made = await presignKeyless(['--role-duration', '900', '--expires', '2h']);
    expect(made.code).toBe(2);
    expect(made.stdout).toBe('');
    expect(made.stderr).toMatch(
      /^cos-download presign: Input 'expires' = '2h': outlives the temporary credentials that sign the link \(role-duration: 900 s\), and the link dies with them\. Fix: set 'expires' to at most '15m', or raise 'role-duration' \(up to 43200\)\.\n$/,
    );
    expect(sts.requests).toHaveLength(0);
  });

  it('an explicit expires of the whole role-duration loses only the seconds STS took, and says so', async () => {
    const made = await presignKeyless(['--role-duration', '900', '--expires', '15m']);
    expect(made.code, made.stderr).toBe(0);
    expect(span(made.stdout.trim())).toBeGreaterThan(60 + 890);
  });

  it('an explicit expires within them is kept', async () => {
    const made = await presignKeyless(['--expires', '5m']);
    expect(made.code, made.stderr).toBe(0);
    expect(span(made.stdout.trim())).toBe(360);
  });
});
