// Hostile keys, fuzzed: the key → local path mapping on keys that escape, collide or cannot be stored.
// Fixed seeds, so a failure replays; each property states what must hold for ANY key.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localPath, mapKey, relativeKey } from '../src/transfer/paths.js';

/** Segments that escape, collide or cannot be stored somewhere. */
const SEGMENTS = [
  '..',
  '.',
  '',
  '...',
  '.. ',
  ' ..',
  '..\\..',
  '\\',
  '\\\\?\\C:',
  'C:',
  'c:',
  'C:\\Windows',
  'a:b',
  'file::$DATA',
  '\u0000',
  '\u0001',
  '\n',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  'CON',
  'con',
  'aux.txt',
  'NUL.tar.gz',
  'COM1',
  'com¹',
  'LPT9.log',
  'CONIN$',
  'con ',
  'con .txt',
  'AUX  .tar.gz',
  'conout$',
  'CONIN$.log',
  'lpt² ',
  'a.',
  'a ',
  ' ',
  '~',
  '%2e%2e',
  '<>',
  'a|b',
  '😀',
  'é',
  '\ud800',
  'x'.repeat(255),
  'x'.repeat(256),
  'é'.repeat(128),
  '😀'.repeat(64),
  'ok',
  'dir',
];

/**
 * Windows' rule for a name it will not store as named, as CPython's `ntpath.isreserved` states it:
 * a trailing dot or space, `*?"<>/\\:|` or a control character, or a DOS device name before the first
 * dot, trailing spaces ignored (`nul .txt` is NUL).
 */
function reservedOnWindows(name: string): boolean {
  if (/[. ]$/.test(name)) return name !== '.' && name !== '..';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are reserved
  if (/[*?"<>/\\:|\u0000-\u001f]/.test(name)) return true;
  const device = (name.split('.')[0] ?? '').replace(/ +$/, '').toUpperCase();
  return /^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[1-9¹²³]|LPT[1-9¹²³])$/.test(device);
}

const keyText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof({ weight: 12, arbitrary: fc.constant('') }, fc.constantFrom('/', '\\', 'C:', '//')),
    fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...SEGMENTS) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
      ),
      { minLength: 1, maxLength: 6 },
    ),
    fc.array(fc.oneof({ weight: 20, arbitrary: fc.constant('/') }, fc.constantFrom('\\', '//')), {
      minLength: 6,
      maxLength: 6,
    }),
    fc.constantFrom('', '', '', '/', '\\'),
  )
  .map(([lead, segments, separators, tail]) => {
    const body = segments.map((segment, i) => (i === 0 ? segment : `${separators[i] ?? '/'}${segment}`));
    return `${lead}${body.join('')}${tail}`;
  });

describe('key → path mapping on hostile keys', () => {
  it.each([
    ['linux', path.posix, '/dest/root'],
    ['win32', path.win32, 'C:\\dest\\root'],
  ] as const)(
    'on %s rules a key is refused, a folder, or a path strictly inside the destination',
    (platform, p, root) => {
      fc.assert(
        fc.property(keyText, (key) => {
          const mapped = mapKey(key, platform);
          if (mapped.kind === 'refused') {
            expect(mapped.reason).toMatch(/^\S/);
            return;
          }
          const segments = mapped.relative.split('/');
          const full = p.resolve(root, ...segments);
          const inside = p.relative(root, full);
          expect(full.startsWith(`${root}${p.sep}`), `${JSON.stringify(key)} → ${full}`).toBe(true);
          expect(
            inside === '' || inside === '..' || inside.startsWith(`..${p.sep}`) || p.isAbsolute(inside),
          ).toBe(false);
          // Nothing is normalised away: the file system sees exactly the key's segments.
          expect(inside.split(p.sep)).toEqual(segments);
          expect(mapped.relative).toBe(key.endsWith('/') ? key.slice(0, -1) : key);
          // On Windows a device name (C:\\dest\\CON) leads outside the folder however it resolves.
          if (platform === 'win32') {
            for (const segment of segments) expect(reservedOnWindows(segment), segment).toBe(false);
          }
        }),
        { seed: 0x9a7, numRuns: 5000 },
      );
    },
  );

  it('localPath and relativeKey agree with the mapping on this machine', () => {
    const root = path.resolve('/dest/root');
    fc.assert(
      fc.property(keyText, fc.constantFrom('', 'data/', 'a/b/', '../'), (key, prefix) => {
        expect(relativeKey(`${prefix}${key}`, prefix)).toBe(key);
        if (prefix !== '' && !key.startsWith(prefix)) expect(relativeKey(key, prefix)).toBeUndefined();
        const mapped = mapKey(key, process.platform);
        if (mapped.kind === 'refused') {
          expect(mapped.reason.length).toBeGreaterThan(0);
          return;
        }
        const full = localPath(root, mapped.relative);
        expect(full.startsWith(`${root}${path.sep}`)).toBe(true);
        expect(path.relative(root, full).split(path.sep)).toEqual(mapped.relative.split('/'));
      }),
      { seed: 0x10c, numRuns: 1500 },
    );
  });
});
