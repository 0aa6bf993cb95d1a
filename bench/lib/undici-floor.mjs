// The floor of a Node download on this machine: undici (the HTTP client cos-download uses), the same
// 20 MiB parts × 8 in flight, each part's body written where it belongs in a preallocated file as it
// arrives — and nothing else: no CRC, no checkpoint, no fsync, no retry, no progress. bench/download.ts
// runs it beside cos-download, so the table shows how much of cos-download's time is the HTTP client
// and the disk on this machine, and how much is the checking and the durability it adds.
//
//   node bench/lib/undici-floor.mjs '{"url":"http://127.0.0.1:PORT/KEY","size":1073741824,
//     "file":"/tmp/…/out.bin","partSize":20971520,"concurrency":8}'
//
// Anonymous GETs (the benchmark's emulator is public-read). Exit status 0 on success; 1 and the
// error otherwise. Plain JavaScript, like sdk-download.mjs, so no type stripper is loaded.
import { open } from 'node:fs/promises';
import { Agent, request } from 'undici';

const { url, size, file, partSize, concurrency } = JSON.parse(process.argv[2] ?? '{}');
const agent = new Agent({ connections: concurrency });
const handle = await open(file, 'wx');
try {
  await handle.truncate(size);
  let nextPart = 0;
  const parts = Math.ceil(size / partSize);
  const worker = async () => {
    while (nextPart < parts) {
      const first = nextPart++ * partSize;
      const last = Math.min(size, first + partSize) - 1;
      const response = await request(url, {
        dispatcher: agent,
        headers: { range: `bytes=${first}-${last}` },
        highWaterMark: 1024 * 1024,
      });
      if (response.statusCode !== 206)
        throw new Error(`bytes=${first}-${last} answered ${response.statusCode}`);
      // Chunks that arrive while a write is in flight go out together in the next positional writev.
      let position = first;
      let batch = [];
      let writing;
      const drain = async () => {
        while (batch.length > 0) {
          const buffers = batch;
          batch = [];
          const { bytesWritten } = await handle.writev(buffers, position);
          position += bytesWritten;
        }
      };
      for await (const chunk of response.body) {
        batch.push(chunk);
        writing ??= drain().finally(() => {
          writing = undefined;
        });
      }
      while (writing !== undefined) await writing;
      await drain();
      if (position !== last + 1) throw new Error(`bytes=${first}-${last} ended at ${position}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
} catch (error) {
  console.error(`undici-floor: ${error?.message ?? error}`);
  process.exitCode = 1;
} finally {
  await handle.close();
  await agent.close();
}
