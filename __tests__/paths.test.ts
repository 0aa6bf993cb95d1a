import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderPrefix } from '../src/transfer/mirror-scope.js';
import { localPath, mapKey, relativeKey } from '../src/transfer/paths.js';

describe('mapKey', () => {
  it.each([
    ['a.txt', 'a.txt'],
    ['dir/sub/file.bin', 'dir/sub/file.bin'],
    ['ü/空 格.txt', 'ü/空 格.txt'],
    ['ab:c.txt', 'ab:c.txt'],
    ['.hidden', '.hidden'],
    ['...', '...'],
  ])('maps %j to the file %j on Linux', (key, expected) => {
    expect(mapKey(key, 'linux')).toEqual({ kind: 'file', relative: expected });
  });

  it('maps a trailing slash to a folder', () => {
    expect(mapKey('dir/sub/', 'linux')).toEqual({ kind: 'folder', relative: 'dir/sub' });
  });

  it.each([
    ['', /prefix itself/],
    ['/', /empty name/],
    ['/etc/passwd', /absolute/],
    ['../x', /'\.\.' segment/],
    ['a/../../x', /'\.\.' segment/],
    ['a/./x', /'\.' segment/],
    ['..', /'\.\.' segment/],
    ['a//b', /empty segment/],
    ['C:/Windows/x', /drive letter/],
    ['c:x', /drive letter/],
    ['a\\..\\x', /backslash/],
    ['nul\u0000x', /control character/],
    ['bell\u0007', /control character/],
    ['del\u007f', /control character/],
    [`${'x'.repeat(256)}`, /255 bytes/],
  ])('refuses %j everywhere', (key, reason) => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const mapped = mapKey(key, platform);
      expect(mapped.kind).toBe('refused');
      if (mapped.kind === 'refused') expect(mapped.reason).toMatch(reason);
    }
  });

  it.each([
    'CON',
    'con.txt',
    'dir/AUX',
    'LPT1.log',
    'COM9',
    'a<b',
    'a>b',
    'ab:c',
    'a"b',
    'a|b',
    'a?b',
    'a*b',
    'dot.',
    'space ',
  ])('refuses %j on Windows only', (key) => {
    expect(mapKey(key, 'win32').kind).toBe('refused');
    expect(mapKey(key, 'linux').kind).toBe('file');
  });

  it('never yields a path outside the root, on POSIX or Windows rules', () => {
    const keys = ['a', 'a/b', '..a', 'a..', 'a/..b/c', '....'];
    for (const key of keys) {
      const mapped = mapKey(key, 'win32');
      if (mapped.kind !== 'file') continue;
      for (const p of [path.posix, path.win32]) {
        const inside = p.relative('/root', p.resolve('/root', ...mapped.relative.split('/')));
        expect(inside === '..' || inside.startsWith(`..${p.sep}`) || p.isAbsolute(inside)).toBe(false);
      }
    }
  });
});

describe('prefixes', () => {
  it.each([
    ['', ''],
    ['/', ''],
    ['data', 'data/'],
    ['data/', 'data/'],
  ])('%j lists %j', (prefix, listed) => {
    expect(folderPrefix(prefix)).toBe(listed);
  });

  it('takes the key relative to the prefix, and nothing of data2/', () => {
    expect(relativeKey('data/x', 'data/')).toBe('x');
    expect(relativeKey('data2/x', 'data/')).toBeUndefined();
  });

  it('localPath refuses to leave the root', () => {
    expect(localPath('/root', 'a/b')).toBe(path.resolve('/root/a/b'));
    expect(() => localPath('/root', '../x')).toThrow(/outside the destination/);
  });
});
