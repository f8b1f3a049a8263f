// Goal: the engine honours a terminal's own 0400 only for a sale of that terminal and merchant, for its
// amount, before its batch is settled and within the window, and finds a cups-pos sale named by DE 61
// (STAN + the terminal's local date) also between 00:00 and 08:00 China time and across month and year
// ends. A refused 0400 reverses nothing: the sale stays approved and no reversal goes upstream. An
// honoured one is forwarded upstream; one that overtakes its original takes the original's key.
// Method: the real engine on SQLite with a fake bank, its clock shifted to the instants under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { createFixture, merchantId, sale, terminalId, type Fixture } from './sale-fixture.ts';
import { waitFor, withFixture } from './sale-test-helpers.ts';
import { transmissionDateTime } from '../../../src/core/payments/upstream-fields.ts';

/** Real time moved to `atMs`, still flowing (the reversal worker and the waits need it to). */
class ShiftedClock {
  shiftMs = 0;
  nowMs(): number {
    return Date.now() + this.shiftMs;
  }
  moveTo(atMs: number): void {
    this.shiftMs = atMs - Date.now();
  }
}

async function withShiftedFixture(body: (fixture: Fixture, clock: ShiftedClock) => Promise<void>): Promise<void> {
  const clock = new ShiftedClock();
  const fixture = await createFixture({ clock });
  try {
    await body(fixture, clock);
  } finally {
    await fixture.close();
  }
}

let stanCounter = 500;

/** An approved terminal sale keyed by DE 41 + 11 + 7, its DE 7 the clock's UTC time (as terminals send it). */
async function terminalSale(fixture: Fixture, clock: ShiftedClock, amountMinor: number): Promise<{ id: string; stan: string }> {
  stanCounter += 1;
  const stan = String(stanCounter).padStart(6, '0');
  const de7 = transmissionDateTime(clock.nowMs());
  const result = await fixture.engine.authorize(
    sale({ intake: 'iso', amountMinor, terminalStan: stan, terminalTransmittedAt: de7, idempotency: { scope: `iso:${terminalId}`, key: `${stan}:${de7}`, requestHash: `h-${stan}` } }),
  );
  assert.ok(result.kind === 'completed' && result.view.status === 'approved', 'the sale is approved');
  return { id: result.kind === 'completed' ? result.view.id : '', stan };
}

async function statusAfterSettling(fixture: Fixture, paymentId: string, expected: string): Promise<string | undefined> {
  for (let round = 0; round < 150; round++) {
    const status = (await fixture.store.getPayment(paymentId))?.status;
    if (status === expected) return status;
    await delay(20);
  }
  return (await fixture.store.getPayment(paymentId))?.status;
}

test('a DE 61 reversal finds its sale by the local date between 00:00 and 08:00 China time, at month and year ends', async () => {
  // [when the sale is made (UTC), the terminal's local date in 61.3, the UTC date the old rule compared]
  const rows: Array<[string, string, string]> = [
    ['2026-12-05T18:30:00Z', '1206', '1205'], // 02:30 in China
    ['2026-12-05T16:00:00Z', '1206', '1205'], // midnight in China
    ['2026-12-05T23:59:58Z', '1206', '1205'], // 07:59:58 in China, just before midnight UTC
    ['2026-11-30T17:00:00Z', '1201', '1130'], // month end
    ['2026-12-31T20:00:00Z', '0101', '1231'], // year end
  ];
  for (const [saleAt, localDate, utcDate] of rows) {
    await withShiftedFixture(async (fixture, clock) => {
      clock.moveTo(Date.parse(saleAt));
      const { id, stan } = await terminalSale(fixture, clock, 2_000);
      const wrongDay = await fixture.engine.reverseByTerminal({ terminalId, merchantId, amountMinor: 2_000, originalStan: stan, originalTransmittedAt: null, originalDateMmdd: utcDate, reasonCode: '98' });
      assert.equal(wrongDay.responseCode, '25', `${saleAt}: the UTC date ${utcDate} is not the sale's day`);
      assert.equal((await fixture.store.getPayment(id))?.status, 'approved');
      const answer = await fixture.engine.reverseByTerminal({ terminalId, merchantId, amountMinor: 2_000, originalStan: stan, originalTransmittedAt: null, originalDateMmdd: localDate, reasonCode: '98' });
      assert.equal(answer.responseCode, '00', `${saleAt}: 61.3 ${localDate} names the sale`);
      assert.equal(await statusAfterSettling(fixture, id, 'reversed'), 'reversed', `${saleAt}: the sale is reversed, not left charged`);
    });
  }
});

