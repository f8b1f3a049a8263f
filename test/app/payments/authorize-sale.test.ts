// Goal: authorizing a sale keeps the money-safety invariants end to end inside one process. Method: a
// real SQLite store, scripted fake channels and the real reversal worker; each test drives sales through
// approve, decline, failover, unknown outcome, duplicates and admission bounds, then checks what the
// client was told against the stored payment and attempts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { merchantId, okPan, reply, sale, terminalId } from './sale-fixture.ts';
import { waitFor, withFixture } from './sale-test-helpers.ts';
import { CardNumber, fingerprintPan } from '../../../src/core/cards/pan.ts';
import { ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { paymentProjectorName } from '../../../src/core/ports/store.ts';

test('an approved sale is persisted with one approved attempt and replayed on a duplicate', async () => {
  // No background loops: the projector runs only when the test drains it, so the event's absence right
  // after the answer shows the answer's own units did not write it (with the 50 ms projector loop it
  // could have run in between on a slow machine).
  await withFixture({ every: () => () => {} }, async ({ engine, store, channels, gateway }) => {
    const request = sale();
    const result = await engine.authorize(request);
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'approved');
    assert.equal(result.view.authCode, 'A1B2C3');
    assert.equal(result.view.card.masked, '622202*********0018');
    assert.deepEqual(result.view.attempts.map((a) => a.outcome), ['approved']);
    assert.equal(result.diagnosis.code, '00');

    const again = await engine.authorize(request);
    assert.equal(again.kind, 'replayed');
    if (again.kind !== 'replayed') return;
    assert.equal(again.view.id, result.view.id);
    assert.equal(again.responseStatus, 201);
    assert.equal(channels[0]?.sales().length, 1, 'one upstream authorization only');

    const mismatch = await engine.authorize({ ...request, idempotency: { ...request.idempotency, requestHash: 'other' } });
    assert.equal(mismatch.kind, 'idempotency_mismatch');

    const stored = await store.getPayment(result.view.id);
    assert.equal(stored?.status, 'approved');
    assert.equal(stored?.panFingerprint, fingerprintPan(okPan, 'test-pan-key-0123456789'));
    assert.ok(!JSON.stringify(stored).includes(okPan), 'no PAN in the stored payment');
    // The payment.completed event is written by the projector, off the answer's path (docs/projector.md).
    assert.equal((await store.listEvents(0, 100, 'payment.completed')).length, 0, 'not on the answer path');
    await gateway.projector.drain();
    const events = await store.listEvents(0, 100, 'payment.completed');
    assert.equal(events.length, 1);
  });
});

test('a definite decline is final, with its diagnosis stored', async () => {
  await withFixture({ scripts: [(request) => reply(request, '51')] }, async ({ engine, channels }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'declined');
    assert.equal(result.view.responseCode, '51');
    assert.equal(result.view.decline?.category, 'insufficient_funds');
    assert.equal(channels[0]?.sales().length, 1);
  });
});

test('a local decline sends nothing upstream', async () => {
  await withFixture({}, async ({ engine, channels }) => {
    const result = await engine.authorize(sale({ card: { number: new CardNumber(okPan), expiry: '2001', entryMode: 'manual' } }));
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'declined');
    assert.equal(result.view.responseCode, '54');
    assert.equal(result.view.attempts.length, 0);
    assert.equal(channels[0]?.sent.length, 0);
  });
});

test('an unknown terminal gets 97 and nothing is stored or sent', async () => {
  await withFixture({}, async ({ engine, channels, store }) => {
    const result = await engine.authorize(sale({ terminalId: 'T9999999' }));
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.diagnosis.code, '97');
    assert.equal(channels[0]?.sent.length, 0);
    assert.equal((await store.listPayments({ limit: 10 })).data.length, 0);
  });
});

test('not sent on the first channel fails over to the next at once', async () => {
  const down = () => ({ kind: 'not_sent' as const, reason: 'no_connection' as const, detail: 'refused' });
  await withFixture({ scripts: [down, (request) => reply(request, '00')] }, async ({ engine, channels }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'approved');
    assert.deepEqual(result.view.attempts.map((a) => [a.channel, a.outcome]), [['bank-a', 'not_sent'], ['bank-b', 'approved']]);
    assert.notEqual(channels[1]?.sales()[0]?.fields[11], undefined);
  });
});

