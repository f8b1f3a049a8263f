// Goal: a sale whose first write finds the database busy (a deadlock, a lock wait, a serialization
// failure: rolled back, nothing stored) is written again within the sale's budget and goes upstream
// once; when the database stays busy the sale is refused with nothing sent, and the terminal's answer
// says "try again in seconds", not the ten minutes of a plain 96. Method: the real gateway on SQLite
// behind a store whose write throws RSW_STORE_BUSY for the first units that insert an idempotency key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '../../../src/adapters/http/metrics.ts';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { composeGateway } from '../../../src/app/compose-gateway.ts';
import { busyPauseMs, writeDurably } from '../../../src/app/payments/durable-write.ts';
import { classifyResponseCode, storeBusyNotSentDiagnosis } from '../../../src/core/declines/index.ts';
import { ReswipeError, isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { Store, StoreTx } from '../../../src/core/ports/store.ts';
import { SeededRandom } from '../../../src/core/time/random.ts';
import { approveAll, FakeChannel, fixtureConfig, sale, silentLogger } from './sale-fixture.ts';

/** The store, except that the first `busyIntents` units inserting an idempotency key fail as a deadlock would. */
function busyOnIntents(inner: Store, busyIntents: number): { store: Store; refused: () => number } {
  let refused = 0;
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'write') {
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return <T>(unit: (tx: StoreTx) => Promise<T>) =>
        target.write(async (tx) => {
          const watched = new Proxy(tx, {
            get(txTarget, name, txReceiver) {
              const value = Reflect.get(txTarget, name, txReceiver) as unknown;
              if (name === 'insertIdempotency' && refused < busyIntents) {
                return async () => {
                  refused += 1;
                  throw new ReswipeError('RSW_STORE_BUSY', { reason: '40P01: deadlock detected (test)' });
                };
              }
              return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(txTarget) : value;
            },
          });
          return unit(watched);
        });
    },
  });
  return { store, refused: () => refused };
}

async function gatewayWith(busyIntents: number) {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-busy-'));
  const config = fixtureConfig(dir, ['bank-a']);
  const { store, refused } = busyOnIntents(await openStore(config.database.url, { synchronous: 'normal' }), busyIntents);
  const channel = new FakeChannel('bank-a', approveAll);
  const gateway = await composeGateway(config, {
    store,
    random: new SeededRandom(3),
    logger: silentLogger,
    channel: () => channel,
    metrics: createMetrics({ collectDefault: false }),
    http: false,
    listen: false,
    engineSettings: { replyMarginMs: 200, attemptMinMs: 100 },
  });
  await gateway.start();
  return {
    gateway,
    channel,
    refused,
    async close() {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a sale whose intent write met a busy database three times is retried and approved, sent once', async () => {
  const fixture = await gatewayWith(3);
  try {
    const result = await fixture.gateway.engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    assert.equal(result.kind === 'completed' ? result.view.status : null, 'approved');
    assert.equal(fixture.refused(), 3);
    assert.equal(fixture.channel.sales().length, 1);
  } finally {
    await fixture.close();
  }
});

test('a database busy through every retry refuses the sale with RSW_STORE_BUSY and nothing sent', async () => {
  const fixture = await gatewayWith(1_000);
  try {
    await assert.rejects(fixture.gateway.engine.authorize(sale()), (error: unknown) => isReswipeError(error, 'RSW_STORE_BUSY'));
    assert.ok(fixture.refused() >= 2, `tried ${fixture.refused()} times`);
    assert.ok(fixture.refused() <= 8);
    assert.equal(fixture.channel.sent.length, 0);
  } finally {
    await fixture.close();
  }
});

test('the answer to a sale refused for a busy database: nothing sent, try again in seconds (a plain 96 says ten minutes)', () => {
  const busy = storeBusyNotSentDiagnosis();
  assert.equal(busy.outcome, 'not_sent');
  assert.ok(busy.waitSeconds !== null && busy.waitSeconds <= 10);
  assert.match(busy.advice.cashier.en, /nothing was charged/);
  assert.ok((classifyResponseCode('96').waitSeconds ?? 0) >= 600, 'the control: a plain 96 would tell the cashier to wait ten minutes');
});

test('busy retries stop at the deadline and are never tried for other errors', async () => {
  let runs = 0;
  let now = 0;
  const store = { write: async () => { runs += 1; throw new ReswipeError('RSW_STORE_BUSY', { reason: 'test' }); } } as unknown as Store;
  const busyRetry = { untilMs: 50, clock: { nowMs: () => now }, random: new SeededRandom(1), sleep: async (ms: number) => { now += ms; } };
  await assert.rejects(writeDurably(store, async () => 1, busyRetry), (error: unknown) => isReswipeError(error, 'RSW_STORE_BUSY'));
  assert.ok(runs >= 2 && now < 50, `runs ${runs}, waited ${now} ms`);
  runs = 0;
  await assert.rejects(writeDurably(store, async () => 1), (error: unknown) => isReswipeError(error, 'RSW_STORE_BUSY'));
  assert.equal(runs, 1, 'without busyRetry a busy unit is not retried');
  const pauses = [1, 2, 3, 4, 5, 6].map((tryNo) => busyPauseMs(tryNo, new SeededRandom(tryNo)));
  assert.ok(pauses.every((pause, index) => pause >= Math.min(250, 10 * 2 ** index) / 2 && pause <= Math.min(250, 10 * 2 ** index)), pauses.join(','));
});
