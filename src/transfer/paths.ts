// Object keys → local paths under the destination. Pure. A key maps to a path only if that path
// stays inside the destination and every runner's file system can hold it; otherwise it is refused
// with the reason (the mirror skips it with a warning — see docs/adr/0004-path-mapping.md).
import path from 'node:path';
import { isStateSegment } from '../base/state-name.js';

export type KeyMapping =
  | { readonly kind: 'file'; readonly relative: string }
  | { readonly kind: 'folder'; readonly relative: string }
  | { readonly kind: 'refused'; readonly reason: string };

// Device names, with any extension and spaces before it: `aux.txt`, `nul .tar.gz`, `CONIN$` (as ntpath.isreserved).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\..*)?$/i;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_SEGMENT_BYTES = 255;

/** The key relative to the mirrored prefix (`prefix` is '' or ends with '/'). */
export function relativeKey(key: string, prefix: string): string | undefined {
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/**
 * Maps a key (relative to the prefix) to a relative local path, using `/` as separator.
 * Refused everywhere: empty names, `.` / `..` segments, absolute paths, drive letters, backslashes
 * (a separator on Windows), NUL and control characters, segments over 255 bytes, and a segment
 * naming the state folder (`.cos-download`, any case). Refused on Windows only: reserved device
 * names, `<>:"|?*`, trailing dots or spaces.
 */
export function mapKey(relative: string, platform: NodeJS.Platform = 'linux'): KeyMapping {
  if (relative === '') return { kind: 'refused', reason: 'it is the prefix itself' };
  const folder = relative.endsWith('/');
  const body = folder ? relative.slice(0, -1) : relative;
  if (body === '') return { kind: 'refused', reason: 'it is an empty name' };
  if (body.startsWith('/')) return { kind: 'refused', reason: 'it is an absolute path' };
  if (/^[a-zA-Z]:/.test(body)) return { kind: 'refused', reason: 'it starts with a drive letter' };
  if (body.includes('\\')) return { kind: 'refused', reason: 'it contains a backslash' };
  if (CONTROL.test(body)) return { kind: 'refused', reason: 'it contains NUL or a control character' };
  for (const segment of body.split('/')) {
    if (segment === '') return { kind: 'refused', reason: "it contains an empty segment ('//')" };
    if (segment === '.' || segment === '..')
      return { kind: 'refused', reason: `it contains a '${segment}' segment` };
    if (isStateSegment(segment)) {
      return { kind: 'refused', reason: `'${segment}' is the name of cos-download's own state folder` };
    }
    if (platform === 'win32') {
      const windows = windowsProblem(segment);
      if (windows !== undefined) return { kind: 'refused', reason: windows };
    }
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      return { kind: 'refused', reason: 'a path segment is longer than 255 bytes' };
    }
  }
  return { kind: folder ? 'folder' : 'file', relative: body };
}

function windowsProblem(segment: string): string | undefined {
  if (WINDOWS_RESERVED.test(segment)) return `'${segment}' is a reserved device name on Windows`;
  if (WINDOWS_FORBIDDEN.test(segment)) return `'${segment}' holds a character Windows cannot store (<>:"|?*)`;
  if (/[. ]$/.test(segment)) return `'${segment}' ends with a dot or space, which Windows drops`;
  return undefined;
}

/** True where names differing only in case are the same file (Windows, macOS by default). */
export function caseInsensitive(platform: NodeJS.Platform): boolean {
  return platform === 'win32' || platform === 'darwin';
}

/** The absolute local path of a `/`-separated relative path strictly inside `root`, else undefined. */
export function pathInside(root: string, relative: string): string | undefined {
  const full = path.resolve(root, ...relative.split('/'));
  const inside = path.relative(root, full);
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    return undefined;
  }
  return full;
}

/** The absolute local path of a mapped key; throws if it would leave `root` (it cannot, by mapKey). */
export function localPath(root: string, relative: string): string {
  const full = pathInside(root, relative);
  if (full === undefined) throw new Error(`refusing to write outside the destination: ${relative}`);
  return full;
}

/** Key for collision checks on case-insensitive file systems (Windows, macOS). */
export function foldedPath(relative: string): string {
  return relative.normalize('NFC').toLowerCase();
}
