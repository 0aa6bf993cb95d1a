#!/usr/bin/env node
import { main } from './main.js';

// A cancelled job (SIGINT / SIGTERM) aborts the download, which flushes its checkpoint and exits.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort(new Error(`cancelled by ${signal}`)));
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
