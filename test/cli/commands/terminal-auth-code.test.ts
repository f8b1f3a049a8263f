// Goal: `reswipe terminal --auth-code` refuses, before connecting, a code of no QR method and a sale
// naming both a card and a code, with RSW_BAD_ARGUMENT naming the flag (docs/terminal-emulator.md).
// Method: the real CLI as a child process, pointed at a port nothing listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runReswipe } from '../../support/reswipe-process.ts';

test('a code of no method is refused naming auth-code', () => {
  const run = runReswipe(['terminal', '--port', '1', '--auth-code', '990000000000000000', '--amount', '1.00']);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /RSW_BAD_ARGUMENT/);
  assert.match(run.stderr, /auth-code/);
});

test('a card and a code together are refused naming auth-code', () => {
  const run = runReswipe(['terminal', '--port', '1', '--card', 'icbc-debit-ok', '--auth-code', '134567890123451234', '--amount', '1.00']);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /auth-code/);
  assert.match(run.stderr, /either --card or --auth-code/);
});
