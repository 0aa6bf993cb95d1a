// Keyless credentials end to end, against the emulator and its STS stand-in: an OIDC token → STS
// AssumeRoleWithWebIdentity → temporary credentials → signed COS requests with x-cos-security-token,
// renewed in the middle of a mirror, and every STS refusal told in one line naming STS, the code and
// the fix. Time is an injected clock shared by the stand-in (expiry) and the provider (renewal).
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseOptions, type RawInputs } from '../src/config/parse.js';
import { CosClient } from '../src/cos/client.js';
import { CredentialsError, type CredentialsProvider, staticCredentials } from '../src/cos/credentials.js';
import { CosError } from '../src/cos/errors.js';
import { StsClient, StsError, stsCredentials, type WebIdentityRole } from '../src/cos/sts.js';
import { main as emulatorMain } from '../src/emulator/cli.js';
import {
  type Emulator,
  exampleWebIdentityToken,
  type StsEmulator,
  startEmulator,
  startStsEmulator,
} from '../src/emulator/index.js';
import { recordingLogger, removeFolder, run, runMirror, tempFolder } from './helpers/env.js';

const ROLE: WebIdentityRole = {
  roleArn: 'qcs::cam::uin/1250000000:roleName/ci-download',
  providerId: 'github-actions',
  roleSessionName: 'gh-example.repo-123-1',
  durationSeconds: 900,
};

/** A clock that stands still until a test moves it (COS signatures still use the real time). */
function manualClock() {
  let now = Date.now();
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    sleep: async () => {},
  };
}

let clock: ReturnType<typeof manualClock>;
let sts: StsEmulator;
let emulator: Emulator;
let client: StsClient;
let work: string;

beforeAll(async () => {
  clock = manualClock();
  sts = await startStsEmulator({ clock, roleArn: ROLE.roleArn, providerId: ROLE.providerId });
  emulator = await startEmulator({ temporaryCredentials: sts.issued });
  for (let i = 1; i <= 12; i++)
    emulator.put(`logs/part-${String(i).padStart(2, '0')}.txt`, `part ${i}\n`.repeat(100));
  emulator.put('file.txt', 'the body of file.txt');
});
afterAll(async () => {
  await emulator.close();
  await sts.close();
});
beforeEach(async () => {
  work = await tempFolder();
  sts.reset();
  emulator.stats.reset();
  client = new StsClient(
    { endpoint: sts.url, region: 'ap-guangzhou', timeoutMs: 5000 },
    { clock, retryBaseMs: 1 },
  );
});
afterEach(async () => {
  await client.close();
  await removeFolder(work);
});

function options(raw: RawInputs) {
  return parseOptions(
    { bucket: emulator.bucket, endpoint: emulator.url, retries: '3', timeout: '5s', ...raw },
    {
      cwd: work,
      env: {},
      isDirectory: (p) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false,
    },
  );
}

