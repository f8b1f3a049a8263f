// Goal: a QR sale is priced at the plan's QR rate, its refund gives the proportional fee back, and the
// day's settlement batch and statement list both with their method. Method: the QR use cases with the
// real fee hooks (inline) over SQLite, then settleDay and the statement CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPaymentFeeHooks } from '../../../src/app/fees/payment-fee-hooks.ts';
import { settleDay } from '../../../src/app/fees/settle-day.ts';
import { businessDateOf } from '../../../src/core/fees/business-date.ts';
import { builtinFeePlans, builtinHolidayCalendar } from '../../../src/core/fees/builtin-fee-plans.ts';
import { writeStatementCsv, parseStatementCsv } from '../../../src/core/fees/statement-csv.ts';
import { ManualClock } from '../../../src/core/time/clock.ts';
import { merchantId, qrFixture, silentLogger } from './qr-fixture.ts';

test('QR fees at 0.38 %, the refund fee back, the batch and the statement with the method', async () => {
  const feeClock = new ManualClock(0);
  const fees = createPaymentFeeHooks({ plans: () => builtinFeePlans, settings: { timeZone: 'Asia/Shanghai', settleMode: 't1', cutoff: '00:00' }, clock: { nowMs: () => feeClock.nowMs() }, logger: silentLogger });
  const f = await qrFixture({ fees });
  try {
    feeClock.advance(f.clock.nowMs());
    const sale = await f.engine.takeQrPayment(f.sale({ amountMinor: 100_000 }));
    assert.ok(sale.kind === 'completed' && sale.view.status === 'approved');
    assert.deepEqual(sale.view.fee, { feeMinor: 380, rateBps: 38, plan: 'standard' });
    const alipaySale = await f.engine.takeQrPayment(f.sale({ method: 'alipay', amountMinor: 50_000 }));
    assert.ok(alipaySale.kind === 'completed' && alipaySale.view.fee?.rateBps === 38);
    const refund = await f.engine.followUp({
      operation: 'refund', intake: 'http', merchantId, originalPaymentId: sale.view.id, terminalId: null, amountMinor: 50_000, currency: null, reference: null,
      idempotency: { scope: `http:${merchantId}`, key: 'refund-1', requestHash: 'r1' },
    });
    assert.ok(refund.kind === 'completed' && refund.view.status === 'approved');
    const lines = await f.store.listFeeLines({ paymentId: sale.view.id });
    assert.ok(lines.every((line) => line.method === 'wechat'));

    const businessDate = businessDateOf(f.clock.nowMs(), 'Asia/Shanghai');
    const [settled] = await settleDay(f.store, businessDate, { timeZone: 'Asia/Shanghai', settleMode: 't1', calendar: builtinHolidayCalendar }, f.clock.nowMs(), merchantId);
    assert.ok(settled !== undefined);
    assert.equal(settled.batch.grossMinor, 150_000);
    assert.equal(settled.batch.refundsMinor, 50_000);
    const rows = parseStatementCsv(writeStatementCsv(settled.batch, settled.lines)).filter((row) => row.record_type === 'detail');
    assert.deepEqual(rows.map((row) => [row.kind, row.method]).sort(), [['refund', 'wechat'], ['sale', 'alipay'], ['sale', 'wechat']]);
    assert.ok(rows.every((row) => /\*/.test(row.card_masked ?? '')), 'the statement shows the masked code only');
  } finally {
    await f.close();
  }
});
