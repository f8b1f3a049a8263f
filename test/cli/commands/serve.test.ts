// Goal: `reswipe serve` refuses a bad start with one clear line and leaves nothing behind. Method: run
// the real command as a child process with a bad config (no database file may appear) and with a
// terminal port already taken (the error names the listener and the store is closed again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { developmentModeEnv, runReswipe } from '../../support/reswipe-process.ts';

function runServe(dir: string, config: unknown, developmentMode = true): { status: number | null; stderr: string } {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  // Development mode (as the tests run) unless a test checks the production refusals.
  const result = runReswipe(['serve', '--config', join(dir, 'config.json'), '--json'], { cwd: dir, env: { ...process.env, RESWIPE_LOG_LEVEL: 'silent', ...(developmentMode ? developmentModeEnv : { RESWIPE_DEVELOPMENT_MODE: '0' }) } });
  return { status: result.status, stderr: result.stderr };
}

test('a bad config key stops serve before anything is opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-serve-'));
  try {
    const database = join(dir, 'gateway.db');
    const { status, stderr } = runServe(dir, { database: { url: `sqlite:${database}` }, engine: { terminalTimeoutMs: 'soon' } });
    assert.equal(status, 2);
    assert.match(stderr, /^error RSW_CONFIG_[A-Z_]+: .*engine\.terminalTimeoutMs/m);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(database), false, 'no database was created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a terminal port already in use fails with the listener named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-serve-'));
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  try {
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const { status, stderr } = runServe(dir, { database: { url: `sqlite:${join(dir, 'gateway.db')}` }, http: { port: 0 }, listeners: [{ name: 'front', port }] });
    assert.equal(status, 2);
    assert.match(stderr, /error RSW_TERMINAL_LISTEN_FAILED: terminal listener front cannot listen/);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('outside development mode, a listener that checks MACs without a local master key stops serve before anything is opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-serve-'));
  try {
    const database = join(dir, 'gateway.db');
    const { status, stderr } = runServe(dir, { database: { url: `sqlite:${database}` }, security: { panKey: randomBytes(32).toString('hex') }, http: { port: 0 }, listeners: [{ name: 'front', port: 0 }] }, false);
    assert.equal(status, 2);
    assert.match(stderr, /error RSW_TERMINAL_KEYS_NO_MASTER_KEY/);
    assert.equal(existsSync(database), false, 'no database was created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
