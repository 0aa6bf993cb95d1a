// The name of the folder where cos-download keeps its own files at a destination (temp files,
// checkpoints, the manifest, locks), and the names a file system takes for it. Pure.

/** The folder of cos-download's own files (temp files, checkpoints, manifest, locks); see state.ts. */
export const STATE_DIR = '.cos-download';

// Code points HFS+ ignores in names (as git's core.protectHFS lists them): `.cos\u200c-download` is
// the same folder there.
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;
// The 8.3 short name NTFS may give `.cos-download` (`COS-DO~1`), as git's core.protectNTFS knows.
const NTFS_SHORT = /^cos-do~\d+$/;

/**
 * True for a path segment that names the state folder on some file system: any case, with the
 * code points HFS+ ignores, with the trailing dots and spaces Windows drops, or as its NTFS short name.
 */
export function isStateSegment(segment: string): boolean {
  const name = segment.replace(HFS_IGNORED, '').toLowerCase();
  return name.replace(/[. ]+$/, '') === STATE_DIR || NTFS_SHORT.test(name);
}
