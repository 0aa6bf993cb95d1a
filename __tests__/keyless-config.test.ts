// The keyless-credential inputs, parsed before any request: tables of accepted and refused values,
// each refusal one line naming the input, the value, the rule and the fix; and the one-line error
// for a job that cannot get a GitHub OIDC token.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  githubIdToken,
  ID_TOKEN_REQUEST_TOKEN,
  ID_TOKEN_REQUEST_URL,
  OidcUnavailableError,
  requireIdTokenRequest,
} from '../src/action/oidc.js';
import { InputError } from '../src/config/errors.js';
import { ACTION_INPUT_NAMES, INPUTS, type InputSpec } from '../src/config/inputs.js';
import { parseOptions } from '../src/config/parse.js';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_STS_ENDPOINT,
  defaultRoleSessionName,
  parseAudience,
  parseKeyless,
  parseRoleArn,
  parseRoleDuration,
  parseRoleSessionName,
  parseStsEndpoint,
  type RoleContext,
} from '../src/config/role.js';

const CONTEXT: RoleContext = {
  repository: 'octo-org/octo-repo',
  runId: '9876543210',
  runAttempt: '2',
  hasStaticCredentials: false,
};
const ARN = 'qcs::cam::uin/100000000001:roleName/ci-download';

function refusal(run: () => unknown): InputError {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

function expectOneLine(error: InputError, input: string): void {
  expect(error.input).toBe(input);
  expect(error.message).toMatch(new RegExp(`^Input '${input}'`));
  expect(error.message).toMatch(/\. Fix: .+\.$/);
  expect(error.message).not.toContain('\n');
}

describe('role-duration', () => {
  it.each([
    [undefined, 3600],
    ['', 3600],
    ['900', 900],
    ['3600', 3600],
    [' 43200 ', 43_200],
  ])('%s → %i', (value, seconds) => {
    expect(parseRoleDuration(value)).toBe(seconds);
  });

  it.each(['899', '43201', '0', '-900', '1h', '3600s', '3600.0', '1e4', '00900000000'])(
    '%s is refused',
    (value) => {
      const error = refusal(() => parseRoleDuration(value));
      expectOneLine(error, 'role-duration');
      expect(error.message).toContain('whole seconds from 900 (15 minutes) to 43200 (12 hours)');
    },
  );

  it('a unit says to write seconds', () => {
    expect(refusal(() => parseRoleDuration('1h')).message).toMatch(
      /Fix: e\.g\. '3600' for one hour, written in seconds\.$/,
    );
  });
});

describe('role-session-name', () => {
  it('default: from the repository and the run, within 64 characters of [\\w+=,.@-]', () => {
    expect(defaultRoleSessionName(CONTEXT)).toBe('gh-octo-org.octo-repo-9876543210-2');
    expect(parseRoleSessionName(undefined, CONTEXT)).toBe('gh-octo-org.octo-repo-9876543210-2');
  });

  it.each([
    [{ repository: `${'o'.repeat(39)}/${'r'.repeat(100)}`, runId: '123456789012', runAttempt: '1' }],
    [{ repository: 'owner/répo with spaces/and:colons', runId: '42' }],
    [{ repository: 'a/b', runId: '9'.repeat(60), runAttempt: '3' }],
  ])('stays valid for %j', (context) => {
    const name = defaultRoleSessionName(context);
    expect(name.length).toBeGreaterThanOrEqual(2);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[\w+=,.@-]+$/);
    expect(parseRoleSessionName(name, { ...context, hasStaticCredentials: false })).toBe(name);
  });

  it('a long repository is cut, the run id kept', () => {
    const name = defaultRoleSessionName({
      repository: `o/${'r'.repeat(100)}`,
      runId: '123456789012',
      runAttempt: '1',
    });
    expect(name).toHaveLength(64);
    expect(name.endsWith('-123456789012-1')).toBe(true);
  });

  it('outside GitHub: cos-download', () => {
    expect(defaultRoleSessionName({})).toBe('cos-download');
  });

  it.each(['ab', 'release.build@ci', 'a+b=c,d.e@f-g_h', 'x'.repeat(128)])('%s is kept', (value) => {
    expect(parseRoleSessionName(value, CONTEXT)).toBe(value);
  });

  it.each(['a', 'x'.repeat(129), 'has space', 'slash/name', 'colon:name', 'tab\tname', 'ünïcode'])(
    '%s is refused',
    (value) => {
      expectOneLine(
        refusal(() => parseRoleSessionName(value, CONTEXT)),
        'role-session-name',
      );
    },
  );
});