function provider(
  token: () => string = () => exampleWebIdentityToken({}, clock.now()),
  masked: string[] = [],
) {
  return stsCredentials(
    { sts: client, role: ROLE, webIdentityToken: async () => token() },
    { clock, mask: (secret) => masked.push(secret), logger: recordingLogger() },
  );
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('token → STS → COS', () => {
  it('a download signed with the temporary credentials, carrying their x-cos-security-token', async () => {
    const masked: string[] = [];
    const token = exampleWebIdentityToken({}, clock.now());
    const credentials = provider(() => token, masked);
    const result = await run(options({ key: 'file.txt', destination: 'out.txt' }), {
      client: { credentials },
    });
    expect(result.object.status).toBe('downloaded');
    expect(await readFile(path.join(work, 'out.txt'), 'utf8')).toBe('the body of file.txt');

    // STS was asked once, in the shape the API states.
    expect(sts.requests).toHaveLength(1);
    const [call] = sts.requests;
    expect(call?.method).toBe('POST');
    expect(call?.headers).toMatchObject({
      'x-tc-action': 'AssumeRoleWithWebIdentity',
      'x-tc-version': '2018-08-13',
      'x-tc-region': 'ap-guangzhou',
      'content-type': 'application/json',
      authorization: 'SKIP',
    });
    expect(Number(call?.headers['x-tc-timestamp'])).toBe(Math.floor(clock.now() / 1000));
    expect(call?.body).toEqual({
      ProviderId: ROLE.providerId,
      WebIdentityToken: '***',
      RoleArn: ROLE.roleArn,
      RoleSessionName: ROLE.roleSessionName,
      DurationSeconds: 900,
    });
    expect(call?.error).toBeUndefined();

    // Every COS request was signed with the issued key and carried its token.
    const [issued] = sts.credentials;
    expect(sts.credentials).toHaveLength(1);
    expect(emulator.stats.requests.length).toBeGreaterThan(0);
    for (const record of emulator.stats.requests) {
      expect(record.authorization).toContain(`q-ak=${issued?.secretId}`);
      expect(record.headers['x-cos-security-token']).toBe('***');
    }
    // The token and all three parts of the credentials were masked before use.
    expect(masked).toEqual(
      expect.arrayContaining([token, issued?.secretId, issued?.secretKey, issued?.sessionToken]),
    );
  });

  it('the emulator takes the issued key only with its token, and only until it expires', async () => {
    const issued = await client.assumeRoleWithWebIdentity(ROLE, exampleWebIdentityToken({}, clock.now()));
    const get = async (credentials: CredentialsProvider) => {
      const cos = new CosClient(options({ key: 'file.txt' }).connection, { credentials });
      try {
        const response = await cos.send({ method: 'GET', key: 'file.txt' });
        await response.body.dump();
        return response.status;
      } finally {
        await cos.close();
      }
    };
    expect(await get(staticCredentials(issued))).toBe(200);
    const noToken = await failure(
      get(staticCredentials({ secretId: issued.secretId, secretKey: issued.secretKey })),
    );
    expect(noToken).toBeInstanceOf(CosError);
    expect((noToken as CosError).code).toBe('InvalidToken');
    const otherToken = await failure(
      get(staticCredentials({ ...issued, sessionToken: `${issued.sessionToken}x` })),
    );
    expect((otherToken as CosError).code).toBe('InvalidToken');

    clock.advance(issued.expiresAt - clock.now() + 1000);
    const expired = await failure(get(staticCredentials(issued)));
    expect(expired.message).toMatch(
      /^GET 'file\.txt': 400 ExpiredToken: The provided token has expired\. \(request id .+\)\. The temporary credentials have expired: give fresh ones/,
    );
  });

  it('refreshed in the middle of a mirror: the first credentials expire, new ones are fetched, requests go on', async () => {
    const issuedBefore = sts.credentials.length;
    const credentials = provider();
    // Each COS request moves the clock 2 minutes: 900-second credentials, renewed 5 minutes early,
    // last about five requests.
    const ticking: CredentialsProvider = {
      current: async (signal) => {
        clock.advance(120_000);
        return credentials.current(signal);
      },
    };
    const mirror = await runMirror(options({ prefix: 'logs/', destination: 'logs', concurrency: '1' }), {
      client: { credentials: ticking },
    });
    expect(mirror.downloaded).toBe(12);
    expect(credentials.fetches).toBeGreaterThanOrEqual(3);
    const issued = sts.credentials.slice(issuedBefore);
    expect(issued).toHaveLength(credentials.fetches);
    // The older credentials have expired by now: the mirror could only finish on renewed ones.
    const [first] = issued;
    expect(sts.issued.lookup(first?.secretId ?? '')?.expired).toBe(true);
    // COS saw the keys one after another, each used only while it held.
    const keys = emulator.stats.requests.map((r) => /q-ak=([^&]+)/.exec(r.authorization ?? '')?.[1]);
    const order = [...new Set(keys)];
    expect(order).toEqual(issued.map((c) => c.secretId));
    expect(emulator.stats.requests.every((r) => r.status >= 200 && r.status < 300)).toBe(true);
  });
});

describe('STS refusals: one line naming STS, the code and the fix; never retried, no COS request', () => {
  const head = `^STS AssumeRoleWithWebIdentity \\(role '${ROLE.roleArn}', provider '${ROLE.providerId}'\\): `;
  it.each([
    [
      'InvalidParameter',
      () => sts.fail('InvalidParameter'),
      undefined,
      `${head}InvalidParameter: Incorrect parameter\\. \\(request id [\\w-]+\\)\\. Fix: check 'role-arn' \\(qcs::cam::uin/<account>:roleName/<role>\\), 'provider-id', 'role-session-name' and 'role-duration'$`,
    ],
    [
      'AuthFailure',
      () => sts.fail('AuthFailure'),
      undefined,
      `${head}AuthFailure\\.UnauthorizedOperation: .+ \\(request id [\\w-]+\\)\\. Fix: the role does not trust this identity: in CAM, let the role named by 'role-arn' trust the OIDC provider 'provider-id'`,
    ],
    [
      'an expired token (told to)',
      () => sts.fail('ExpiredToken'),
      undefined,
      `${head}InvalidParameter\\.WebIdentityTokenError: WebIdentityToken has expired\\. \\(request id [\\w-]+\\)\\. Fix: the OIDC token had expired when STS checked it: use a fresh one`,
    ],
    [
      'an expired token (its exp has passed)',
      () => {},
      () => exampleWebIdentityToken({ exp: Math.floor(clock.now() / 1000) - 60 }, clock.now()),
      `${head}InvalidParameter\\.WebIdentityTokenError: WebIdentityToken has expired\\..*Fix: the OIDC token had expired`,
    ],
    [
      'a token that is no JWT',
      () => {},
      () => 'not-a-jwt-but-a-long-enough-secret-string',
      `${head}InvalidParameter\\.WebIdentityTokenError: WebIdentityToken is not a JWT\\..*Fix: STS did not accept the OIDC token: check that 'provider-id' names the CAM OIDC identity provider`,
    ],
  ])('%s', async (_name, arrange, token, pattern) => {
    arrange();
    const sent = token?.() ?? exampleWebIdentityToken({}, clock.now());
    const error = await failure(
      run(options({ key: 'file.txt', destination: 'out.txt', retries: '5' }), {
        client: { credentials: provider(() => sent) },
      }),
    );
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.cause).toBeInstanceOf(StsError);
    expect(error.message).toMatch(new RegExp(pattern));
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain(sent);
    expect(sts.requests).toHaveLength(1);
    expect(emulator.stats.requests).toEqual([]);
  });

  it('a role STS does not know: ResourceNotFound.RoleNotFound, naming role-arn', async () => {
    const error = await failure(
      client.assumeRoleWithWebIdentity(
        { ...ROLE, roleArn: 'qcs::cam::uin/1250000000:roleName/other' },
        exampleWebIdentityToken({}, clock.now()),
      ),
    );
    expect(error.message).toMatch(
      /: ResourceNotFound\.RoleNotFound: The role does not exist\. .*Fix: no such role: check 'role-arn'$/,
    );
  });

  it('InternalError is retried inside the STS client only (one layer), then told in one line', async () => {
    sts.fail({ code: 'InternalError.SystemError', message: 'System error.' }, 1);
    const ok = await client.assumeRoleWithWebIdentity(ROLE, exampleWebIdentityToken({}, clock.now()));
    expect(ok.sessionToken.length).toBeGreaterThan(100);
    expect(sts.requests.map((r) => r.error)).toEqual(['InternalError.SystemError', undefined]);

    sts.reset();
    sts.fail({ code: 'InternalError.SystemError', message: 'System error.' });
    const error = await failure(
      run(options({ key: 'file.txt', destination: 'out.txt', retries: '5' }), {
        client: { credentials: provider() },
      }),
    );
    expect(error.message).toMatch(
      /: InternalError\.SystemError: System error\. .*Fix: a failure inside STS: try again later$/,
    );
    // Three attempts by the STS client (2 retries), none more by the COS request's five retries.
    expect(sts.requests).toHaveLength(3);
    expect(emulator.stats.requests).toEqual([]);
  });
});