test('no reply and no retry allowed: the attempt is reversed and the client is told it was not charged', async () => {
  const script = (request: import('../../../src/core/iso8583/index.ts').IsoMessage) =>
    request.mti === '0200' ? { kind: 'no_reply' as const, reason: 'timeout' as const, sentAtMs: Date.now() } : reply(request, '00');
  await withFixture({ scripts: [script], settings: { autoRetriesMax: 0 } }, async ({ engine, store, channels }) => {
    const result = await engine.authorize(sale());
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.diagnosis.code, '98');
    assert.equal(result.view.status, 'reversed');
    assert.deepEqual(result.view.attempts.map((a) => a.outcome), ['reversed']);
    assert.deepEqual(channels[0]?.reversals().map((m) => [m.mti, m.fields[11]]), [['0400', '000002']], 'one 0400 with its own STAN');
    const reversal = channels[0]?.reversals()[0];
    assert.equal(reversal?.fields[39], '98');
    assert.equal(String(reversal?.fields[90]).slice(4, 10), channels[0]?.sales()[0]?.fields[11], 'DE 90 names the attempt');
    assert.equal((await store.getPayment(result.view.id))?.status, 'reversed');
    assert.equal((await store.listEvents(0, 100, 'reversal.queued')).length, 1);
  });
});

test('no reply and the reversal cannot be confirmed: WAIT before the deadline, payment stays pending', async () => {
  const script = (request: import('../../../src/core/iso8583/index.ts').IsoMessage) =>
    request.mti === '0200' ? { kind: 'no_reply' as const, reason: 'timeout' as const, sentAtMs: Date.now() } : { kind: 'not_sent' as const, reason: 'no_connection' as const, detail: 'down' };
  await withFixture({ scripts: [script], settings: { terminalTimeoutMs: 1_500 } }, async ({ engine }) => {
    const startedMs = Date.now();
    const result = await engine.authorize(sale());
    assert.ok(Date.now() - startedMs < 1_500, 'answered before the terminal deadline');
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.diagnosis.code, '98');
    assert.equal(result.diagnosis.verdict, 'wait');
    assert.equal(result.view.status, 'pending');
  });
});

test('a resend while the original runs gets in_progress, then the original answer', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await withFixture({ scripts: [async (request) => (await gate, reply(request, '00'))] }, async ({ engine, channels }) => {
    const request = sale({ intake: 'iso', idempotency: { scope: `iso:${terminalId}`, key: '000001:1125120000', requestHash: 'h' } });
    const first = engine.authorize(request);
    await waitFor('the first attempt', async () => channels[0]!.sent.length > 0);
    const second = await engine.authorize(request);
    assert.equal(second.kind, 'in_progress');
    release();
    const original = await first;
    await engine.waitUntilAnswered(request.idempotency.scope, request.idempotency.key, Date.now() + 1000);
    const third = await engine.authorize(request);
    assert.equal(third.kind, 'replayed');
    if (third.kind !== 'replayed' || original.kind !== 'completed') return;
    assert.equal(third.view.id, original.view.id);
    assert.equal(third.diagnosis.code, '00');
    assert.equal(channels[0]?.sales().length, 1);
  });
});

test('a new key is not read before the sale; a duplicate of a finished sale is caught by its unique key and replayed, nothing more sent', async () => {
  await withFixture({}, async ({ engine, store, channels }) => {
    const reads: string[] = [];
    const getIdempotency = store.getIdempotency.bind(store);
    store.getIdempotency = (scope, key) => (reads.push(key), getIdempotency(scope, key));
    const request = sale();
    const result = await engine.authorize(request);
    assert.equal(result.kind === 'completed' && result.view.status, 'approved');
    assert.deepEqual(reads, [], 'the first sale of a key reads no idempotency record');
    // The key's insert fails in the intent unit, before anything is sent; the answer is then read once.
    const again = await engine.authorize(request);
    assert.equal(again.kind, 'replayed');
    assert.equal(again.kind === 'replayed' && result.kind === 'completed' && again.view.id === result.view.id, true);
    assert.deepEqual(reads, [request.idempotency.key]);
    assert.equal(channels[0]?.sales().length, 1, 'one upstream authorization only');
    assert.equal((await store.listPayments({ limit: 10 })).data.length, 1, 'one payment');
    const mismatch = await engine.authorize({ ...request, amountMinor: 1, idempotency: { ...request.idempotency, requestHash: 'other' } });
    assert.equal(mismatch.kind, 'idempotency_mismatch');
    assert.equal(channels[0]?.sales().length, 1);
  });
});

