// The ground floor: what every layer uses to tell a failure in one line.
import { describe, expect, it } from 'vitest';
import { errorDetails, errorMessage } from '../src/base/error-message.js';
import { LocalFileError } from '../src/base/local-errors.js';
import { describeNetworkFailure, networkCode } from '../src/base/network-errors.js';
import { wrapCommand, wrapText } from '../src/base/wrap.js';

function rawFsError(code: string, filePath: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something failed, open '${filePath}'`), { code, path: filePath });
}

describe('errorMessage', () => {
  it('tells a raw file-system error that carries its path in plain words, with the fix', () => {
    expect(errorMessage(rawFsError('ENOSPC', '/data/out.bin'))).toBe(
      "No space left on the device holding '/data/out.bin' (ENOSPC). " +
        'Fix: free space on that disk, or choose a destination on another one, then run again',
    );
    expect(errorMessage(rawFsError('EROFS', '/ro/file'))).toMatch(
      /^Cannot write '\/ro\/file': it is on a read-only/,
    );
  });

  it("keeps Node's message for a file-system error without a path or without a clearer wording", () => {
    const noPath = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(errorMessage(noPath)).toBe('ENOSPC: no space left on device, write');
    expect(errorMessage(rawFsError('ENOTSUP', '/gone'))).toBe("ENOTSUP: something failed, open '/gone'");
  });

  it('tells a missing path and a folder that is a file, from the raw errors Node gives', () => {
    const missing = Object.assign(rawFsError('ENOENT', '/work/ca.pem'), { syscall: 'open' });
    expect(errorMessage(missing)).toBe(
      "'/work/ca.pem' does not exist (ENOENT, open). Fix: check the path; if it lies in the destination, " +
        'make sure nothing else removes it while the download runs',
    );
    const file = Object.assign(rawFsError('EEXIST', '/work/out'), { syscall: 'mkdir' });
    expect(errorMessage(file)).toBe(
      "Cannot create the folder '/work/out': a file has that name (EEXIST). " +
        "Fix: remove or rename the file '/work/out', or choose another destination",
    );
    // EEXIST of an exclusive create is ours to handle, not a folder in the way.
    expect(errorMessage(Object.assign(rawFsError('EEXIST', '/x'), { syscall: 'open' }))).toBe(
      "EEXIST: something failed, open '/x'",
    );
  });

  it('keeps the message of an error already worded', () => {
    const worded = new LocalFileError(
      'ENOSPC',
      '/data/out.bin',
      'worded already',
      rawFsError('ENOSPC', '/x'),
    );
    expect(errorMessage(worded)).toBe('worded already');
  });
});

/** A raw error as Node's net module or undici gives it: a code and the fields of the socket. */
function rawNetError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('errorMessage and describeNetworkFailure: network failures in plain words', () => {
  it.each([
    [
      'a refused connection to this machine: is it running, no proxy advice',
      rawNetError('connect ECONNREFUSED 127.0.0.1:9555', {
        code: 'ECONNREFUSED',
        syscall: 'connect',
        address: '127.0.0.1',
        port: 9555,
      }),
      undefined,
      'cannot connect to 127.0.0.1:9555: the connection was refused (ECONNREFUSED). ' +
        'Check that the endpoint is running and that its address and port are right',
    ],
    [
      'a host name that does not resolve: typos, or a proxy',
      rawNetError('getaddrinfo ENOTFOUND b-1.cos.ap-guangzhuo.myqcloud.com', {
        code: 'ENOTFOUND',
        syscall: 'getaddrinfo',
        hostname: 'b-1.cos.ap-guangzhuo.myqcloud.com',
      }),
      undefined,
      "cannot resolve the host name 'b-1.cos.ap-guangzhuo.myqcloud.com' (ENOTFOUND). Check the bucket, " +
        'region and endpoint for typos; if this network reaches the internet only through a proxy, set HTTPS_PROXY',
    ],
    [
      'a refused connection elsewhere, the host taken from the origin',
      rawNetError('connect ECONNREFUSED 10.0.0.5:443', {
        code: 'ECONNREFUSED',
        address: '10.0.0.5',
        port: 443,
      }),
      'https://cos.internal.example',
      'cannot connect to cos.internal.example: the connection was refused (ECONNREFUSED). Check that the ' +
        'endpoint is running and that its address and port are right; if this network reaches the internet ' +
        'only through a proxy, set HTTPS_PROXY',
    ],
  ])('%s', (_, error, origin, expected) => {
    expect(describeNetworkFailure(error, origin)).toBe(expected);
    if (origin === undefined) expect(errorMessage(error)).toBe(expected);
  });

  it('finds the code in the cause chain, and words nothing else', () => {
    const inner = rawNetError('connect ETIMEDOUT 10.1.1.1:443', {
      code: 'ETIMEDOUT',
      address: '10.1.1.1',
      port: 443,
    });
    const outer = new Error('fetch failed', { cause: inner });
    expect(networkCode(outer)).toBe('ETIMEDOUT');
    expect(describeNetworkFailure(outer)).toMatch(/^connecting to 10\.1\.1\.1:443 timed out \(ETIMEDOUT\)/);
    // errorMessage words only the error itself: a wrapper that has its own message keeps it.
    expect(errorMessage(outer)).toBe('fetch failed');
    expect(describeNetworkFailure(new Error('boom'))).toBeUndefined();
    expect(describeNetworkFailure(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBeUndefined();
  });
});

describe('errorDetails: the debug lines of a failure', () => {
  it('lists each error of the cause chain with its code and system call, then the stack', () => {
    const inner = rawNetError('connect ECONNREFUSED 127.0.0.1:1', {
      code: 'ECONNREFUSED',
      syscall: 'connect',
      errno: -111,
    });
    const outer = new Error('HEAD x: cannot connect', { cause: inner });
    const lines = errorDetails(outer);
    expect(lines[0]).toBe('error: Error: HEAD x: cannot connect');
    expect(lines[1]).toBe(
      'caused by: Error (code ECONNREFUSED, syscall connect, errno -111): connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(lines.slice(2).some((line) => /^\s+at /.test(line))).toBe(true);
    expect(errorDetails('text')).toEqual(['error: text']);
  });
});

describe('wrapText and wrapCommand', () => {
  it('wraps prose at spaces and cuts a word longer than a line', () => {
    expect(wrapText('one two three four five', 12, '  ')).toEqual(['  one two', '  three four', '  five']);
    expect(wrapText(`see ${'x'.repeat(12)}`, 10)).toEqual(['see', 'xxxxxxxxxx', 'xx']);
  });

  it('continues a command with \\ between pieces, a flag with its value, a [group] whole', () => {
    expect(wrapCommand('cmd --bucket b-1 --key a/b.txt --destination out/', 30, '  ')).toEqual([
      '  cmd --bucket b-1 \\',
      '    --key a/b.txt \\',
      '    --destination out/',
    ]);
    expect(wrapCommand('cmd --key KEY [--destination PATH] [options]', 26, '', false)).toEqual([
      'cmd --key KEY',
      '  [--destination PATH]',
      '  [options]',
    ]);
    // A flag and a value too long for one line go on two, still one command.
    expect(wrapCommand('cmd --bucket examplebucket-1250000000', 30)).toEqual([
      'cmd --bucket \\',
      '  examplebucket-1250000000',
    ]);
  });
});