describe('the STS stand-in checks the request', () => {
  const good = () => ({
    headers: {
      'content-type': 'application/json',
      'x-tc-action': 'AssumeRoleWithWebIdentity',
      'x-tc-version': '2018-08-13',
      'x-tc-region': 'ap-guangzhou',
      'x-tc-timestamp': String(Math.floor(clock.now() / 1000)),
      authorization: 'SKIP',
    } as Record<string, string>,
    body: {
      ProviderId: ROLE.providerId,
      WebIdentityToken: exampleWebIdentityToken({}, clock.now()),
      RoleArn: ROLE.roleArn,
      RoleSessionName: ROLE.roleSessionName,
      DurationSeconds: 900,
    } as Record<string, unknown>,
  });

  it.each([
    ['no X-TC-Action', (r: ReturnType<typeof good>) => delete r.headers['x-tc-action'], 'MissingParameter'],
    [
      'another action',
      (r: ReturnType<typeof good>) => (r.headers['x-tc-action'] = 'AssumeRole'),
      'InvalidAction',
    ],
    [
      'another version',
      (r: ReturnType<typeof good>) => (r.headers['x-tc-version'] = '2019-01-01'),
      'NoSuchVersion',
    ],
    ['no region', (r: ReturnType<typeof good>) => delete r.headers['x-tc-region'], 'MissingParameter'],
    [
      'an old timestamp',
      (r: ReturnType<typeof good>) => (r.headers['x-tc-timestamp'] = '1000'),
      'AuthFailure.SignatureExpire',
    ],
    [
      'a signed call',
      (r: ReturnType<typeof good>) => (r.headers.authorization = 'TC3-HMAC-SHA256 x'),
      'AuthFailure.SignatureFailure',
    ],
    [
      'a form body',
      (r: ReturnType<typeof good>) => (r.headers['content-type'] = 'application/x-www-form-urlencoded'),
      'InvalidParameter',
    ],
    ['no RoleArn', (r: ReturnType<typeof good>) => delete r.body.RoleArn, 'MissingParameter'],
    [
      'a number for a name',
      (r: ReturnType<typeof good>) => (r.body.RoleSessionName = 12),
      'InvalidParameterValue',
    ],
    [
      'a bad session name',
      (r: ReturnType<typeof good>) => (r.body.RoleSessionName = 'a b'),
      'InvalidParameter.ParamError',
    ],
    [
      'too long a duration',
      (r: ReturnType<typeof good>) => (r.body.DurationSeconds = 43_201),
      'InvalidParameter.OverTimeError',
    ],
    ['an unknown field', (r: ReturnType<typeof good>) => (r.body.Policy = '{}'), 'UnknownParameter'],
    [
      'another provider',
      (r: ReturnType<typeof good>) => (r.body.ProviderId = 'gitlab'),
      'InvalidParameter.ParamError',
    ],
  ])('%s', async (_name, spoil, code) => {
    const call = good();
    spoil(call);
    const issued = sts.credentials.length;
    const response = await request(sts.url, {
      method: 'POST',
      headers: call.headers,
      body: JSON.stringify(call.body),
    });
    expect(response.statusCode).toBe(200);
    const answer = (await response.body.json()) as {
      Response: { Error?: { Code: string }; RequestId: string };
    };
    expect(answer.Response.Error?.Code).toBe(code);
    expect(answer.Response.RequestId).toMatch(/^[\w-]{36}$/);
    expect(sts.credentials.length).toBe(issued);
  });

  it('a well-formed request gets Credentials, ExpiredTime and Expiration', async () => {
    const call = good();
    const response = await request(sts.url, {
      method: 'POST',
      headers: call.headers,
      body: JSON.stringify(call.body),
    });
    const answer = (await response.body.json()) as {
      Response: { Credentials: Record<string, string>; ExpiredTime: number; Expiration: string };
    };
    expect(Object.keys(answer.Response.Credentials).sort()).toEqual(['TmpSecretId', 'TmpSecretKey', 'Token']);
    expect(answer.Response.ExpiredTime).toBe(Math.floor(clock.now() / 1000) + 900);
    expect(Date.parse(answer.Response.Expiration)).toBe(answer.Response.ExpiredTime * 1000);
  });
});

