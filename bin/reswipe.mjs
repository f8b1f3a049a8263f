#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=384
// The reswipe command. It runs the server compiled to JavaScript in dist/ (built by `npm install` /
// `npm ci`, or `npm run build:server`) while that build matches the sources; otherwise, e.g. after an
// edit to src/, it runs the TypeScript sources through tsx, so a checkout never runs stale code and
// works without a build step. Compiled, a short command starts on a third of the CPU, a gateway on
// two thirds, with 34-47 MB less RSS and no loader thread (docs/benchmarks.md, "Compiled server").
// The V8 flags keep the gateway's memory bounded: with Node's defaults V8 lets garbage pile up to about
// 310 MB with 1,000 busy terminals, with these about 215 MB. A 16 MB young generation (not 1 MB) lets
// the short-lived objects of a sale die young: a third less CPU per sale (docs/benchmarks.md).
// They apply when the command is run as `reswipe` / `npx reswipe`; `node bin/reswipe.mjs` runs without them.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshCompiledEntry } from './compiled-server.mjs';

const compiledEntry = freshCompiledEntry(fileURLToPath(new URL('..', import.meta.url)), 'cli/main.ts');
if (compiledEntry !== null) {
  await import(pathToFileURL(compiledEntry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
