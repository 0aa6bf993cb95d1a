// The floor of a Node mirror's first run: the least a client in Node does to mirror a prefix from
// the neutral server — list it (ListObjects pages, keys pulled out with a regular expression), GET
// every object with undici's `request()`, `concurrency` at a time, write each to a temp file beside
// its destination, set its mtime, rename it — and nothing else: no CRC, no manifest, no checks of
// the key, the destination or the answer beyond its status. bench/neutral.ts runs it beside
// cos-download, so the table shows how much of a first run any Node client pays on this machine.
//
//   node bench/lib/mirror-floor.mjs '{"endpoint":"http://127.0.0.1:PORT","prefix":"corpus/","destination":"/tmp/…/out","concurrency":32}'
//
// Exit status 0 on success; 1 and the error otherwise. Plain JavaScript, like sdk-download.mjs.
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Agent, request } from 'undici';

const { endpoint, prefix, destination, concurrency } = JSON.parse(process.argv[2] ?? '{}');
const dispatcher = new Agent({ connections: concurrency });

async function* keys() {
  let marker = '';
  for (;;) {
    const query = `prefix=${encodeURIComponent(prefix)}&delimiter=${marker === '' ? '' : `&marker=${encodeURIComponent(marker)}`}`;
    const answer = await request(`${endpoint}/?${query}`, { dispatcher });
    const text = await answer.body.text();
    if (answer.statusCode !== 200) throw new Error(`listing answered ${answer.statusCode}`);
    const found = [...text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    yield* found;
    const truncated = /<IsTruncated>true<\/IsTruncated>/.test(text);
    if (!truncated || found.length === 0) return;
    marker = /<NextMarker>([^<]*)<\/NextMarker>/.exec(text)?.[1] ?? found.at(-1);
  }
}

try {
  const folders = new Set();
  const mtime = new Date();
  const pending = new Set();
  for await (const key of keys()) {
    const target = join(destination, key.slice(prefix.length));
    const folder = dirname(target);
    if (!folders.has(folder)) {
      folders.add(folder);
      await mkdir(folder, { recursive: true });
    }
    const one = (async () => {
      const answer = await request(`${endpoint}/${key}`, { dispatcher });
      if (answer.statusCode !== 200) throw new Error(`GET ${key} answered ${answer.statusCode}`);
      const bytes = Buffer.from(await answer.body.arrayBuffer());
      const temp = `${target}.tmp`;
      const handle = await open(temp, 'wx');
      try {
        await handle.write(bytes);
        await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    })();
    pending.add(one);
    one.then(
      () => pending.delete(one),
      () => {},
    );
    if (pending.size >= concurrency) await Promise.race(pending);
  }
  await Promise.all(pending);
  await dispatcher.close();
} catch (error) {
  console.error(`mirror-floor: ${error?.message ?? error}`);
  process.exitCode = 1;
}