test('a 0400 from another merchant, for another amount, after the batch or after the window reverses nothing', async () => {
  await withShiftedFixture(async (fixture, clock) => {
    clock.moveTo(Date.parse('2026-12-05T04:00:00Z'));
    const base = { terminalId, merchantId, originalTransmittedAt: null, reasonCode: '98' } as const;

    const first = await terminalSale(fixture, clock, 3_001);
    const otherMerchant = await fixture.engine.reverseByTerminal({ ...base, merchantId: 'M00000000000999', amountMinor: 3_001, originalStan: first.stan });
    assert.equal(otherMerchant.responseCode, '63');
    assert.equal(otherMerchant.refusal?.code, 'RSW_TXN_REVERSAL_OTHER_TERMINAL');
    const otherAmount = await fixture.engine.reverseByTerminal({ ...base, amountMinor: 3_000, originalStan: first.stan });
    assert.equal(otherAmount.responseCode, '64');
    const noAmount = await fixture.engine.reverseByTerminal({ ...base, amountMinor: null, originalStan: first.stan });
    assert.equal(noAmount.responseCode, '64');

    const second = await terminalSale(fixture, clock, 3_002);
    clock.moveTo(Date.parse('2026-12-06T04:00:01Z'));
    const late = await fixture.engine.reverseByTerminal({ ...base, amountMinor: 3_002, originalStan: second.stan });
    assert.equal(late.responseCode, '12');
    assert.equal(late.refusal?.code, 'RSW_TXN_REVERSAL_TOO_LATE');

    const third = await terminalSale(fixture, clock, 3_003);
    await fixture.store.write((tx) => tx.appendEvent({ type: 'batch.settled', subjectId: terminalId, payload: { batchNo: '000001' }, atMs: clock.nowMs() }));
    const settled = await fixture.engine.reverseByTerminal({ ...base, amountMinor: 3_003, originalStan: third.stan });
    assert.equal(settled.responseCode, '12');
    assert.equal(settled.refusal?.code, 'RSW_TXN_REVERSAL_BATCH_SETTLED');

    await delay(100);
    for (const sale of [first, second, third]) assert.equal((await fixture.store.getPayment(sale.id))?.status, 'approved', 'the refused 0400 left the sale charged');
    assert.equal(fixture.channels[0]?.reversals().length, 0, 'no reversal went upstream');
    const events = await fixture.store.listEvents(0, 1000, 'payment.reversal_requested');
    assert.equal(events.length, 0, 'nothing was queued');

    // The sale's own terminal, merchant and amount, inside the window and before the batch: honoured.
    const fourth = await terminalSale(fixture, clock, 3_004);
    const honoured = await fixture.engine.reverseByTerminal({ ...base, amountMinor: 3_004, originalStan: fourth.stan, originalTransmittedAt: null });
    assert.equal(honoured.responseCode, '00');
    assert.equal(await statusAfterSettling(fixture, fourth.id, 'reversed'), 'reversed');
  });
});

test("the terminal's own reversal of an approved sale is forwarded upstream and the payment ends reversed", async () => {
  await withFixture({}, async ({ engine, store, channels }) => {
    const request = sale({ intake: 'iso', terminalStan: '000042', terminalTransmittedAt: '1125120000', idempotency: { scope: `iso:${terminalId}`, key: '000042:1125120000', requestHash: 'h' } });
    const result = await engine.authorize(request);
    assert.equal(result.kind, 'completed');
    if (result.kind !== 'completed') return;
    assert.equal(result.view.status, 'approved');
    const answer = await engine.reverseByTerminal({ terminalId, merchantId, amountMinor: 10_000, originalStan: '000042', originalTransmittedAt: '1125120000', reasonCode: '96' });
    assert.equal(answer.responseCode, '00');
    const payment = await waitFor('the reversal to settle', async () => {
      const current = await store.getPayment(result.view.id);
      return current?.status === 'reversed' ? current : null;
    });
    assert.equal(payment.status, 'reversed');
    assert.equal(channels[0]?.reversals()[0]?.fields[39], '96');
    assert.equal((await engine.reverseByTerminal({ terminalId, merchantId, amountMinor: 10_000, originalStan: '000099', originalTransmittedAt: '1125120000', reasonCode: '98' })).responseCode, '25');
  });
});

test('a terminal reversal that overtakes its original blocks the original: it is refused, never charged', async () => {
  await withFixture({}, async ({ engine, channels }) => {
    const answer = await engine.reverseByTerminal({ terminalId, merchantId, amountMinor: 10_000, originalStan: '000321', originalTransmittedAt: '1125130000', reasonCode: '98' });
    assert.equal(answer.responseCode, '25');
    const late = await engine.authorize(sale({ intake: 'iso', terminalStan: '000321', terminalTransmittedAt: '1125130000', idempotency: { scope: `iso:${terminalId}`, key: '000321:1125130000', requestHash: 'h' } }));
    assert.equal(late.kind, 'idempotency_mismatch');
    assert.equal(channels[0]?.sent.length, 0);
  });
});
