// The disk's floor for a mirror's first run: copy the benchmark's corpus folder with the per-file
// durability cos-download gives each file — create a temp file beside the destination, write, fsync,
// close, rename, then fsync each folder once — 8 files at a time, and nothing else: no network, no
// CRC, no manifest, no mtime. bench/mirror.ts runs it beside cos-download, so the table shows how
// much of a first run is the file system on this machine.
//
//   node bench/lib/files-floor.mjs '{"from":"/tmp/…/corpus","to":"/tmp/…/out","concurrency":8}'
//
// Exit status 0 on success; 1 and the error otherwise. Plain JavaScript, like sdk-download.mjs.
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

const { from, to, concurrency } = JSON.parse(process.argv[2] ?? '{}');

async function syncFolder(folder) {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

try {
  const entries = await readdir(from, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  const folders = new Set(files.map((file) => join(to, file.slice(from.length + 1), '..')));
  await Promise.all([...folders].map((folder) => mkdir(folder, { recursive: true })));
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const source = files[next++];
      const destination = join(to, source.slice(from.length + 1));
      const temp = `${destination}.tmp`;
      const bytes = await readFile(source);
      const handle = await open(temp, 'wx');
      try {
        await handle.write(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, destination);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await Promise.all([...folders].map(syncFolder));
} catch (error) {
  console.error(`files-floor: ${error?.message ?? error}`);
  process.exitCode = 1;
}
