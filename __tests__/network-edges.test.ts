// Proxies and extra CAs through the edges: the action (typed fake of @actions/core), the CLI and the
// library download through a real tinyproxy that wants credentials (HTTPS_PROXY with user and
// password), from the emulator behind TLS with a throwaway openssl CA given as `ca-cert`; keyless
// credentials take the same way to STS at its real host name. The COS and STS names resolve nowhere
// here, so a request that skipped the proxy cannot succeed (helpers/proxy-stack.ts). The proxy's
// password is masked before anything is logged and appears in no output.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeCore, fakeCore } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { main } from '../src/cli/main.js';
import {
  type Emulator,
  exampleWebIdentityToken,
  type StsEmulator,
  startStsEmulator,
} from '../src/emulator/index.js';
import { downloadObject, OptionError } from '../src/library/index.js';
import { emulatorWithKeys, removeFolder, SECRET_ID, SECRET_KEY, tempFolder } from './helpers/env.js';
import {
  makeTestCa,
  type NameHop,
  startNameHop,
  startTinyproxy,
  startTlsFront,
  type TestCa,
  type Tinyproxy,
  type TlsFront,
} from './helpers/proxy-stack.js';

const BUCKET = 'examplebucket-1250000000';
const REGION = 'ap-guangzhou';
const HOST = `${BUCKET}.cos.${REGION}.myqcloud.com`;
const STS_HOST = 'sts.tencentcloudapi.com';
const USER = 'corp-proxy-user';
// tinyproxy's config takes no '@' or ':' in a password.
const PASSWORD = 'corp-proxy-pass_never-shown-42';
const BODY = 'bytes through the corporate proxy\n'.repeat(500);
const ROLE_ARN = 'qcs::cam::uin/1250000000:roleName/ci-download';

let folder: string;
let emulator: Emulator;
let sts: StsEmulator;
let ca: TestCa;
let front: TlsFront;
let stsFront: TlsFront;
let hop: NameHop;
let proxy: Tinyproxy;
let work: string;

/** HTTPS_PROXY as a corporate runner sets it: the proxy with its user and password. */
const proxyUrl = () => proxy.url.replace('http://', `http://${USER}:${PASSWORD}@`);
/** Every form of the proxy's credentials that must never be shown. */
const PROXY_SECRETS = [
  PASSWORD,
  `${USER}:${PASSWORD}`,
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
];

beforeAll(async () => {
  folder = await tempFolder();
  sts = await startStsEmulator();
  emulator = await emulatorWithKeys({ bucket: BUCKET, region: REGION, temporaryCredentials: sts.issued });
  emulator.put('dir/file.txt', BODY);
  ca = await makeTestCa(folder, [HOST, STS_HOST]);
  front = await startTlsFront(Number(new URL(emulator.url).port), ca);
  stsFront = await startTlsFront(Number(new URL(sts.url).port), ca);
  hop = await startNameHop((name, port) => {
    if (port !== 443) return undefined;
    if (name === HOST) return front.port;
    if (name === STS_HOST) return stsFront.port;
    return undefined;
  });
  proxy = await startTinyproxy({
    folder,
    upstreamSocks: hop.port,
    basicAuth: { user: USER, password: PASSWORD },
  });
});
afterAll(async () => {
  await proxy?.close();
  await hop?.close();
  await front?.close();
  await stsFront?.close();
  await emulator?.close();
  await sts?.close();
  await removeFolder(folder);
});
beforeEach(async () => {
  await removeFolder(work ?? path.join(folder, 'none'));
  work = await tempFolder();
  await writeFile(path.join(work, 'corp-ca.pem'), ca.caPem);
  emulator.stats.reset();
  sts.reset();
});

function expectNoSecret(where: string, text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const form of [secret, encodeURIComponent(secret)]) {
      if (text.includes(form))
        expect.fail(`${where} holds a secret (${secret.slice(0, 6)}…): ${text.slice(0, 500)}`);
    }
  }
}

const COS_INPUTS = {
  bucket: BUCKET,
  region: REGION,
  key: 'dir/file.txt',
  destination: 'file.txt',
  retries: '1',
};

/** The fake core with the order of setSecret against everything else it was asked to show. */
async function runAction(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const events: string[] = [];
  const core: FakeCore = fakeCore(inputs, true, () => exampleWebIdentityToken());
  for (const name of ['setSecret', 'info', 'warning', 'debug', 'setOutput', 'setFailed'] as const) {
    const inner = core[name] as (text: string) => void;
    (core as unknown as Record<string, unknown>)[name] = (text: string) => {
      events.push(name === 'setSecret' ? `secret ${text}` : name);
      inner(text);
    };
  }
  await run({ core, env: { GITHUB_WORKSPACE: work, HTTPS_PROXY: proxyUrl(), ...env } });
  const shown = JSON.stringify([core.logs, core.outputs, core.summaries, core.failed]);
  expectNoSecret('logs, outputs, summary, failure', shown, PROXY_SECRETS);
  return { core, events };
}