describe('emulator --sts', () => {
  it('starts the stand-in beside the COS emulator, whose bucket then takes only its credentials', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const exit = emulatorMain(['--port', '0', '--sts', '--sts-lifetime', '900'], {
      stdout: (line) => lines.push(line),
      signal: stop.signal,
    });
    try {
      for (let i = 0; i < 100 && lines.length < 2; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const cosUrl = /at (http:\/\/127\.0\.0\.1:\d+);/.exec(lines[0] ?? '')?.[1] ?? '';
      const stsUrl = /at (http:\/\/127\.0\.0\.1:\d+);/.exec(lines[1] ?? '')?.[1] ?? '';
      expect(lines[0]).toContain('with the STS options below');
      expect(lines[1]).toMatch(
        /^STS stand-in \(AssumeRoleWithWebIdentity\) at http:\/\/127\.0\.0\.1:\d+; .*--sts-endpoint http:\/\/127\.0\.0\.1:\d+ --role-arn qcs::cam::uin\/1250000000:roleName\/emulator --provider-id emulator/,
      );
      const local = new StsClient({ endpoint: stsUrl, region: 'ap-guangzhou', timeoutMs: 5000 });
      const issued = await local.assumeRoleWithWebIdentity(
        { ...ROLE, roleArn: 'qcs::cam::uin/1250000000:roleName/emulator', providerId: 'emulator' },
        exampleWebIdentityToken(),
      );
      await local.close();
      expect(issued.expiresAt - Date.now()).toBeGreaterThan(600_000);
      expect(issued.expiresAt - Date.now()).toBeLessThanOrEqual(900_000);
      const cos = (credentials: CredentialsProvider | undefined) =>
        new CosClient(
          { bucket: 'examplebucket-1250000000', endpoint: cosUrl, retries: 0, timeoutMs: 5000 },
          credentials === undefined ? {} : { credentials },
        );
      const signed = cos(staticCredentials(issued));
      const head = await signed.send({ method: 'HEAD', key: '', accept: [404] });
      await head.body.dump();
      await signed.close();
      expect(head.status).toBe(200);
      const anonymous = cos(undefined);
      const refused = await failure(anonymous.send({ method: 'GET', key: 'missing.txt' }));
      await anonymous.close();
      expect((refused as CosError).code).toBe('AccessDenied');
    } finally {
      stop.abort();
      expect(await exit).toBe(0);
    }
  });

  it('--sts-lifetime is checked', async () => {
    const errors: string[] = [];
    expect(await emulatorMain(['--sts-lifetime', '60'], { stderr: (line) => errors.push(line) })).toBe(2);
    expect(
      await emulatorMain(['--sts', '--sts-lifetime', '1h'], { stderr: (line) => errors.push(line) }),
    ).toBe(2);
    expect(errors[0]).toMatch(/^cos-download emulator: --sts-lifetime goes with --sts\. Run .* --help/);
    expect(errors[1]).toMatch(
      /^cos-download emulator: --sts-lifetime must be whole seconds from 1 to 43200, not "1h"\. Run /,
    );
  });
});
