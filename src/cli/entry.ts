#!/usr/bin/env node
// The `cos-download` command. It checks the Node.js version before it imports the CLI, whose
// dependencies an older Node cannot load: there, one line and exit status 2, no stack trace.
import { unsupportedNode } from '../base/node-version.js';

const problem = unsupportedNode(process.versions.node);
if (problem === undefined) {
  await import('./bin.js');
} else {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 2;
}