describe('role-arn, audience, sts-endpoint', () => {
  it.each([
    ARN,
    'qcs::cam::uin/12345678:role/4611686018427397919',
    'qcs::cam::uin/12345678:role/tencentcloudServiceRole/4611686018427397920',
  ])('role-arn %s is kept', (value) => {
    expect(parseRoleArn(value)).toBe(value);
  });

  it.each([
    'arn:aws:iam::123:role/x',
    'qcs::cam::uin/abc:roleName/x',
    'qcs::cam::uin/1:user/x',
    `${ARN} `,
    'qcs::cam::uin/1:roleName/',
  ])('role-arn %j is refused', (value) => {
    const error = refusal(() => parseRoleArn(value));
    expectOneLine(error, 'role-arn');
  });

  it('audience: default, kept, refused', () => {
    expect(parseAudience(undefined)).toBe(DEFAULT_AUDIENCE);
    expect(parseAudience('my-client-id')).toBe('my-client-id');
    expectOneLine(
      refusal(() => parseAudience('two words')),
      'audience',
    );
    expectOneLine(
      refusal(() => parseAudience('x'.repeat(257))),
      'audience',
    );
  });

  it.each([
    [undefined, DEFAULT_STS_ENDPOINT],
    ['https://sts.tencentcloudapi.com/', 'https://sts.tencentcloudapi.com'],
    ['https://sts.ap-guangzhou.tencentcloudapi.com', 'https://sts.ap-guangzhou.tencentcloudapi.com'],
    ['http://127.0.0.1:41235', 'http://127.0.0.1:41235'],
    ['http://localhost:9001/', 'http://localhost:9001'],
    ['https://gateway.corp/sts/', 'https://gateway.corp/sts'],
  ])('sts-endpoint %s → %s', (value, url) => {
    expect(parseStsEndpoint(value)).toBe(url);
  });

  it.each([
    ['http://sts.tencentcloudapi.com', /must be https: the request carries the OIDC token/],
    ['ftp://sts.tencentcloudapi.com', /must be an https:\/\/ URL/],
    ['sts.tencentcloudapi.com', /not a URL/],
    ['https://user:hunter22@sts.tencentcloudapi.com', /must not hold credentials/],
    ['https://sts.tencentcloudapi.com/?Action=x', /must not hold a query/],
  ])('sts-endpoint %s is refused', (value, rule) => {
    const error = refusal(() => parseStsEndpoint(value));
    expectOneLine(error, 'sts-endpoint');
    expect(error.message).toMatch(rule);
    expect(error.message).not.toContain('hunter22');
  });
});

