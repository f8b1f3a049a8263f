// Goal: keep the core pure. Method: read every source file under src/core and fail on any import of
// an adapter, the app or CLI layers, a network/disk/process module or a driver, and on any use of the
// wall clock, timers or Math.random, which must come in through the Clock and Random ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importsOf, listSources, repoRoot as root, stripComments } from './source-imports.ts';

const coreDir = join(root, 'src', 'core');

const forbiddenModules = [
  /^node:(fs|net|http|https|http2|tls|dgram|child_process|cluster|worker_threads|dns|readline|os|process|timers)(\/|$)/,
  /^(fs|net|http|https|tls|dgram|child_process|os)$/,
  /^(pg|better-sqlite3|fastify|@fastify\/.*|pino|prom-client|commander|playwright-core|iconv-lite\/lib\/streams)$/,
  /(^|\/)(adapters|app|cli)\//,
];

const forbiddenCalls: Array<[RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'Date.now(): take a Clock'],
  [/\bnew Date\(\s*\)/, 'new Date(): take a Clock'],
  [/\bMath\.random\s*\(/, 'Math.random(): take a Random'],
  [/\bperformance\.now\s*\(/, 'performance.now(): take a Clock'],
  [/\b(setTimeout|setInterval|setImmediate)\s*\(/, 'timers: effects belong to adapters'],
  [/\bprocess\.(env|argv|exit|stdout|stderr|hrtime)\b/, 'process: configuration and output come from the shell'],
];

test('src/core exists and holds sources', () => {
  assert.ok(listSources(coreDir).length > 0);
});

test('no core module imports an adapter, the clock, timers, randomness or the network', () => {
  const violations: string[] = [];
  for (const file of listSources(coreDir)) {
    const source = stripComments(readFileSync(file, 'utf8'));
    const name = relative(root, file);
    for (const specifier of importsOf(source)) {
      if (forbiddenModules.some((pattern) => pattern.test(specifier))) violations.push(`${name} imports ${specifier}`);
    }
    for (const [pattern, why] of forbiddenCalls) {
      if (pattern.test(source)) violations.push(`${name} uses ${why}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the purity check itself catches a forbidden import and a clock read', () => {
  const sample = "import net from 'node:net';\nimport { x } from '../../adapters/store/sqlite-store.ts';\nconst t = Date.now();";
  const found = importsOf(sample).filter((specifier) => forbiddenModules.some((pattern) => pattern.test(specifier)));
  assert.deepEqual(found, ['node:net', '../../adapters/store/sqlite-store.ts']);
  assert.ok(forbiddenCalls.some(([pattern]) => pattern.test(sample)));
});
