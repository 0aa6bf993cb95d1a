// startEmulator for library users: a local COS to test their own code against, the way Azurite or
// LocalStack serve Azure and AWS. A thin wrapper over the emulator the project's tests use.
import { randomBytes } from 'node:crypto';
import { startEmulator as startServer } from '../emulator/index.js';
import type { Credentials } from './connection.js';

/** Options of {@link startEmulator}. Everything is optional: `startEmulator()` serves an empty bucket. */
export interface StartEmulatorOptions {
  /** Objects to serve: key → content (text is stored as UTF-8). A key ending in `/` is a folder marker. */
  readonly objects?: Readonly<Record<string, string | Uint8Array>> | undefined;
  /** Serve the files under this folder as objects (read once, at start; `objects` are added after). */
  readonly root?: string | undefined;
  /** `BucketName-APPID`. Default `examplebucket-1250000000`. */
  readonly bucket?: string | undefined;
  /** Default `ap-guangzhou`. */
  readonly region?: string | undefined;
  /**
   * The only key the emulator accepts; every request must be signed with it. Default: a fresh random
   * key, returned in the handle's `credentials`.
   */
  readonly credentials?: Credentials | undefined;
  /** Also allow anonymous GET, HEAD and listing (a public-read bucket). Default `false`. */
  readonly publicRead?: boolean | undefined;
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined;
  /** Default 0: any free port (read it from `endpoint`). */
  readonly port?: number | undefined;
}

/** A running emulator. Pass its `endpoint`, `bucket`, `region` and `credentials` to the library's calls. */
export interface EmulatorHandle {
  /** A plain URL such as `http://127.0.0.1:41234`: use it as `endpoint`. */
  readonly endpoint: string;
  /** The bucket it serves. */
  readonly bucket: string;
  /** Its region. */
  readonly region: string;
  /** The key it accepts. */
  readonly credentials: Credentials;
  /** Stores an object (replacing the key's content), e.g. to test what a re-run does with a change. */
  putObject(key: string, content: string | Uint8Array): void;
  /** Removes an object. */
  deleteObject(key: string): void;
  /** Stops the server and drops open connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts a local COS emulator on `127.0.0.1` (any free port) serving one bucket: signatures verified,
 * ranges, conditionals, versions, CRC64 and ListObjects as COS does them. For tests of code that uses
 * this library (or any COS client that takes an endpoint).
 *
 * @example
 * ```ts
 * const cos = await startEmulator({ objects: { 'data/hello.txt': 'hello' } });
 * try {
 *   const { endpoint, bucket, region, credentials } = cos;
 *   await downloadObject({ endpoint, bucket, region, credentials, key: 'data/hello.txt', destination: 'out/' });
 * } finally {
 *   await cos.close();
 * }
 * ```
 *
 * @param options - The objects to serve and where; all optional.
 * @returns The running emulator; call `close()` when done.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<EmulatorHandle> {
  const credentials: Credentials = options.credentials ?? {
    secretId: `AKIDemulator${randomBytes(12).toString('hex')}`,
    secretKey: randomBytes(24).toString('base64url'),
  };
  const { secretId, secretKey, sessionToken } = credentials;
  const server = await startServer({
    credentials: [{ secretId, secretKey, sessionToken }],
    publicRead: options.publicRead ?? false,
    bucket: options.bucket,
    region: options.region,
    root: options.root,
    host: options.host,
    port: options.port,
  });
  try {
    for (const [key, content] of Object.entries(options.objects ?? {})) server.put(key, content);
  } catch (error: unknown) {
    await server.close();
    throw error;
  }
  return {
    endpoint: server.url,
    bucket: server.bucket,
    region: server.region,
    credentials,
    putObject: (key, content) => {
      server.put(key, content);
    },
    deleteObject: (key) => server.remove(key),
    close: () => server.close(),
  };
}
