#!/usr/bin/env node
// Builds the web console (console/, docs/console.md) into console/dist, which the gateway serves at
// /console/. Run by `npm install` / `npm ci` (the root `prepare` script), so the README's two commands
// stay true; everything it needs comes from the npm packages (vite, its rolldown binary, vue, ...).
// `--if-missing` builds only when console/dist/index.html is absent (for the benchmark and tests).
// When the front-end packages are absent (a production install with --omit=dev) it says so and leaves
// the gateway to answer /console/ with a page saying the console was not built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = fileURLToPath(new URL('..', import.meta.url));
const consoleRoot = fileURLToPath(new URL('../console/', import.meta.url));
const builtIndex = fileURLToPath(new URL('../console/dist/index.html', import.meta.url));

if (process.argv.includes('--if-missing') && existsSync(builtIndex)) process.exit(0);

const require = createRequire(`${root}/package.json`);
let vite;
try {
  require.resolve('vite');
  vite = await import('vite');
} catch {
  console.warn('reswipe: the console was not built (vite is not installed: devDependencies omitted); /console/ will say so.');
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: `${consoleRoot}vite.config.ts`, root: consoleRoot, logLevel: 'warn' });
console.log(`reswipe: console built into console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