describe('the action', () => {
  it('through the proxy with credentials, trusting the ca-cert CA: the password masked first', async () => {
    const before = proxy.requests().length;
    const { core, events } = await runAction(
      { ...COS_INPUTS, 'ca-cert': 'corp-ca.pem' },
      { TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY },
    );
    expect(core.failed).toBeUndefined();
    expect(await readFile(path.join(work, 'file.txt'), 'utf8')).toBe(BODY);
    const logged = proxy.requests().slice(before);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((line) => line === `CONNECT ${HOST}:443`)).toBe(true);
    // The password, user:password and the Basic token are the first things masked.
    expect(new Set(events.slice(0, 3))).toEqual(new Set(PROXY_SECRETS.map((secret) => `secret ${secret}`)));
    for (const secret of PROXY_SECRETS) expect(core.secrets).toContain(secret);
  });

  it('keyless: STS at its real host name through the proxy, then COS, both on the ca-cert CA', async () => {
    const before = proxy.requests().length;
    const { core } = await runAction(
      { ...COS_INPUTS, 'role-arn': ROLE_ARN, 'provider-id': 'github-actions', 'ca-cert': 'corp-ca.pem' },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-token',
      },
    );
    expect(core.failed).toBeUndefined();
    const logged = proxy.requests().slice(before);
    expect(logged[0]).toBe(`CONNECT ${STS_HOST}:443`);
    expect(logged.slice(1).every((line) => line === `CONNECT ${HOST}:443`)).toBe(true);
    expect(sts.requests).toHaveLength(1);
    const issued = sts.credentials.at(-1);
    expect(emulator.stats.requests.every((r) => r.authorization?.includes(`q-ak=${issued?.secretId}`))).toBe(
      true,
    );
  });

  it('without ca-cert: the certificate is refused in one line that names ca-cert', async () => {
    const { core } = await runAction(COS_INPUTS, {
      TENCENTCLOUD_SECRET_ID: SECRET_ID,
      TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
    });
    expect(core.failed).toMatch(
      new RegExp(
        `^HEAD 'dir/file\\.txt': the TLS certificate of https://${HOST.replaceAll('.', '\\.')} could not be verified .*'ca-cert'`,
      ),
    );
    expect(core.failed).not.toContain('\n');
    expect(emulator.stats.requests).toEqual([]);
  });

  it.each([
    ['a private key', 'key.pem', /: the file holds a private key; a CA file holds certificates only\. Fix: /],
    ['a device', '/dev/zero', /: this is not a regular file \(a device, a pipe or a socket\)\. Fix: /],
    ['a missing file', 'nope.pem', /: the file does not exist\. Fix: /],
  ])('ca-cert naming %s: one line naming the input, before any request', async (_, file, rule) => {
    await writeFile(
      path.join(work, 'key.pem'),
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    );
    const { core } = await runAction({ ...COS_INPUTS, 'ca-cert': file });
    expect(core.failed).toMatch(
      new RegExp(`^Input 'ca-cert' = '${file.replaceAll('.', '\\.')}'${rule.source}`),
    );
    expect(emulator.stats.requests).toEqual([]);
  });
});

