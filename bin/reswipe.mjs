#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=384
// The reswipe command. Sources are TypeScript run through tsx, so a checkout works without a build step.
// The V8 flags keep the gateway's memory bounded: with Node's defaults V8 lets garbage pile up to about
// 310 MB with 1,000 busy terminals, with these about 215 MB. A 16 MB young generation (not 1 MB) lets
// the short-lived objects of a sale die young: a third less CPU per sale (docs/benchmarks.md).
// They apply when the command is run as `reswipe` / `npx reswipe`; `node bin/reswipe.mjs` runs without them.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