describe('parseKeyless', () => {
  it('nothing set: no keyless credentials', () => {
    expect(parseKeyless({}, CONTEXT)).toBeUndefined();
    expect(parseKeyless({ 'role-arn': ' ' }, CONTEXT)).toBeUndefined();
  });

  it('role-arn and provider-id: the defaults for the rest', () => {
    expect(parseKeyless({ 'role-arn': ARN, 'provider-id': 'github-actions' }, CONTEXT)).toEqual({
      roleArn: ARN,
      providerId: 'github-actions',
      roleSessionName: 'gh-octo-org.octo-repo-9876543210-2',
      durationSeconds: 3600,
      audience: 'sts.tencentcloudapi.com',
      stsEndpoint: 'https://sts.tencentcloudapi.com',
    });
  });

  it('everything given', () => {
    expect(
      parseKeyless(
        {
          'role-arn': ARN,
          'provider-id': 'gitlab',
          'role-session-name': 'nightly',
          'role-duration': '7200',
          audience: 'cos',
          'sts-endpoint': 'https://sts.internal.example/',
        },
        CONTEXT,
      ),
    ).toMatchObject({
      roleSessionName: 'nightly',
      durationSeconds: 7200,
      audience: 'cos',
      stsEndpoint: 'https://sts.internal.example',
    });
  });

  it('another keyless input without role-arn names role-arn and what is set', () => {
    const error = refusal(() => parseKeyless({ 'provider-id': 'github-actions', audience: 'x' }, CONTEXT));
    expectOneLine(error, 'role-arn');
    expect(error.message).toMatch(
      /^Input 'role-arn' \(not set\): keyless credentials need the role to assume, and 'provider-id', 'audience' are set without it\./,
    );
  });

  it('role-arn without provider-id', () => {
    const error = refusal(() => parseKeyless({ 'role-arn': ARN }, CONTEXT));
    expectOneLine(error, 'provider-id');
    expect(error.message).toMatch(/^Input 'provider-id' \(not set\): required with 'role-arn'\./);
  });

  it('role-arn with secret-id / secret-key', () => {
    const error = refusal(() =>
      parseKeyless({ 'role-arn': ARN, 'provider-id': 'p' }, { ...CONTEXT, hasStaticCredentials: true }),
    );
    expectOneLine(error, 'role-arn');
    expect(error.message).toContain(
      "keyless credentials exclude 'secret-id' / 'secret-key' / 'session-token'",
    );
  });

  it('each value is checked', () => {
    expectOneLine(
      refusal(() => parseKeyless({ 'role-arn': ARN, 'provider-id': 'p', 'role-duration': '60' }, CONTEXT)),
      'role-duration',
    );
    expectOneLine(
      refusal(() => parseKeyless({ 'role-arn': ARN, 'provider-id': 'bad id' }, CONTEXT)),
      'provider-id',
    );
  });
});

