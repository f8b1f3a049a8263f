// Goal: `GET /readyz` tells a load balancer the truth: 503 once every write fails (an injected WAL
// fdatasync failure: reads still answer, which is what the old probe looked at) and 503 when no
// upstream channel is usable (none configured, all disconnected, or every circuit open), naming the
// reason; 200 otherwise. Method: app.inject() against the real app over a real SQLite store whose
// fdatasync the test makes fail, and channel health the test sets; table rows for the pure rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fdatasync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHttpApp, type ChannelHealthLike } from '../../../src/adapters/http/http-app.ts';
import { createHttpUseCases } from '../../../src/app/http-use-cases.ts';
import { SqliteStore } from '../../../src/adapters/store/sqlite-store.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { decideReadiness } from '../../../src/core/monitoring/readiness.ts';
import { createFixture, silentLogger } from '../../app/payments/sale-fixture.ts';

test('readiness rule: store answers, store accepts writes, a channel is usable, in that order', () => {
  const up = { name: 'bank-a', connected: 2 };
  const rows: Array<[string, Parameters<typeof decideReadiness>[0], string | null]> = [
    ['all well', { storeAnswers: true, storeWriteFault: null, channels: [up] }, null],
    ['no channels to judge (an app without channels)', { storeAnswers: true, storeWriteFault: null, channels: null }, null],
    ['the store does not answer', { storeAnswers: false, storeWriteFault: 'x', channels: [] }, 'the store does not answer'],
    ['the store refuses writes', { storeAnswers: true, storeWriteFault: 'an earlier WAL fdatasync failed', channels: [up] }, 'the store refuses writes: an earlier WAL fdatasync failed'],
    ['no channel configured', { storeAnswers: true, storeWriteFault: null, channels: [] }, 'no upstream channel is configured'],
    ['every channel disconnected', { storeAnswers: true, storeWriteFault: null, channels: [{ ...up, connected: 0 }, { name: 'bank-b', connected: 0 }] }, 'no upstream channel is usable (connected with its circuit not open)'],
    ['connected but every circuit open', { storeAnswers: true, storeWriteFault: null, channels: [{ ...up, available: false }] }, 'no upstream channel is usable (connected with its circuit not open)'],
    ['one usable channel is enough', { storeAnswers: true, storeWriteFault: null, channels: [{ ...up, available: false }, { name: 'bank-b', connected: 1, available: true }] }, null],
  ];
  for (const [name, input, reason] of rows) {
    const readiness = decideReadiness(input);
    assert.equal(readiness.ready ? null : readiness.reason, reason, name);
  }
});

test('/readyz answers 503 after a failed WAL fdatasync, and when no channel is usable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-readyz-'));
  let failSync = false;
  const store = SqliteStore.open(join(dir, 'gw.db'), {
    synchronous: 'full',
    syncWal: (fd) => (failSync ? Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) : new Promise((resolve, reject) => fdatasync(fd, (error) => (error === null ? resolve() : reject(error))))),
  });
  const engineFixture = await createFixture();
  let channels: ChannelHealthLike[] = [{ name: 'bank-a', connected: 1, available: true }];
  try {
    await store.migrate();
    await store.write((tx) => tx.nextStan('bank-a'));
    const config = validateConfig({ security: { panKey: 'test-pan-key-0123456789', developmentMode: true }, engine: { terminalTimeoutMs: 3_000 }, log: { level: 'silent' } });
    const clock = { nowMs: () => Date.now() };
    const app = await buildHttpApp({ engine: engineFixture.engine, store, clock, logger: silentLogger, config, channelHealth: () => channels, ...createHttpUseCases({ store, clock, logger: silentLogger, config }) });
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.deepEqual(ready.json(), { status: 'ready', store: 'sqlite', channels: [{ name: 'bank-a', connected: 1, usable: true }] });

      // Every channel unusable: disconnected, then connected with its circuit open.
      channels = [{ name: 'bank-a', connected: 0, available: true }];
      const disconnected = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(disconnected.statusCode, 503);
      assert.equal(disconnected.json().code, 'RSW_HTTP_NOT_READY');
      channels = [{ name: 'bank-a', connected: 1, available: false }];
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503, 'an open circuit takes no sales');
      channels = [];
      assert.match((await app.inject({ method: 'GET', url: '/readyz' })).body, /no upstream channel is configured/);
      channels = [{ name: 'bank-a', connected: 1, available: true }];
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);

      // The disk fails a WAL fdatasync: this write fails, and so does every later one.
      failSync = true;
      await assert.rejects(store.write((tx) => tx.nextStan('bank-a')), (error: unknown) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'));
      failSync = false;
      await assert.rejects(store.write((tx) => tx.nextStan('bank-a')), (error: unknown) => isReswipeError(error, 'RSW_STORE_UNAVAILABLE'), 'writes keep failing after the disk recovers');
      await store.ping();
      const refusing = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(refusing.statusCode, 503, 'reads still answer, but the node cannot take a sale');
      assert.equal(refusing.json().code, 'RSW_HTTP_NOT_READY');
      assert.match(refusing.body, /the store refuses writes: an earlier WAL fdatasync failed/);
      assert.ok(!refusing.body.includes('EIO'), 'the driver detail stays in the log');
    } finally {
      await app.close();
    }
  } finally {
    await engineFixture.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
