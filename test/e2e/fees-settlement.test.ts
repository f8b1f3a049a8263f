// Goal: from sales through settlement to the statement CSV on the real store and the real command: sales, a void, a refund and a sale after the cut-off are recorded with their fee lines, `reswipe settle run` builds the day's batch (T+1 over a holiday) and `reswipe settle export` writes a CSV whose rows add up to the batch. Method: a temporary SQLite file written through openStore and recordFeesForApprovedPayment, then `node bin/reswipe.mjs` child processes with RESWIPE_DATABASE_URL pointing at it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/adapters/store/open-store.ts';
import { recordFeesForApprovedPayment, recordFeesForRefund, removeFeesForPayment, type PaymentFeeContext } from '../../src/app/fees/record-payment-fees.ts';
import { builtinFeePlans, parseStatementCsv, statementColumns } from '../../src/core/fees/index.ts';
import type { PaymentRecord } from '../../src/core/ports/store.ts';
import { merchant, payment, terminal } from '../adapters/store/store-fixtures.ts';
import { runReswipe, type ReswipeRun } from '../support/reswipe-process.ts';

const at = (local: string): number => Date.parse(`${local}+08:00`);

function reswipe(args: string[], databaseUrl: string): ReswipeRun {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, RESWIPE_DATABASE_URL: databaseUrl, RESWIPE_LOG_LEVEL: 'silent' };
  return runReswipe(args, { env });
}

test('sales → fee lines → settle run → settle export CSV', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-settle-e2e-'));
  const databaseUrl = `sqlite:${join(dir, 'reswipe.db')}`;
  try {
    const store = await openStore(databaseUrl);
    try {
      const context: PaymentFeeContext = { plans: builtinFeePlans, merchantFeePlan: 'standard', mcc: '5411', timeZone: 'Asia/Shanghai', settleMode: 't1', nowMs: at('2026-06-18T23:59:00') };
      const sale = (id: string, amountMinor: number, when: string, overrides: Partial<PaymentRecord> = {}): PaymentRecord =>
        payment(id, 'M1', { terminalId: 'T1', amountMinor, cardType: 'credit', createdAtMs: at(when), updatedAtMs: at(when), rrn: `rrn${id}`, ...overrides });
      const s1 = sale('s1', 33_333, '2026-06-18T10:00:00'); // credit ¥333.33 → ¥2.00
      const s2 = sale('s2', 1_000_000, '2026-06-18T11:00:00', { cardType: 'debit' }); // debit ¥10,000 → capped ¥25
      const s3 = sale('s3', 10_000, '2026-06-18T12:00:00'); // voided below
      const s4 = sale('s4', 10, '2026-06-18T13:00:00'); // a QR sale of ¥0.10 → ¥0.00
      const r1 = sale('r1', 10_000, '2026-06-18T15:00:00', { kind: 'refund', originalPaymentId: 's1' });
      const s5 = sale('s5', 5_000, '2026-06-18T23:30:00'); // after the 23:00 cut-off: business date 2026-06-19
      const declined = sale('d1', 70_000, '2026-06-18T14:00:00', { status: 'declined', responseCode: '51', authCode: null });
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('M1'));
        await tx.upsertTerminal(terminal('T1', 'M1'));
        for (const p of [s1, s2, s3, s4, declined, r1, s5]) await tx.insertPayment(p);
        await recordFeesForApprovedPayment(tx, s1, context);
        await recordFeesForApprovedPayment(tx, s2, context);
        await recordFeesForApprovedPayment(tx, s3, context);
        await recordFeesForApprovedPayment(tx, s4, { ...context, method: 'wechat' });
        await recordFeesForApprovedPayment(tx, s5, context);
        await recordFeesForRefund(tx, r1, context);
      });
      await store.write(async (tx) => {
        const voided = { ...s3, status: 'voided' as const, version: 2 };
        assert.ok(await tx.updatePayment(s3, voided));
        await removeFeesForPayment(tx, voided, context);
      });
    } finally {
      await store.close();
    }

    const run = reswipe(['settle', 'run', '--date', '2026-06-18', '--json'], databaseUrl);
    assert.equal(run.status, 0, run.stderr);
    const [batch] = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    assert.equal(batch?.merchantId, 'M1');
    assert.equal(batch?.grossMinor, 33_333 + 1_000_000 + 10);
    assert.equal(batch?.refundsMinor, 10_000);
    assert.equal(batch?.feesMinor, 200 + 2500 + 0);
    assert.equal(batch?.netMinor, 1_033_343 - 10_000 - 2_700);
    assert.equal(batch?.payoutDate, '2026-06-22'); // T+1 over the Dragon Boat Festival (19-21 June 2026)
    assert.deepEqual((batch?.reconciliation as { ok: boolean }).ok, true);

    const out = join(dir, 'statement.csv');
    const exported = reswipe(['settle', 'export', '--date', '2026-06-18', '--merchant', 'M1', '--out', out], databaseUrl);
    assert.equal(exported.status, 0, exported.stderr);
    const text = readFileSync(out, 'utf8');
    assert.equal(text.split('\r\n')[0], statementColumns.join(','));
    const rows = parseStatementCsv(text);
    const details = rows.filter((row) => row.record_type === 'detail');
    const total = rows.find((row) => row.record_type === 'total');
    assert.deepEqual(details.map((row) => [row.payment_id, row.kind, row.method, row.amount_minor, row.fee_minor, row.net_minor]), [
      ['s1', 'sale', 'credit', '33333', '200', '33133'],
      ['s2', 'sale', 'debit', '1000000', '2500', '997500'],
      ['s4', 'sale', 'wechat', '10', '0', '10'],
      ['r1', 'refund', 'credit', '-10000', '0', '-10000'],
    ]);
    assert.equal(total?.amount_minor, String(1_033_343 - 10_000));
    assert.equal(total?.fee_minor, '2700');
    assert.equal(total?.net_minor, String(batch?.netMinor));
    assert.equal(details.reduce((sum, row) => sum + Number(row.net_minor), 0), Number(total?.net_minor));
    assert.ok(details.every((row) => row.payout_date === '2026-06-22' && row.business_date === '2026-06-18'));
    assert.ok(!text.includes('6222021234567890123'), 'the statement never holds a full PAN');

    // The sale after the cut-off settles the next day, and a day without a batch cannot be exported.
    const next = reswipe(['settle', 'run', '--date', '2026-06-19', '--merchant', 'M1', '--json'], databaseUrl);
    assert.equal(next.status, 0, next.stderr);
    assert.equal((JSON.parse(next.stdout) as Array<{ grossMinor: number }>)[0]?.grossMinor, 5_000);
    const missing = reswipe(['settle', 'export', '--date', '2026-06-17', '--merchant', 'M1'], databaseUrl);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^error RSW_FEE_BATCH_NOT_FOUND: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