describe('the GitHub OIDC token', () => {
  const env = { [ID_TOKEN_REQUEST_URL]: 'https://token.example/request', [ID_TOKEN_REQUEST_TOKEN]: 'bearer' };

  it.each([
    [{}, `${ID_TOKEN_REQUEST_URL} and ${ID_TOKEN_REQUEST_TOKEN} are`],
    [{ [ID_TOKEN_REQUEST_TOKEN]: 'x' }, `${ID_TOKEN_REQUEST_URL} is`],
    [{ [ID_TOKEN_REQUEST_URL]: '', [ID_TOKEN_REQUEST_TOKEN]: 'x' }, `${ID_TOKEN_REQUEST_URL} is`],
  ])('missing request variables (%j): one line asking for id-token: write', (partial, what) => {
    let error: unknown;
    try {
      requireIdTokenRequest(partial);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OidcUnavailableError);
    const message = (error as Error).message;
    expect(message).toBe(
      `Input 'role-arn' needs a GitHub OIDC token, but ${what} not set: the job needs \`permissions: id-token: write\`. ` +
        'Fix: add `permissions: id-token: write` (and `contents: read`) to the job or the workflow; a pull request ' +
        'from a fork gets no token. Outside GitHub Actions, give the CLI --web-identity-token-file',
    );
  });

  it('asks @actions/core for a token for the audience, every time', async () => {
    const asked: (string | undefined)[] = [];
    const token = githubIdToken(
      {
        getIDToken: async (audience) => {
          asked.push(audience);
          return `token-${asked.length}`;
        },
      },
      env,
      'sts.tencentcloudapi.com',
    );
    expect(await token()).toBe('token-1');
    expect(await token()).toBe('token-2');
    expect(asked).toEqual(['sts.tencentcloudapi.com', 'sts.tencentcloudapi.com']);
  });

  it('checks the environment before asking, and tells a failure of the token service in one line', async () => {
    let asked = 0;
    const core = {
      getIDToken: async () => {
        asked++;
        throw new Error('Failed to get ID Token.\n Error Code : 403\n Error Message: forbidden');
      },
    };
    await expect(githubIdToken(core, {}, 'a')()).rejects.toThrow(/needs `permissions: id-token: write`/);
    expect(asked).toBe(0);
    const error = await githubIdToken(core, env, 'aud-x')().then(
      () => new Error('expected a failure'),
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(OidcUnavailableError);
    expect(error.message).toMatch(
      /^Getting the GitHub OIDC token for audience 'aud-x' failed \(Failed to get ID Token\. Error Code : 403 Error Message: forbidden\)\. Fix: /,
    );
    expect(error.message).not.toContain('\n');
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('parseOptions: keyless inputs beside the others', () => {
  const base = { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou', key: 'a.bin' };
  const ctx = (env: Record<string, string> = {}) => ({ cwd: '/work', env, isDirectory: () => false });
  /** Every action input's default, as a runner passes them. */
  const runnerDefaults = Object.fromEntries(
    ACTION_INPUT_NAMES.flatMap((name) => {
      const value = (INPUTS[name] as InputSpec).default;
      return value === undefined ? [] : [[name, value]];
    }),
  );

  it('role-arn: Options.keyless, deep-frozen, no static credentials, the session name from the run', () => {
    const options = parseOptions(
      { ...base, 'role-arn': ARN, 'provider-id': 'github-actions' },
      ctx({ GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '1' }),
    );
    expect(options.keyless).toEqual({
      roleArn: ARN,
      providerId: 'github-actions',
      roleSessionName: 'gh-o.r-7-1',
      durationSeconds: 3600,
      audience: DEFAULT_AUDIENCE,
      stsEndpoint: DEFAULT_STS_ENDPOINT,
    });
    expect(Object.isFrozen(options.keyless)).toBe(true);
    expect(options.connection.credentials).toBeUndefined();
  });

  it('the defaults a runner passes for every input make no keyless credentials', () => {
    const options = parseOptions({ ...runnerDefaults, ...base }, ctx());
    expect(options.keyless).toBeUndefined();
    expect(options.caCert).toBeUndefined();
  });

  it('a default given beside a changed one still names only the changed one', () => {
    const error = refusal(() => parseOptions({ ...runnerDefaults, ...base, 'role-duration': '900' }, ctx()));
    expect(error.message).toMatch(/'role-duration' is set without it\./);
  });

  it.each([
    ['TENCENTCLOUD_SECRET_ID', { TENCENTCLOUD_SECRET_ID: 'AKIDx', TENCENTCLOUD_SECRET_KEY: 'k' }],
    ['COS_SECRET_ID', { COS_SECRET_ID: 'AKIDx', COS_SECRET_KEY: 'k' }],
  ])('static keys in %s beside role-arn: refused, naming the variable and how to unset it', (name, env) => {
    const error = refusal(() => parseOptions({ ...base, 'role-arn': ARN, 'provider-id': 'p' }, ctx(env)));
    expectOneLine(error, 'role-arn');
    expect(error.message).toContain(`, and env ${name} is set. Fix: unset ${name} for this step`);
    expect(error.message).not.toMatch(/AKIDx|'k'/);
  });

  it('web-identity-token-file: an absolute path in Options.keyless, relative to cwd', () => {
    const options = parseOptions(
      { ...base, 'role-arn': ARN, 'provider-id': 'p', 'web-identity-token-file': 'ci/token.jwt' },
      ctx(),
    );
    expect(options.keyless?.webIdentityTokenFile).toBe(path.resolve('/work', 'ci/token.jwt'));
  });

  it.each([
    [{ 'web-identity-token-file': 'token.jwt' }, 'web-identity-token-file', /is used only with 'role-arn'/],
    [
      { 'role-arn': ARN, 'provider-id': 'p', 'web-identity-token-file': 'token.jwt', audience: 'x' },
      'audience',
      /applies only to the token the action asks GitHub for/,
    ],
    [
      { 'role-arn': ARN, 'provider-id': 'p', 'web-identity-token-file': 'a\nb' },
      'web-identity-token-file',
      /a path must not hold line breaks/,
    ],
  ])('%j: refused naming %s', (raw, input, rule) => {
    const error = refusal(() => parseOptions({ ...base, ...raw }, ctx()));
    expectOneLine(error, input);
    expect(error.message).toMatch(rule);
  });
});
