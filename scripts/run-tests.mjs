#!/usr/bin/env node
// Runs the whole test suite with node:test through tsx. Usage: npm test [-- <path filter>...]
// Finds every *.test.ts under test/, so a new test file needs no registration here.
import { spawnSync } from 'node:child_process';
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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, RESWIPE_LOG_LEVEL: process.env.RESWIPE_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
