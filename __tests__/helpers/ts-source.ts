// `node --import ./__tests__/helpers/ts-source.ts src/cli/bin.ts …` runs the CLI straight from the
// TypeScript sources (Node strips the types), so child-process tests exercise the code as it is now,
// not the last build in dist/. The sources import `./x.js`; map those to `./x.ts` when it exists.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(url))) return nextResolve(url.href, context);
    }
    return nextResolve(specifier, context);
  },
});
