// Goal: what each client was told agrees with the money, under a random mix of approvals, declines,
// unsent requests, lost replies (charged or not) and failing reversal tries. Method: a seeded fake
// issuer behind the engine keeps its own books by upstream key; after many concurrent sales and
// once the reversal queue is drained, an independent audit compares every answer with the books.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { createFixture, reply, sale, terminalId, type Script } from './sale-fixture.ts';
import { getText, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import { SeededRandom, nextUnit } from '../../../src/core/time/random.ts';
import type { ChannelSendResult } from '../../../src/adapters/channels/upstream-channel.ts';

const seed = Number(process.env.RESWIPE_TEST_SEED ?? 20261125);

test(`money audit over random upstream behaviour (seed ${seed}; replay with RESWIPE_TEST_SEED=${seed})`, async () => {
  const random = new SeededRandom(seed);
  /** The issuers' books: upstream key (channel, STAN, DE 7) -> amount charged and not reversed. STANs are per channel. */
  const charged = new Map<string, number>();
  const keyOf = (channel: string, stan: string, transmittedAt: string) => `${channel}:${stan}:${transmittedAt}`;
  const issuer = (channel: string): Script => (request: IsoMessage): ChannelSendResult => {
    const roll = nextUnit(random);
    if (request.mti.startsWith('04')) {
      if (roll < 0.2) return { kind: 'not_sent', reason: 'no_connection', detail: 'flaky' };
      const de90 = getText(request, 90) ?? '';
      charged.delete(keyOf(channel, de90.slice(4, 10), de90.slice(10, 20)));
      return reply(request, '00');
    }
    const key = keyOf(channel, getText(request, 11) ?? '', getText(request, 7) ?? '');
    const amountMinor = Number(getText(request, 4));
    if (roll < 0.4) {
      charged.set(key, amountMinor);
      return reply(request, '00');
    }
    if (roll < 0.55) return reply(request, '51');
    if (roll < 0.7) return { kind: 'not_sent', reason: 'no_connection', detail: 'refused' };
    if (roll < 0.85) charged.set(key, amountMinor); // charged, then the reply is lost
    return { kind: 'no_reply', reason: 'timeout', sentAtMs: Date.now() };
  };
  const fixture = await createFixture({ scripts: [issuer('bank-a'), issuer('bank-b')], settings: { terminalTimeoutMs: 2_000, queuePerTerminalMax: 64 } });
  try {
    const { engine, store } = fixture;
    const sales = Array.from({ length: 60 }, (_, index) =>
      sale({ amountMinor: 100 + index, terminalId: index % 2 === 0 ? terminalId : null }),
    );
    const results = await Promise.all(sales.map((request) => engine.authorize(request)));
    for (let round = 0; round < 200; round++) {
      const stats = await store.reversalQueueStats();
      if (stats.pending === 0) break;
      await delay(50);
    }
    assert.equal((await store.reversalQueueStats()).pending, 0, 'the reversal queue drains');

    const manual = new Set((await store.listEvents(0, 10_000, 'payment.manual_handling')).map((event) => event.subjectId));
    for (const [index, result] of results.entries()) {
      assert.equal(result.kind, 'completed', `sale ${index}`);
      if (result.kind !== 'completed') continue;
      const attempts = await store.listAttempts(result.view.id);
      const chargedMinor = attempts.reduce((sum, attempt) => sum + (charged.get(keyOf(attempt.channel, attempt.stan, attempt.transmittedAt)) ?? 0), 0);
      const toldApproved = result.diagnosis.code === '00';
      const payment = await store.getPayment(result.view.id);
      assert.ok(attempts.filter((attempt) => attempt.outcome === 'approved').length <= 1, `sale ${index}: one approval at most`);
      if (toldApproved) {
        assert.equal(chargedMinor, sales[index]?.amountMinor, `sale ${index}: told approved, charged exactly once`);
        assert.equal(payment?.status, 'approved');
      } else if (manual.has(result.view.id)) {
        // The reversal ran out of tries: the payment is flagged for manual handling, never silently dropped.
        assert.equal(payment?.status, 'pending', `sale ${index}: a dead reversal leaves the payment pending and flagged`);
        assert.equal(result.diagnosis.verdict, 'wait', `sale ${index}: the client was told to wait, not that it failed`);
      } else {
        assert.equal(chargedMinor, 0, `sale ${index}: told ${result.diagnosis.code}/${result.diagnosis.verdict}, nothing charged once reversals settle`);
        assert.notEqual(payment?.status, 'approved');
        assert.notEqual(payment?.status, 'pending', `sale ${index}: nothing stays pending once the queue drains`);
      }
    }
  } finally {
    await fixture.close();
  }
});
