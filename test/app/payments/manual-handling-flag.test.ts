// Goal: a payment whose reversal is dead-lettered is flagged for manual handling once and then left
// alone by recovery. Method: a real SQLite store, a fake channel that never answers the sale and
// refuses every reversal until the worker dead-letters it, then several recovery passes, counting
// the flag, the events and what recovery picked up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFixture, sale, seedCrashedSale } from './sale-fixture.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import { waitingFor } from '../../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 15_000, pollMs: 20 });

const noReplyThenDown = (request: IsoMessage) =>
  request.mti === '0200'
    ? { kind: 'no_reply' as const, reason: 'timeout' as const, sentAtMs: Date.now() }
    : { kind: 'not_sent' as const, reason: 'no_connection' as const, detail: 'down' };

test('a dead-lettered reversal flags its payment once; recovery never picks it up again', async () => {
  const fixture = await createFixture({ scripts: [noReplyThenDown], settings: { terminalTimeoutMs: 1_500 } });
  try {
    const { engine, store } = fixture;
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'pending');
    const paymentId = result.view.id;
    const flagged = await waitFor('the reversal to be dead-lettered and the payment flagged', async () => {
      const payment = await store.getPayment(paymentId);
      return payment !== null && typeof payment.manualHandlingSinceMs === 'number' ? payment : null;
    });
    assert.equal(flagged.status, 'pending', 'money may have moved: the client keeps seeing pending');
    assert.deepEqual((await store.listManualHandlingPayments(10)).map((p) => p.id), [paymentId]);
    const unknownBefore = (await store.listEvents(0, 1000, 'payment.unknown')).filter((e) => e.subjectId === paymentId).length;

    for (let pass = 0; pass < 3; pass++) {
      const recovered = await engine.recoverAfterRestart({ createdBeforeMs: Date.now() + 1 });
      assert.deepEqual(recovered, { payments: 0, reversalsQueued: 0 }, `pass ${pass}: the flagged payment is not on recovery's list`);
    }

    const after = await store.getPayment(paymentId);
    assert.equal(after?.manualHandlingSinceMs, flagged.manualHandlingSinceMs, 'flagged once: the instant never moves');
    assert.equal(after?.status, 'pending');
    assert.equal((await store.listEvents(0, 1000, 'payment.unknown')).filter((e) => e.subjectId === paymentId).length, unknownBefore, 'recovery announced nothing');
    assert.equal((await store.listEvents(0, 1000, 'payment.manual_handling')).filter((e) => e.subjectId === paymentId).length, 1, 'one manual handling event');
    assert.equal((await store.reversalQueueStats()).dead, 1, 'one reversal, dead, never re-queued');
  } finally {
    await fixture.close();
  }
});

test('recovery announces a payment unknown only when it queues a new reversal', async () => {
  const fixture = await createFixture({});
  try {
    const { engine, store } = fixture;
    // Stop the worker so the queued reversal stays pending between the two passes.
    await fixture.worker.stop();
    const nowMs = Date.now();
    await seedCrashedSale(store, nowMs);
    assert.deepEqual(await engine.recoverAfterRestart(), { payments: 1, reversalsQueued: 1 });
    assert.deepEqual(await engine.recoverAfterRestart(), { payments: 1, reversalsQueued: 0 }, 'the reversal is already queued');
    assert.equal((await store.listEvents(0, 100, 'payment.unknown')).length, 1, 'one announcement for one queued reversal');
    assert.equal((await store.listEvents(0, 100, 'reversal.queued')).length, 1);
  } finally {
    await fixture.close();
  }
});
