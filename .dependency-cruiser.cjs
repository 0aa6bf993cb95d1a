// The import rule of src/, as ARCHITECTURE.md draws it: a layer imports itself and the layers below
// it, never one above. `npm run check` runs this, so an upward import fails CI naming the rule and
// both files. Type-only imports count too: a type that would have to climb belongs further down.

/** Each folder of src/ and the folders it may import (besides itself). */
const LAYERS = {
  base: [],
  config: ['base'],
  cos: ['base'],
  transfer: ['cos', 'base'],
  cache: ['transfer', 'cos', 'base'],
  core: ['cache', 'transfer', 'cos', 'config', 'base'],
  action: ['core', 'config', 'base'],
  cli: ['core', 'config', 'base'],
  // The npm package's API: the core's entry, the parser, and the error classes of the layers below.
  library: ['core', 'config', 'transfer', 'cos', 'base', 'emulator'],
  emulator: ['base'],
};

/** Single files a layer may reach beyond its folders, each for a stated reason. */
const EXCEPTIONS = {
  // A cache-key that makes the key too long for the Actions cache is that input's fault: InputError.
  cache: ['src/config/errors.ts'],
  // `cos-download emulator` hands over to the emulator's own command line.
  cli: ['src/emulator/cli.ts'],
  // The emulator checks signatures with the very helpers the client signs with, and nothing else of cos/.
  emulator: ['src/cos/sign.ts'],
};

const exactly = (file) => `^${file.replaceAll('.', '\\.')}$`;

const layerRules = Object.entries(LAYERS).map(([name, allowed]) => ({
  name: `${name}-imports-${allowed.length === 0 ? 'nothing-of-ours' : `only-${allowed.join('-')}`}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/(${[name, ...allowed].join('|')})/`, ...(EXCEPTIONS[name] ?? []).map(exactly)],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'every-folder-is-a-layer',
      comment: 'A new folder of src/ gets its place in LAYERS (and in ARCHITECTURE.md) before it is imported',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${Object.keys(LAYERS).join('|')})/`, '^src/index\\.ts$'] },
      to: {},
    },
    {
      name: 'nothing-imports-the-edges',
      comment:
        'action/, cli/ and library/ are entry points: only src/index.ts (the action) and they themselves import them',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(action|cli|library)/', '^src/index\\.ts$'] },
      to: { path: '^src/(action|cli|library)/' },
    },
    {
      name: 'index-only-runs-the-action',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: '^src/', pathNot: '^src/action/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one; move what both need into a third',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-to-dev-dependencies',
      comment: 'dist/ bundles src/: a devDependency there would be bundled by accident or missing',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser yet; swc parses the sources, type-only
    // imports included.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