test('a replay whose terminal no longer belongs to its merchant still gets its stored answer, not a 97', async () => {
  await withFixture({}, async ({ engine, store, channels }) => {
    const request = sale();
    const result = await engine.authorize(request);
    assert.equal(result.kind === 'completed' && result.view.status, 'approved');
    const merchant = await store.getMerchant(merchantId);
    const terminal = await store.getTerminal(terminalId);
    assert.ok(merchant !== null && terminal !== null);
    await store.write(async (tx) => {
      await tx.upsertMerchant({ ...merchant, id: 'M00000000000002' });
      await tx.upsertTerminal({ ...terminal, merchantId: 'M00000000000002' });
    });
    const again = await engine.authorize(request);
    assert.equal(again.kind, 'replayed');
    assert.equal(again.kind === 'replayed' && again.diagnosis.code, '00');
    assert.equal(channels[0]?.sales().length, 1);
  });
});

test('a replay while the store refuses writes still gets its stored answer from a read', async () => {
  await withFixture({}, async ({ engine, store, channels }) => {
    const request = sale();
    const result = await engine.authorize(request);
    assert.equal(result.kind === 'completed' && result.view.status, 'approved');
    const write = store.write.bind(store);
    store.write = async () => {
      throw new ReswipeError('RSW_STORE_UNAVAILABLE', { field: 'database.url', reason: 'test: writes refused' });
    };
    try {
      const again = await engine.authorize(request);
      assert.equal(again.kind, 'replayed');
      assert.equal(again.kind === 'replayed' && again.diagnosis.code, '00');
      // A new sale cannot be written, so it is refused, and nothing is sent.
      await assert.rejects(engine.authorize(sale()), (error: { code?: string }) => error.code === 'RSW_STORE_UNAVAILABLE');
      assert.equal(channels[0]?.sales().length, 1);
    } finally {
      store.write = write;
    }
  });
});

test('concurrent duplicates race on the idempotency key: one payment, one upstream request', async () => {
  await withFixture({}, async ({ engine, channels, store }) => {
    const request = sale();
    const results = await Promise.all([engine.authorize(request), engine.authorize(request), engine.authorize(request)]);
    assert.equal(results.filter((r) => r.kind === 'completed').length, 1);
    assert.equal(channels[0]?.sales().length, 1);
    assert.equal((await store.listPayments({ limit: 10 })).data.length, 1);
  });
});

test('a busy terminal queues a bounded number of sales and refuses the rest before sending', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await withFixture({ scripts: [async (request) => (await gate, reply(request, '00'))], settings: { queuePerTerminalMax: 1 } }, async ({ engine }) => {
    const first = engine.authorize(sale());
    const second = engine.authorize(sale());
    await delay(50);
    await assert.rejects(engine.authorize(sale()), (error: { code?: string }) => error.code === 'RSW_ENGINE_TERMINAL_BUSY');
    release();
    assert.equal((await first).kind, 'completed');
    assert.equal((await second).kind, 'completed');
  });
});

test('the state of each attempt never leaks: an attempt in flight shows as unknown', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await withFixture({ scripts: [async (request) => (await gate, reply(request, '00'))] }, async ({ engine, store, channels }) => {
    const running = engine.authorize(sale());
    await waitFor('the attempt to be sent', async () => channels[0]!.sent.length > 0);
    const [payment] = (await store.listPayments({ limit: 1 })).data;
    assert.ok(payment !== undefined);
    const view = await engine.getPayment(payment.id);
    assert.equal(view?.status, 'pending');
    assert.deepEqual(view?.attempts.map((a) => a.outcome), ['unknown']);
    assert.equal(await engine.getPayment(payment.id, { merchantId: 'M00000000000999' }), null, 'another merchant sees nothing');
    release();
    await running;
  });
});

