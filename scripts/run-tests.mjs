#!/usr/bin/env node
// Runs the whole test suite with node:test through tsx. Usage: npm test [-- <path filter>...]
// Finds every *.test.ts under test/, so a new test file needs no registration here.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function listTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...listTests(path));
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

const files = listTests(join(root, 'test'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

if (files.length === 0) {
  // Say so plainly instead of letting the runner report an empty run as a failure.
  console.log(`no test files matched ${filters.join(' ') || 'test/**/*.test.ts'}`);
  console.log('0 passed, 0 failed');
  process.exit(filters.length === 0 ? 1 : 0);
}

const concurrency = process.env.RESWIPE_TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=tap', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files],
  { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, RESWIPE_LOG_LEVEL: process.env.RESWIPE_LOG_LEVEL ?? 'silent' } },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));

// The TAP stream is passed through as it comes. Each failing test's line and the first lines of its
// YAML block (location, error, stack) are kept, and printed again as comments just before the final
// plan and summary: a log read from its end (CI keeps the tail) names what failed and where.
const failureLinesMax = 40;
const failures = [];
let collecting = null;
let summary = null;
createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
  if (summary !== null) {
    summary.push(line);
    return;
  }
  if (/^1\.\.\d+$/.test(line)) {
    summary = [line];
    return;
  }
  process.stdout.write(`${line}\n`);
  const failed = /^(\s*)not ok \d+ - /.exec(line);
  if (failed !== null) {
    collecting = { indent: failed[1], lines: [line.trim()] };
    failures.push(collecting);
    return;
  }
  if (collecting === null) return;
  if (collecting.lines.length < failureLinesMax) collecting.lines.push(line.slice(collecting.indent.length));
  if (line === `${collecting.indent}  ...`) collecting = null;
});

child.on('close', (code, signal) => {
  if (failures.length > 0) {
    process.stdout.write(`# ${failures.length} failing test(s) or suite(s), again:\n`);
    for (const failure of failures) for (const line of failure.lines) process.stdout.write(`# ${line}\n`);
  }
  if (summary !== null) process.stdout.write(`${summary.join('\n')}\n`);
  process.exit(code ?? (signal === null ? 1 : 128));
});
