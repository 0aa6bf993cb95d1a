// A real local Actions cache stack for `@actions/cache`: Azurite (the Azure Storage emulator) holds
// the archives, and a small endpoint answers the cache service's three Twirp calls the library makes
// (CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL) with Azurite SAS URLs.
// Both listen on 127.0.0.1, port 0, and stop with `close()`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

/** Azurite's well-known development account (public, documented by Microsoft). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CONTAINER = 'actions-cache';
const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

export type CacheMethod = 'CreateCacheEntry' | 'FinalizeCacheEntryUpload' | 'GetCacheEntryDownloadURL';

interface Entry {
  readonly key: string;
  readonly version: string;
  readonly blob: string;
  readonly id: number;
  finalized: boolean;
  sizeBytes: number;
  createdAt: number;
}

export interface CacheStack {
  /** Variables `@actions/cache` reads to find the service (set them in `process.env`). */
  readonly env: Readonly<Record<string, string>>;
  /** Calls received, per method. */
  calls(method: CacheMethod): number;
  /** Keys of finalized entries, oldest first. */
  entries(): string[];
  /** Every call answers this HTTP status (e.g. 500) until cleared with undefined. */
  failWith(status: number | undefined): void;
  /** Forgets every entry and count, and clears the failure. */
  reset(): void;
  close(): Promise<void>;
}

export async function startCacheStack(runnerTemp: string): Promise<CacheStack> {
  const azurite = await startAzurite();
  const blobEndpoint = `http://127.0.0.1:${azurite.port}/${ACCOUNT}`;
  const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY);
  const container = new BlobServiceClient(blobEndpoint, credential).getContainerClient(CONTAINER);
  await container.createIfNotExists();

  const entries: Entry[] = [];
  const calls = new Map<CacheMethod, number>();
  let failure: number | undefined;
  let nextId = 1;
  let clock = 0;

  const sasUrl = (blob: string, permissions: string): string => {
    const query = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName: blob,
        permissions: BlobSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + 60 * 60 * 1000),
        protocol: SASProtocol.HttpsAndHttp,
      },
      credential,
    ).toString();
    return `${blobEndpoint}/${CONTAINER}/${blob}?${query}`;
  };

  const answer = (method: CacheMethod, body: Record<string, unknown>): Record<string, unknown> => {
    const key = String(body.key ?? '');
    const version = String(body.version ?? '');
    switch (method) {
      case 'CreateCacheEntry': {
        if (entries.some((e) => e.key === key && e.version === version)) {
          return { ok: false, message: `an entry with key ${key} exists already` };
        }
        const entry: Entry = {
          key,
          version,
          blob: `entry-${nextId}`,
          id: nextId++,
          finalized: false,
          sizeBytes: 0,
          createdAt: 0,
        };
        entries.push(entry);
        return { ok: true, signed_upload_url: sasUrl(entry.blob, 'cw') };
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized);
        if (entry === undefined) return { ok: false, message: `no upload of ${key} to finalize` };
        entry.finalized = true;
        entry.sizeBytes = Number(body.size_bytes ?? 0);
        entry.createdAt = ++clock;
        return { ok: true, entry_id: String(entry.id) };
      }
      case 'GetCacheEntryDownloadURL': {
        const ready = entries
          .filter((e) => e.finalized && e.version === version)
          .sort((a, b) => b.createdAt - a.createdAt);
        // As the service does: the primary key exactly, then each restore key as a prefix, newest first.
        const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
        const match =
          ready.find((e) => e.key === key) ??
          restoreKeys
            .map((prefix) => ready.find((e) => e.key.startsWith(prefix)))
            .find((e) => e !== undefined);
        if (match === undefined) return { ok: false };
        return { ok: true, signed_download_url: sasUrl(match.blob, 'r'), matched_key: match.key };
      }
    }
  };

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '';
      const method = url.startsWith(SERVICE) ? (url.slice(SERVICE.length) as CacheMethod) : undefined;
      if (request.method !== 'POST' || method === undefined || !isMethod(method)) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"bad_route"}');
        return;
      }
      calls.set(method, (calls.get(method) ?? 0) + 1);
      if (failure !== undefined) {
        response
          .writeHead(failure, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 'internal', msg: 'the cache service is failing (test fault)' }));
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"malformed"}');
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(answer(method, body)));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    env: {
      ACTIONS_CACHE_SERVICE_V2: 'true',
      ACTIONS_RESULTS_URL: `http://127.0.0.1:${port}/`,
      ACTIONS_RUNTIME_TOKEN: 'test-runtime-token',
      RUNNER_TEMP: runnerTemp,
    },
    calls: (method) => calls.get(method) ?? 0,
    entries: () => entries.filter((e) => e.finalized).map((e) => e.key),
    failWith: (status) => {
      failure = status;
    },
    reset: () => {
      entries.length = 0;
      calls.clear();
      failure = undefined;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await azurite.stop();
    },
  };
}

function isMethod(name: string): name is CacheMethod {
  return (
    name === 'CreateCacheEntry' || name === 'FinalizeCacheEntryUpload' || name === 'GetCacheEntryDownloadURL'
  );
}

/** Azurite's blob service in memory, in a child process; resolves once it listens. */
async function startAzurite(): Promise<{ port: number; stop: () => Promise<void> }> {
  const main = path.resolve(import.meta.dirname, '../../node_modules/azurite/dist/src/blob/main.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--disableProductStyleUrl',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  };
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Azurite did not start within 20 s:\n${output}`)),
      20_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { port, stop };
}
