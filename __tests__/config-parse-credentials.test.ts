// parseOptions' credentials: the inputs, then the environment families, then anonymous; pairs and
// stray tokens refused without showing a secret. Pure.
import { describe, expect, it } from 'vitest';
import { type ParseContext, parseOptions, type RawInputs } from '../src/config/parse.js';
import { BASE, context, expectRejected } from './helpers/parse-inputs.js';

describe('parseOptions', () => {
  describe('credentials', () => {
    const TC = { TENCENTCLOUD_SECRET_ID: 'tc-id', TENCENTCLOUD_SECRET_KEY: 'tc-key' };
    const COS = { COS_SECRET_ID: 'cos-id', COS_SECRET_KEY: 'cos-key' };
    const credentialsOf = (raw: RawInputs, env: ParseContext['env']) =>
      parseOptions({ ...BASE, key: 'a', ...raw }, context([], env)).connection.credentials;

    it.each([
      ['none → anonymous', {}, {}, undefined],
      [
        'inputs',
        { 'secret-id': 'in-id', 'secret-key': 'in-key' },
        {},
        { secretId: 'in-id', secretKey: 'in-key' },
      ],
      ['TENCENTCLOUD_* env', {}, TC, { secretId: 'tc-id', secretKey: 'tc-key' }],
      ['COS_* env', {}, COS, { secretId: 'cos-id', secretKey: 'cos-key' }],
      ['TENCENTCLOUD_* before COS_*', {}, { ...COS, ...TC }, { secretId: 'tc-id', secretKey: 'tc-key' }],
      [
        'inputs before env',
        { 'secret-id': 'in-id', 'secret-key': 'in-key' },
        { ...TC, ...COS },
        { secretId: 'in-id', secretKey: 'in-key' },
      ],
      [
        'env session token with env keys',
        {},
        { ...TC, TENCENTCLOUD_SESSION_TOKEN: 'tc-token' },
        { secretId: 'tc-id', secretKey: 'tc-key', sessionToken: 'tc-token' },
      ],
      [
        'env session token not mixed with input keys',
        { 'secret-id': 'in-id', 'secret-key': 'in-key' },
        { ...TC, TENCENTCLOUD_SESSION_TOKEN: 'tc-token' },
        { secretId: 'in-id', secretKey: 'in-key' },
      ],
      [
        'input session token with env keys',
        { 'session-token': 'in-token' },
        TC,
        { secretId: 'tc-id', secretKey: 'tc-key', sessionToken: 'in-token' },
      ],
      [
        'blank env values are absent',
        {},
        { TENCENTCLOUD_SECRET_ID: '', TENCENTCLOUD_SECRET_KEY: ' ', ...COS },
        {
          secretId: 'cos-id',
          secretKey: 'cos-key',
        },
      ],
    ] as const)('%s', (_label, raw, env, expected) => {
      expect(credentialsOf(raw, env)).toEqual(expected);
    });

    it.each([
      [{ 'secret-id': 'in-id' }, {}, 'secret-key'],
      [{ 'secret-key': 'in-key' }, TC, 'secret-id'],
      [{ 'session-token': 'in-token' }, {}, 'session-token'],
      [{}, { TENCENTCLOUD_SESSION_TOKEN: 'tc-token' }, 'session-token'],
      [{}, { TENCENTCLOUD_SECRET_ID: 'tc-id', ...COS }, 'secret-key'],
      [{}, { COS_SECRET_KEY: 'cos-key' }, 'secret-id'],
    ] as const)('%j with env %j → InputError naming %s', (raw, env, input) => {
      const error = expectRejected(() => credentialsOf(raw, env), input, undefined);
      for (const secret of ['in-id', 'in-key', 'in-token', 'tc-id', 'tc-token', 'cos-key']) {
        expect(error.message).not.toContain(secret);
      }
    });

    it('never shows a secret in a message', () => {
      expectRejected(
        () => credentialsOf({ 'secret-id': 'AKID with space', 'secret-key': 'k' }, {}),
        'secret-id',
        'AKID with space',
        { secret: true },
      );
      expectRejected(
        () => credentialsOf({}, { COS_SECRET_ID: 'ok', COS_SECRET_KEY: 'bad\u0001key' }),
        'secret-key',
        'bad\u0001key',
        { secret: true, rule: 'env COS_SECRET_KEY' },
      );
    });
  });
});
