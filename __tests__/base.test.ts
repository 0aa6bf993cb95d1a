// The ground floor: what every layer uses to tell a failure in one line.
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import { LocalFileError } from '../src/base/local-errors.js';

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
    expect(errorMessage(rawFsError('ENOENT', '/gone'))).toBe("ENOENT: something failed, open '/gone'");
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
