#!/usr/bin/env node
import { Interrupted } from './exit-codes.js';
import { main } from './main.js';

// Ctrl-C (SIGINT) or a cancelled job (SIGTERM) aborts the download, which keeps its checkpoint,
// and the run exits 130 / 143. A second signal is not caught: it ends the process at once.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort(new Interrupted(signal)));
}

/**
 * A standard stream whose reader may go away (`cos-download … | head -1`): once a write fails
 * (EPIPE), later writes are dropped and the run ends with its own exit code, without a stack trace.
 */
function tolerant(stream: NodeJS.WriteStream): {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns: number | undefined;
} {
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
    // Read at every use: a resized terminal is followed.
    get columns() {
      return stream.isTTY === true ? stream.columns : undefined;
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
