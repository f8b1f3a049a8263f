// Goal: `reswipe config print` shows the effective config with every secret masked, and `config check` exits
// 0 or 2 with one line naming the key. Method: run `node bin/reswipe.mjs` as a real child process with RESWIPE_*
// variables and temp config files, and read its stdout, stderr and exit code.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { envWithoutReswipe, runReswipe, type ReswipeRun } from '../../support/reswipe-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-config-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], vars: Record<string, string> = {}): ReswipeRun {
  return runReswipe(args, { env: envWithoutReswipe(vars) });
}

/** A real key: hex of 32 random bytes (made once with `reswipe config new-pan-key`, then pinned for the test). */
const panKey = '3f9c1e7a52b04d86a1e0c7f25b9d3e48c6a71f0e2d5b8c94e3a7f16b0d2c5e98';
const dbPassword = 'S3cretDbPassw0rd';

test('config print masks the PAN key and the database password, YAML by default', () => {
  const result = run(['config', 'print'], { RESWIPE_PAN_KEY: panKey, RESWIPE_DATABASE_URL: `postgres://gateway:${dbPassword}@db.internal:5432/reswipe`, RESWIPE_HTTP_PORT: '9090' });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(!result.stdout.includes(panKey), 'the PAN key must not be printed');
  assert.ok(!result.stdout.includes(dbPassword), 'the database password must not be printed');
  const printed = parse(result.stdout) as { security: { panKey: string; panKeyIsDefault: boolean }; database: { url: string }; http: { port: number } };
  assert.equal(printed.security.panKey, '********');
  assert.equal(printed.security.panKeyIsDefault, false);
  assert.equal(printed.database.url, 'postgres://gateway:********@db.internal:5432/reswipe');
  assert.equal(printed.http.port, 9090);
});

test('config print --json prints JSON from a config file, secrets masked', () => {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, `security:\n  panKey: ${panKey}\nhttp:\n  port: 9191\n`);
  const result = run(['config', 'print', '--json', '--config', file]);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(!result.stdout.includes(panKey));
  const printed = JSON.parse(result.stdout) as { security: { panKey: string }; http: { port: number }; listeners: Array<{ port: number }> };
  assert.equal(printed.security.panKey, '********');
  assert.equal(printed.http.port, 9191);
  assert.equal(printed.listeners[0]?.port, 8583);
});

test('config print masks a password given as a query parameter or holding an @', () => {
  for (const url of ['postgres://gw@db.internal/reswipe?password=QuerySecret', 'postgres://gw:p@QuerySecret@db.internal/reswipe']) {
    const result = run(['config', 'print', '--json'], { RESWIPE_PAN_KEY: panKey, RESWIPE_DATABASE_URL: url });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(!result.stdout.includes('QuerySecret'), `${url} leaked: ${result.stdout}`);
  }
});

test('config check refuses a missing or weak PAN key outside development mode, as serve does', () => {
  const missing = run(['config', 'check']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^error RSW_CONFIG_PAN_KEY_REQUIRED: .*\(field security\.panKey\)\n$/);

  const weak = run(['config', 'check'], { RESWIPE_PAN_KEY: 'change-me-to-a-long-random-secret' });
  assert.equal(weak.status, 2);
  assert.match(weak.stderr, /^error RSW_CONFIG_INVALID_VALUE: configuration key security\.panKey must be hex or base64/);
  assert.ok(!weak.stderr.includes('change-me'), 'the key is never echoed');

  const real = run(['config', 'check'], { RESWIPE_PAN_KEY: panKey });
  assert.equal(real.status, 0, real.stderr);
  assert.equal(real.stdout, 'configuration is valid\n');
});

test('config check accepts the development key in development mode, with a warning', () => {
  const result = run(['config', 'check'], { RESWIPE_DEVELOPMENT_MODE: '1' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /configuration is valid/);
  assert.match(result.stdout, /panKey is not set/);
});

test('config new-pan-key makes a key config check accepts, and writes key files readable by the owner only', () => {
  const printed = run(['config', 'new-pan-key']);
  assert.equal(printed.status, 0, printed.stderr);
  const key = printed.stdout.trim();
  assert.equal(Buffer.from(key, 'base64').length, 32);
  assert.equal(run(['config', 'check'], { RESWIPE_PAN_KEY: key }).status, 0);

  const file = join(dir, 'pan.key');
  const written = run(['config', 'new-pan-key', '--out', file]);
  assert.equal(written.status, 0, written.stderr);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.notEqual(run(['config', 'new-pan-key', '--out', file]).status, 0, 'an existing key file is never overwritten');
});

test('config check exits 2 with one line naming the key for a bad value, an unknown variable and a bad file', () => {
  const badPort = run(['config', 'check'], { RESWIPE_HTTP_PORT: '99999' });
  assert.equal(badPort.status, 2);
  assert.match(badPort.stderr, /^error RSW_CONFIG_INVALID_VALUE: .*http\.port.*\(field http\.port\)\n$/);

  const unknownVariable = run(['config', 'check'], { RESWIPE_HTTP_PROT: '1' });
  assert.equal(unknownVariable.status, 2);
  assert.match(unknownVariable.stderr, /^error RSW_CONFIG_UNKNOWN_ENV: .*RESWIPE_HTTP_PROT/);

  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'http:\n  port: [1\n');
  const broken = run(['config', 'check', '--config', file]);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /^error RSW_CONFIG_FILE_SYNTAX: configuration file .*broken\.yaml line \d+/);
  assert.doesNotMatch(broken.stderr, /\n\s+at /, 'no stack trace');
});

test('config print refuses a bad config instead of printing half of it', () => {
  const result = run(['config', 'print'], { RESWIPE_ENGINE__REVERSAL__BACKOFF_MS: '120000' });
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /RSW_CONFIG_RELATION.*engine\.reversal\.backoffMs/);
});
