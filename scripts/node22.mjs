// `npm run test:node22 -- [vitest args]`: the tests on Node 22, the oldest Node the CLI and the library
// support. npm scripts run on Node 24 (the `node` devDependency); Node 22 comes from the tools/node22
// workspace that `npm ci` installs. Its folder goes first on PATH, so whatever the tests start as
// `node` (npm's own scripts too) is Node 22 as well.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'tools/node22/node_modules/node/bin');
const node = [path.join(bin, 'node'), path.join(bin, 'node.exe')].find((candidate) => existsSync(candidate));
if (node === undefined) {
  console.error(`Node 22 is missing from ${bin}: run 'npm ci' (it installs the tools/node22 workspace).`);
  process.exit(1);
}
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const result = spawnSync(node, [vitest, 'run', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
});
if (result.error !== undefined) throw result.error;
process.exit(result.status ?? 1);
