// RefreshingCredentials on an injected clock: one fetch for concurrent requests, renewal before expiry,
// a failed renewal survived while the old credentials hold, and cancellation of one waiting request.
import { describe, expect, it } from 'vitest';
import {
  CredentialsError,
  RefreshingCredentials,
  type TemporaryCredentials,
} from '../src/cos/credentials.js';
import { recordingLogger } from './helpers/env.js';

/** A clock that stands still until a test moves it. */
function manualClock() {
  let now = Date.UTC(2030, 0, 1);
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
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

describe('RefreshingCredentials', () => {
  function temporary(expiresAt: number, n = 1): TemporaryCredentials {
    return {
      secretId: `AKID-${n}`,
      secretKey: `key-${n}-secret`,
      sessionToken: `token-${n}-secret`,
      expiresAt,
    };
  }

  it('one fetch for many concurrent requests; renewed 5 minutes before expiry, or at half a shorter lifetime', async () => {
    const local = manualClock();
    let fetches = 0;
    const credentials = new RefreshingCredentials(
      async () => {
        fetches++;
        return temporary(local.now() + 60 * 60_000, fetches);
      },
      { clock: local },
    );
    const all = await Promise.all(Array.from({ length: 10 }, () => credentials.current()));
    expect(new Set(all.map((c) => c.secretId))).toEqual(new Set(['AKID-1']));
    expect(fetches).toBe(1);
    local.advance(54 * 60_000);
    expect((await credentials.current()).secretId).toBe('AKID-1');
    local.advance(2 * 60_000);
    expect((await credentials.current()).secretId).toBe('AKID-2');

    const short = new RefreshingCredentials(async () => temporary(local.now() + 4 * 60_000), {
      clock: local,
    });
    await short.current();
    local.advance(119_000);
    await short.current();
    expect(short.fetches).toBe(1);
    local.advance(2000);
    await short.current();
    expect(short.fetches).toBe(2);
  });

  it('a failed renewal while the old credentials hold: a warning, the old ones used until they expire', async () => {
    const local = manualClock();
    const logger = recordingLogger();
    let fail = false;
    const credentials = new RefreshingCredentials(
      async () => {
        if (fail) throw new Error('STS is down');
        return temporary(local.now() + 30 * 60_000);
      },
      { clock: local, logger, source: 'STS role x' },
    );
    await credentials.current();
    fail = true;
    local.advance(26 * 60_000);
    expect((await credentials.current()).secretId).toBe('AKID-1');
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        /^warning: STS role x: renewing the credentials failed \(STS is down\); the current ones hold until .*, retrying in 30 s$/,
      ),
    );
    local.advance(5 * 60_000);
    const error = await failure(credentials.current());
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toBe('STS is down');
  });

  it('credentials that arrive already expired: one line about the clock', async () => {
    const local = manualClock();
    const credentials = new RefreshingCredentials(async () => temporary(local.now() - 1000), {
      clock: local,
      source: 'STS role x',
    });
    const error = await failure(credentials.current());
    expect(error.message).toMatch(
      /^STS role x: the credentials expire at .*, before the local time .*\. Fix: sync this machine's clock \(NTP\)$/,
    );
  });

  it('a request aborted while credentials are fetched fails at once; the fetch goes on for the others', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const credentials = new RefreshingCredentials(async () => {
      await gate;
      return temporary(Date.now() + 60 * 60_000);
    });
    const controller = new AbortController();
    const aborted = credentials.current(controller.signal);
    const other = credentials.current();
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    release();
    expect((await other).secretId).toBe('AKID-1');
  });
});
