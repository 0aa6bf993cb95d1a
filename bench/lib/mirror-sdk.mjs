// A prefix downloaded the way Tencent documents it for the official Node SDK (cos-nodejs-sdk-v5):
// list the keys with getBucket (Prefix, MaxKeys 1000, Marker ← NextMarker while IsTruncated), then
// `downloadFile` each key into a folder, `parallel` keys at a time (a simple pool of workers).
// In its own process so bench/mirror.ts times it alone. Plain JavaScript on purpose (no type
// stripper loaded, as for bench/lib/sdk-download.mjs).
//
//   node bench/lib/mirror-sdk.mjs '{"endpoint":"http://127.0.0.1:PORT","bucket":"NAME-APPID",
//     "region":"ap-guangzhou","prefix":"corpus/","destination":"/tmp/…/out","parallel":5}'
//
// The SDK cannot send unsigned requests, so TENCENTCLOUD_SECRET_ID / _KEY must be set.
// Exit status 0 and one JSON line on stdout on success; 1 and the error otherwise.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import COS from 'cos-nodejs-sdk-v5';

const args = JSON.parse(process.argv[2] ?? '{}');
const cos = new COS({
  SecretId: process.env.TENCENTCLOUD_SECRET_ID,
  SecretKey: process.env.TENCENTCLOUD_SECRET_KEY,
  Protocol: 'http:',
  // A plain host:port: the SDK then sends (and signs) Host 127.0.0.1:PORT and the key as the path.
  Domain: new URL(args.endpoint).host,
  Timeout: 120_000,
});
const target = { Bucket: args.bucket, Region: args.region };

try {
  const started = performance.now();
  const keys = [];
  let marker;
  let pages = 0;
  for (;;) {
    const page = await cos.getBucket({
      ...target,
      Prefix: args.prefix,
      MaxKeys: 1000,
      ...(marker === undefined ? {} : { Marker: marker }),
    });
    pages++;
    for (const item of page.Contents) if (!item.Key.endsWith('/')) keys.push(item.Key);
    if (page.IsTruncated !== 'true') break;
    marker = page.NextMarker || page.Contents.at(-1)?.Key;
  }
  const listedMs = performance.now() - started;

  const folders = new Set();
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const file = path.join(args.destination, key.slice(args.prefix.length));
      const folder = path.dirname(file);
      if (!folders.has(folder)) {
        await mkdir(folder, { recursive: true });
        folders.add(folder);
      }
      await cos.downloadFile({ ...target, Key: key, FilePath: file });
    }
  };
  await Promise.all(Array.from({ length: args.parallel ?? 5 }, worker));
  console.log(
    JSON.stringify({
      files: keys.length,
      pages,
      listedMs: Math.round(listedMs),
      totalMs: Math.round(performance.now() - started),
    }),
  );
} catch (error) {
  console.error(`mirror-sdk: ${error?.message ?? error?.code ?? JSON.stringify(error)}`);
  process.exitCode = 1;
}
