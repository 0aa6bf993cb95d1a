// parseOptions' destination: relative to the workspace, a folder or trailing '/' takes the key's base
// name, '~' refused. Pure: the folders are a fake isDirectory.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ParseContext, parseOptions, type RawInputs } from '../src/config/parse.js';
import { BASE, CWD, context, expectRejected } from './helpers/parse-inputs.js';

describe('parseOptions', () => {
  describe('destination', () => {
    const destinationOf = (raw: RawInputs, directories: readonly string[] = []) =>
      parseOptions({ ...BASE, ...raw }, context(directories)).destination;

    it.each([
      [{ key: 'dir/file.bin' }, [], path.join(CWD, 'file.bin')],
      [{ key: 'file.bin' }, [], path.join(CWD, 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'out/' }, [], path.join(CWD, 'out', 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'out' }, ['out'], path.join(CWD, 'out', 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'out' }, [], path.join(CWD, 'out')],
      [{ key: 'dir/file.bin', destination: '.' }, ['.'], path.join(CWD, 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'a/../b.bin' }, [], path.join(CWD, 'b.bin')],
      [{ key: 'dir/file.bin', destination: path.resolve('/tmp/x.bin') }, [], path.resolve('/tmp/x.bin')],
      [{ key: 'a/..', destination: 'named.bin' }, [], path.join(CWD, 'named.bin')],
      [{ prefix: 'p/' }, [], CWD],
      [{ prefix: 'p/', destination: 'mirror/' }, [], path.join(CWD, 'mirror')],
      [{ prefix: '/', destination: 'mirror' }, [], path.join(CWD, 'mirror')],
    ] as const)('%j (folders %j) → %s', (raw, directories, expected) => {
      expect(destinationOf(raw, directories)).toBe(expected);
    });

    it('asks the file system only about a key destination', () => {
      const asked: string[] = [];
      const spy: ParseContext = {
        cwd: CWD,
        env: {},
        isDirectory: (p) => {
          asked.push(p);
          return false;
        },
      };
      parseOptions({ ...BASE, prefix: 'p/', destination: 'mirror' }, spy);
      parseOptions({ ...BASE, key: 'k' }, spy);
      expect(asked).toEqual([]);
      parseOptions({ ...BASE, key: 'k', destination: 'd' }, spy);
      expect(asked).toEqual([path.join(CWD, 'd')]);
    });

    it.each([
      [{ key: 'dir/' }, 'key', 'dir/', "'prefix: dir/'"],
      [{ key: '/a.txt' }, 'key', '/a.txt', "'a.txt'"],
      [{ key: 'a/..' }, 'key', 'a/..', undefined],
      [{ key: 'a/.', destination: 'out/' }, 'key', 'a/.', undefined],
      [{ key: 'a\u0000b' }, 'key', 'a\u0000b', undefined],
      [{ key: 'a', destination: '~/x' }, 'destination', '~/x', undefined],
      [{ key: 'a', destination: 'x\u0000' }, 'destination', 'x\u0000', undefined],
    ] as const)('refuses %j', (raw, input, value, fix) => {
      expectRejected(() => destinationOf(raw), input, value, fix === undefined ? {} : { fix });
    });

    it('needs an absolute cwd (a programming error, not an input error)', () => {
      expect(() => parseOptions({ ...BASE, key: 'a' }, { ...context(), cwd: 'relative' })).toThrow(TypeError);
    });
  });
});