async function cli(argv: readonly string[], env: Record<string, string>) {
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

describe('the CLI', () => {
  it('keyless through the proxy with --ca-cert and --web-identity-token-file, relative to the working folder', async () => {
    await writeFile(path.join(work, 'token.jwt'), exampleWebIdentityToken());
    const before = proxy.requests().length;
    for (const json of [false, true]) {
      const result = await cli(
        [
          ...[
            '--bucket',
            BUCKET,
            '--region',
            REGION,
            '--key',
            'dir/file.txt',
            '--destination',
            `out-${json}/`,
          ],
          ...[
            '--role-arn',
            ROLE_ARN,
            '--provider-id',
            'github-actions',
            '--web-identity-token-file',
            'token.jwt',
          ],
          ...['--ca-cert', 'corp-ca.pem', ...(json ? ['--json'] : [])],
        ],
        { https_proxy: proxyUrl() },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(await readFile(path.join(work, `out-${json}`, 'file.txt'), 'utf8')).toBe(BODY);
      expectNoSecret('stdout', result.stdout, PROXY_SECRETS);
      expectNoSecret('stderr', result.stderr, PROXY_SECRETS);
    }
    const logged = proxy.requests().slice(before);
    expect(logged).toContain(`CONNECT ${STS_HOST}:443`);
    expect(logged).toContain(`CONNECT ${HOST}:443`);
  });

  it('a wrong proxy password: one line naming the proxy without its credentials', async () => {
    const result = await cli(
      [...['--bucket', BUCKET, '--region', REGION, '--key', 'dir/file.txt', '--ca-cert', 'corp-ca.pem']],
      {
        HTTPS_PROXY: proxy.url.replace('http://', `http://${USER}:wrong-${PASSWORD}@`),
        TENCENTCLOUD_SECRET_ID: SECRET_ID,
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `through the proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port} \\(from HTTPS_PROXY\\): the proxy refused the credentials`,
      ),
    );
    expectNoSecret('stderr', result.stderr, [...PROXY_SECRETS, `wrong-${PASSWORD}`, USER]);
  });

  it('--ca-cert that does not exist: exit 2, one line', async () => {
    const result = await cli(
      ['--bucket', BUCKET, '--region', REGION, '--key', 'k', '--ca-cert', 'certs/none.pem'],
      {},
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^cos-download: --ca-cert 'certs\/none\.pem': the file does not exist\. Fix: /,
    );
  });
});

describe('the library', () => {
  it('proxy, caCert and keyless credentials as options; no environment read', async () => {
    const before = proxy.requests().length;
    const tokens: string[] = [];
    const result = await downloadObject({
      bucket: BUCKET,
      region: REGION,
      key: 'dir/file.txt',
      destination: path.join(work, 'lib.txt'),
      caCert: path.join(work, 'corp-ca.pem'),
      proxy: { https: proxyUrl(), noProxy: ['example.org'] },
      credentials: {
        roleArn: ROLE_ARN,
        providerId: 'github-actions',
        durationSeconds: 900,
        webIdentityToken: async () => {
          tokens.push(exampleWebIdentityToken());
          return tokens.at(-1) ?? '';
        },
      },
    });
    expect(result.notModified ? 0 : result.contentLength).toBe(BODY.length);
    expect(tokens).toHaveLength(1);
    expect(sts.requests[0]?.body).toMatchObject({ RoleSessionName: 'cos-download', DurationSeconds: 900 });
    expect(proxy.requests().slice(before)[0]).toBe(`CONNECT ${STS_HOST}:443`);
  });

  it('a credentials provider of the caller signs every request', async () => {
    let asked = 0;
    const result = await downloadObject({
      bucket: BUCKET,
      region: REGION,
      key: 'dir/file.txt',
      destination: path.join(work, 'provided.txt'),
      caCert: path.join(work, 'corp-ca.pem'),
      proxy: { https: proxyUrl() },
      credentials: {
        current: async () => {
          asked++;
          return { secretId: SECRET_ID, secretKey: SECRET_KEY, sessionToken: undefined };
        },
      },
    });
    expect(result.notModified ? 0 : result.contentLength).toBe(BODY.length);
    expect(asked).toBe(emulator.stats.requests.length);
    expect(emulator.stats.requests.every((r) => r.authorization?.includes(`q-ak=${SECRET_ID}`))).toBe(true);
  });

  it.each([
    [
      { proxy: { https: 'socks5://127.0.0.1:1080' } },
      /^Option 'proxy\.https' = 'socks5:\/\/127\.0\.0\.1:1080': only http:\/\/ and https:\/\/ proxies are supported/,
    ],
    [
      { proxy: { https: `http://${USER}:${PASSWORD}@bad host:3128` } },
      /^Option 'proxy\.https' = 'http:\/\/\*\*\*@bad host:3128': a URL must not hold spaces/,
    ],
    [{ proxy: { socks: 'x' } }, /^Option 'proxy\.socks' is not a proxy field/],
    [{ caCert: path.join('/dev', 'null') }, /^Option 'caCert' = '\/dev\/null': this is not a regular file/],
    [
      { credentials: { roleArn: ROLE_ARN, providerId: 'p' } },
      /^Option 'credentials\.webIdentityToken': must be a function/,
    ],
    [
      {
        credentials: {
          roleArn: ROLE_ARN,
          providerId: 'p',
          webIdentityToken: async (): Promise<string> => 't',
          durationSeconds: 60,
        },
      },
      /^Option 'credentials\.durationSeconds' = '60': a duration is whole seconds from 900/,
    ],
    [
      {
        credentials: { roleArn: 'arn', providerId: 'p', webIdentityToken: async (): Promise<string> => 't' },
      },
      /^Option 'credentials\.roleArn' = 'arn': a role ARN is/,
    ],
    [
      {
        credentials: { roleArn: ROLE_ARN, secretId: 'x', webIdentityToken: async (): Promise<string> => 't' },
      },
      /^Option 'credentials\.secretId' is not a credential field: keyless credentials are roleArn, providerId/,
    ],
  ])('a bad option: OptionError in one line %#', async (extra, pattern) => {
    const error = await downloadObject({
      bucket: BUCKET,
      region: REGION,
      key: 'k',
      destination: work,
      ...extra,
    } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).message).toMatch(pattern);
    expect((error as OptionError).message).not.toContain('\n');
    expectNoSecret('the message', (error as OptionError).message, PROXY_SECRETS);
  });
});