test('a merchant day limit counts approved sales: the sale that would pass it is declined locally', async () => {
  await withFixture({}, async ({ engine, store, channels }) => {
    await store.write(async (tx) => {
      const merchant = await tx.getMerchant(merchantId);
      if (merchant !== null) await tx.upsertMerchant({ ...merchant, limits: { perDayMinor: 15_000 } });
    });
    const first = await engine.authorize(sale({ amountMinor: 10_000 }));
    assert.equal(first.kind === 'completed' && first.view.status, 'approved');
    const second = await engine.authorize(sale({ amountMinor: 10_000 }));
    assert.equal(second.kind === 'completed' && second.view.status, 'declined');
    assert.equal(second.kind === 'completed' && second.view.decline?.category, 'limits');
    assert.equal(channels[0]?.sales().length, 1, 'the second sale never went upstream');
  });
});

test('day and month limits, of the merchant and of the terminal, refuse exactly past the limit with a void in between, the projector behind, drained or re-run', async () => {
  const kinds = [
    { who: 'merchant', limits: { perDayMinor: 30_000 } },
    { who: 'merchant', limits: { perMonthMinor: 30_000 } },
    { who: 'terminal', limits: { perDayMinor: 30_000 } },
    { who: 'terminal', limits: { perMonthMinor: 30_000 } },
  ] as const;
  for (const kind of kinds) {
    await withFixture({}, async ({ engine, store, gateway }) => {
      await store.write(async (tx) => {
        if (kind.who === 'merchant') {
          const merchant = await tx.getMerchant(merchantId);
          if (merchant !== null) await tx.upsertMerchant({ ...merchant, limits: kind.limits });
        } else {
          const terminal = await tx.getTerminal(terminalId);
          if (terminal !== null) await tx.upsertTerminal({ ...terminal, limits: kind.limits });
        }
      });
      const name = `${kind.who} ${JSON.stringify(kind.limits)}`;
      // Distinct amounts: the re-swipe guard never judges one of these sales a twin of another.
      const expectSale = async (amountMinor: number, status: 'approved' | 'declined', step: string): Promise<string> => {
        const result = await engine.authorize(sale({ amountMinor }));
        assert.equal(result.kind, 'completed', `${name}, ${step}`);
        if (result.kind !== 'completed') return '';
        assert.equal(result.view.status, status, `${name}, ${step}`);
        if (status === 'declined') assert.equal(result.view.decline?.category, 'limits', `${name}, ${step}`);
        return result.view.id;
      };
      const first = await expectSale(10_000, 'approved', 'first sale');
      await gateway.projector.drain();
      await expectSale(10_002, 'approved', 'second sale, the first projected');
      await expectSale(9_999, 'declined', '30 001 with the second not projected');
      await expectSale(9_998, 'approved', 'exactly 30 000');
      // The first sale voided (as a void writes it): it stops counting at once, projected or not.
      const stored = await store.getPayment(first);
      assert.ok(stored !== null);
      await store.write(async (tx) => {
        assert.equal(await tx.updatePayment(stored, { ...stored, status: 'voided', updatedAtMs: stored.updatedAtMs + 1, version: stored.version + 1 }), true);
      });
      await expectSale(9_997, 'approved', '29 997 after the void');
      await gateway.projector.drain();
      await expectSale(4, 'declined', '30 001 with the void projected');
      // A projector re-run from the journal's start (a checkpoint lost with its unit): nothing counted twice.
      await store.write((tx) => tx.setProjectorCheckpoint(paymentProjectorName, 0, Date.now()));
      await expectSale(4, 'declined', '30 001 with the checkpoint back at 0');
      await expectSale(3, 'approved', 'exactly 30 000 with the checkpoint back at 0');
      await gateway.projector.drain();
      await expectSale(1, 'declined', '30 001 re-projected');
    });
  }
});
