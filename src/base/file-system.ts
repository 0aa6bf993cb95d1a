// The two questions the input parser asks the local file system, answered for the edges (action,
// CLI, library) to pass in: the parser itself does no I/O.
import { realpathSync, statSync } from 'node:fs';

/** Whether the absolute path is an existing folder. */
export function isDirectory(absolutePath: string): boolean {
  return statSync(absolutePath, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** The real path of an existing path, links resolved; undefined when it does not exist. */
export function realpathOf(absolutePath: string): string | undefined {
  try {
    return realpathSync.native(absolutePath);
  } catch {
    return undefined;
  }
}
