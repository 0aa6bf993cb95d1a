#!/usr/bin/env node
import { main } from './main.js';

// A cancelled job (SIGINT / SIGTERM) aborts the download, which flushes its checkpoint and exits.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort(new Error(`cancelled by ${signal}`)));
}

/**
 * A standard stream whose reader may go away (`cos-download … | head -1`): once a write fails
 * (EPIPE), later writes are dropped and the run ends with its own exit code, without a stack trace.
 */
function tolerant(stream: NodeJS.WriteStream): { write(text: string): void; readonly isTTY: boolean } {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return {
    write(text) {
      if (closed) return;
      try {
        stream.write(text);
      } catch {
        closed = true;
      }
    },
    get isTTY() {
      return stream.isTTY === true;
    },
  };
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: tolerant(process.stdout),
  stderr: tolerant(process.stderr),
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
