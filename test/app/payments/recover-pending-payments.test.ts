// Goal: a payment left pending by a crashed process is recovered: its attempt is marked unknown and
// reversed, so nothing stays pending and no money stays moved. Method: a crashed sale seeded in a real
// SQLite store, recoverAfterRestart, the real reversal worker and a fake bank that confirms reversals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedCrashedSale } from './sale-fixture.ts';
import { waitFor, withFixture } from './sale-test-helpers.ts';

test('recovery after a crash: a pending attempt becomes unknown and gets a reversal', async () => {
  await withFixture({}, async ({ engine, store }) => {
    const nowMs = Date.now();
    await seedCrashedSale(store, nowMs);
    const recovered = await engine.recoverAfterRestart();
    assert.equal(recovered.reversalsQueued, 1);
    const payment = await waitFor('the recovered payment to be reversed', async () => {
      const current = await store.getPayment('pay_crashed');
      return current?.status === 'reversed' ? current : null;
    });
    assert.equal(payment.status, 'reversed');
    assert.deepEqual((await store.listAttempts('pay_crashed')).map((a) => a.outcome), ['reversed']);
  });
});
