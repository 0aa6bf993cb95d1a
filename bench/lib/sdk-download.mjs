// One download with Tencent's official Node SDK (cos-nodejs-sdk-v5) `downloadFile`, in its own
// process so bench/download.ts measures its wall time and peak RSS alone. Plain JavaScript on
// purpose: a .ts file would make Node load its type stripper, which would count against the SDK's RSS.
//
//   node bench/lib/sdk-download.mjs '{"endpoint":"http://127.0.0.1:PORT","bucket":"NAME-APPID",
//     "region":"ap-guangzhou","key":"KEY","file":"/tmp/…/out.bin","chunkSize":20971520,"parallel":5}'
//
// No chunkSize / parallel = the SDK's defaults (advance.js: ChunkSize 1 MiB, ParallelLimit 5).
// The SDK cannot send unsigned requests, so TENCENTCLOUD_SECRET_ID / _KEY must be set.
// Exit status 0 and one JSON line on stdout on success; 1 and the error otherwise.
import COS from 'cos-nodejs-sdk-v5';

const args = JSON.parse(process.argv[2] ?? '{}');
const cos = new COS({
  SecretId: process.env.TENCENTCLOUD_SECRET_ID,
  SecretKey: process.env.TENCENTCLOUD_SECRET_KEY,
  Protocol: 'http:',
  // A plain host:port: the SDK then sends (and signs) Host 127.0.0.1:PORT and the key as the path.
  Domain: new URL(args.endpoint).host,
  Timeout: 600_000,
});
try {
  const result = await cos.downloadFile({
    Bucket: args.bucket,
    Region: args.region,
    Key: args.key,
    FilePath: args.file,
    ...(args.chunkSize === undefined ? {} : { ChunkSize: args.chunkSize }),
    ...(args.parallel === undefined ? {} : { ParallelLimit: args.parallel }),
  });
  console.log(JSON.stringify({ statusCode: result.statusCode, maxRssKiB: process.resourceUsage().maxRSS }));
} catch (error) {
  console.error(`sdk-download: ${error?.message ?? error?.code ?? JSON.stringify(error)}`);
  process.exitCode = 1;
}
