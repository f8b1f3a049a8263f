// Goal: the transaction set keeps the money invariants under the same faults as sales: answers lost
// after the issuer moved the money, requests lost before it, connections refused, flaky reversals.
// Method: the issuer simulator's own pure rules and books sit behind a seeded faulty channel; random
// sales, pre-authorizations, voids, refunds, completions, cancels and completion voids run against
// the real engine, FollowUps, reversal worker and SQLite store; once reversals and refund advices
// have drained, an independent audit compares the gateway's payments with the issuer's books (seed
// printed; RESWIPE_TEST_SEED replays).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';
import type { FollowUpOperation } from '../../../src/core/ports/payments.ts';
import type { IsoMessage } from '../../../src/core/iso8583/index.ts';
import type { PaymentRecord } from '../../../src/core/ports/store.ts';
import { SeededRandom, nextUnit, nextIntInclusive } from '../../../src/core/time/random.ts';
import { decideIssuerResponse } from '../../../src/sim/issuer/decide-issuer-response.ts';
import { IssuerBook, viewLedger } from '../../../src/sim/issuer/issuer-book.ts';
import { sale } from '../payments/sale-fixture.ts';
import { createFollowUpFixture, followUp } from './follow-up-fixture.ts';

const seed = Number(process.env.RESWIPE_TEST_SEED ?? 6_2026_1125);
const okPan = '6222020000000000018';

test(`transaction set money audit under faults (seed ${seed}; replay with RESWIPE_TEST_SEED=${seed})`, async () => {
  const random = new SeededRandom(seed);
  const book = new IssuerBook();
  const issuerRandom = new SeededRandom(seed + 1);
  /** The issuer answers by its own rules; the network loses the answer after (money moved) or before (nothing moved). */
  const script = (request: IsoMessage): ChannelSendResult => {
    const roll = nextUnit(random);
    if (roll < 0.08) return { kind: 'not_sent', reason: 'no_connection', detail: 'refused' };
    if (roll < 0.14) return { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() };
    const decision = decideIssuerResponse(book, request, { nowMs: Date.now(), random: issuerRandom });
    for (const event of decision.events) book.apply(event);
    if (roll < 0.24 || decision.response === null) return { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() };
    return { kind: 'reply', message: decision.response, sentAtMs: Date.now(), latencyMs: 1 };
  };
  const fixture = await createFollowUpFixture(script, { ms: 0 }, { reversalTriesMax: 12 });
  try {
    const { engine, followUps, store } = fixture;
    const originals: string[] = [];
    const holds: string[] = [];
    const operations: FollowUpOperation[] = ['void', 'void', 'refund', 'refund', 'completion', 'preauth_cancel', 'completion_void'];
    for (let step = 0; step < 80; step++) {
      const roll = nextUnit(random);
      if (roll < 0.3 || originals.length + holds.length === 0) {
        const capture = nextUnit(random) < 0.6;
        const result = await engine.authorize(sale({ pan: okPan, capture, amountMinor: nextIntInclusive(random, 100, 5_000) }));
        if (result.kind === 'completed' && result.view.status === 'approved') (capture ? originals : holds).push(result.view.id);
        continue;
      }
      const operation = operations[nextIntInclusive(random, 0, operations.length - 1)] ?? 'refund';
      const pool = operation === 'completion' || operation === 'preauth_cancel' ? holds : originals;
      // Voids mostly name the newest sale (a cashier voids a mistake at once); the rest pick any original.
      const target = operation === 'void' ? pool[pool.length - 1] : pool[nextIntInclusive(random, 0, Math.max(0, pool.length - 1))];
      if (target === undefined) continue;
      const original = await store.getPayment(target);
      if (original === null) continue;
      const amountMinor = operation === 'refund' || operation === 'completion' ? nextIntInclusive(random, 1, Math.ceil(original.amountMinor * 0.7)) : null;
      const result = await followUps.followUp(followUp(operation, target, { amountMinor }));
      if (operation === 'completion' && result.kind === 'completed' && result.view.status === 'approved') originals.push(result.view.id);
    }
    // Drain: reversals settle, refund advices are forwarded until acknowledged (bounded).
    for (let round = 0; round < 300; round++) {
      await followUps.forwardDueAdvices();
      const stats = await store.reversalQueueStats();
      if (stats.pending === 0 && (await store.listPendingAdvices(10)).length === 0) break;
      await delay(30);
    }
    assert.equal((await store.reversalQueueStats()).pending, 0, 'the reversal queue drains');
    assert.equal((await store.reversalQueueStats()).dead, 0, 'no reversal needed manual handling at this fault rate');
    assert.equal((await store.listPendingAdvices(10)).length, 0, 'every refund advice was acknowledged');

    const all: PaymentRecord[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await store.listPayments({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      all.push(...result.data);
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    assert.equal(all.filter((p) => p.status === 'pending').length, 0, 'nothing stays pending');
    // Money the gateway says moved: live sales and completions, less accepted refunds.
    let expectedMinor = 0;
    for (const payment of all) {
      if ((payment.kind === 'sale' || payment.kind === 'completion') && payment.status === 'approved') expectedMinor += payment.amountMinor;
      if (payment.kind === 'refund' && payment.status === 'approved') expectedMinor -= payment.amountMinor;
    }
    const card = viewLedger(book, 0).cards.find((row) => row.panMasked === '622202*********0018');
    const movedMinor = card === undefined ? 0 : card.charges.amountMinor - card.chargesReversed.amountMinor - (card.refunds.amountMinor - card.refundsReversed.amountMinor);
    assert.equal(movedMinor, expectedMinor, 'the issuer moved exactly what the gateway says it did');
    // Refunds never exceed their original, in the gateway's books.
    for (const original of all.filter((p) => p.kind === 'sale' || p.kind === 'completion')) {
      const refunded = all.filter((p) => p.kind === 'refund' && p.originalPaymentId === original.id && p.status === 'approved').reduce((sum, p) => sum + p.amountMinor, 0);
      assert.ok(refunded <= original.amountMinor, `refunds of ${original.id}: ${refunded} > ${original.amountMinor}`);
    }
    // A completion never captures more than its hold plus the 15 % tolerance.
    for (const completion of all.filter((p) => p.kind === 'completion')) {
      const hold = all.find((p) => p.id === completion.originalPaymentId);
      assert.ok(hold !== undefined && completion.amountMinor <= hold.amountMinor + Math.floor((hold.amountMinor * 1500) / 10_000));
    }
    const kinds = all.map((p) => `${p.kind}:${p.status}`).sort().join(' ');
    assert.ok(all.some((p) => p.kind === 'refund') && all.some((p) => p.kind === 'void'), `the run exercised refunds and voids: ${kinds}`);
  } finally {
    await fixture.close();
  }
});
