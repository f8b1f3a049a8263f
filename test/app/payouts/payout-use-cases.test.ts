// Goal: the payout use cases keep money safe on a real store: the account number is stored only sealed and masked, a batch gets one payout however often `create` runs, a sent batch cannot be re-settled, the transfer file is rendered again byte for byte, an answer file applies all its lines or none, a re-import changes nothing, and a failed payout allows a new attempt to the corrected account. Method: a temporary SQLite store with payments and fee lines written through the real fee code, settlement through settleMerchantDay, and the use cases called directly; the database file is scanned for the clear account number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalKeyVault } from '../../../src/adapters/crypto/terminal-key-vault.ts';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { recordFeesForApprovedPayment, type PaymentFeeContext } from '../../../src/app/fees/record-payment-fees.ts';
import { settleDay, settleMerchantDay } from '../../../src/app/fees/settle-day.ts';
import { createPayouts } from '../../../src/app/payouts/create-payouts.ts';
import { exportPayoutFile, renderTransferFile } from '../../../src/app/payouts/export-payout-file.ts';
import { importPayoutAnswer } from '../../../src/app/payouts/import-payout-answer.ts';
import type { PayoutDeps } from '../../../src/app/payouts/payout-deps.ts';
import { setPayoutAccount } from '../../../src/app/payouts/set-payout-account.ts';
import { builtinFeePlans, builtinHolidayCalendar } from '../../../src/core/fees/builtin-fee-plans.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import type { Store } from '../../../src/core/ports/store.ts';
import { merchant, payment, terminal } from '../../adapters/store/store-fixtures.ts';

const at = (local: string): number => Date.parse(`${local}+08:00`);
const accountM1 = '6222020200112233445';
const accountM2 = '755912345610901';
const settings = { timeZone: 'Asia/Shanghai', cutoff: '23:00', settleMode: 't1' as const, calendar: builtinHolidayCalendar };

async function setUp(dir: string): Promise<{ store: Store; deps: PayoutDeps }> {
  const store = await openStore(`sqlite:${join(dir, 'payouts.db')}`);
  const vault = TerminalKeyVault.fromSettings({ developmentMode: true });
  const deps: PayoutDeps = { store, vault, calendar: builtinHolidayCalendar, timeZone: 'Asia/Shanghai', cutoff: '23:00', actor: 'cli:test' };
  const context: PaymentFeeContext = { plans: builtinFeePlans, merchantFeePlan: 'standard', mcc: '5411', timeZone: 'Asia/Shanghai', settleMode: 't1', nowMs: at('2026-06-18T23:59:00') };
  await store.write(async (tx) => {
    for (const [merchantId, amountMinor] of [['M1', 33_333], ['M2', 1_000_000]] as const) {
      await tx.upsertMerchant(merchant(merchantId));
      await tx.upsertTerminal(terminal(`T${merchantId}`, merchantId));
      const sale = payment(`s_${merchantId}`, merchantId, { terminalId: `T${merchantId}`, amountMinor, cardType: 'credit', createdAtMs: at('2026-06-18T10:00:00'), updatedAtMs: at('2026-06-18T10:00:00') });
      await tx.insertPayment(sale);
      await recordFeesForApprovedPayment(tx, sale, context);
    }
  });
  for (const merchantId of ['M1', 'M2']) await settleMerchantDay(store, merchantId, '2026-06-18', settings, at('2026-06-19T01:00:00'));
  await setPayoutAccount(deps, 'M1', { bankCode: '102100099996', accountName: '上海测试商贸有限公司', accountNumber: accountM1 }, at('2026-06-19T01:00:00'));
  await setPayoutAccount(deps, 'M2', { bankCode: '308584000013', accountName: '深圳示例餐饮店', accountNumber: accountM2 }, at('2026-06-19T01:00:00'));
  return { store, deps };
}

function answerFor(fileId: string, lines: Array<[string, 'S' | 'F', number, string, string]>): string {
  const yuan = (fen: number) => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
  const total = lines.reduce((sum, line) => sum + line[2], 0);
  return [
    `H|RSWANS|1|${fileId}|2026-06-22T10:00:00+08:00|${lines.length}`,
    ...lines.map(([id, status, fen, code, text], index) => `D|${index + 1}|${id}|${status}|${yuan(fen)}|${status === 'S' ? `B${index}` : ''}|${code}|${text}`),
    `T|${lines.length}|${yuan(total)}`,
  ].join('\r\n');
}

test('create → export → answer with one failure → retry to the corrected account', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-payouts-'));
  try {
    const { store, deps } = await setUp(dir);
    try {
      // Create twice: one payout per batch, the second run finds them.
      const first = await createPayouts(deps, '2026-06-18', at('2026-06-19T02:00:00'));
      assert.deepEqual(first.map((r) => r.outcome), ['created', 'created']);
      const again = await createPayouts(deps, '2026-06-18', at('2026-06-19T02:01:00'));
      assert.deepEqual(again.map((r) => r.outcome), ['existing', 'existing']);
      const payouts = await store.listPayouts({});
      assert.equal(payouts.length, 2);
      const m1 = payouts.find((p) => p.merchantId === 'M1');
      const m2 = payouts.find((p) => p.merchantId === 'M2');
      assert.equal(m1?.amountMinor, 33_333 - 200);
      assert.equal(m2?.amountMinor, 1_000_000 - 6_000);
      assert.equal(m1?.expectedArrivalDate, '2026-06-22', 'T+1 over the Dragon Boat Festival');
      assert.equal(m1?.accountNumberMasked, '****3445');

      // A batch whose money is in a payout is not recomputed; re-running the whole day keeps such batches and says so.
      await assert.rejects(settleMerchantDay(store, 'M1', '2026-06-18', settings, at('2026-06-19T03:00:00')), (error: unknown) => isReswipeError(error, 'RSW_PAYOUT_BATCH_IN_PAYOUT'));
      const kept: string[] = [];
      assert.deepEqual(await settleDay(store, '2026-06-18', settings, at('2026-06-19T03:00:00'), undefined, (merchantId, reason) => kept.push(`${merchantId} ${reason.code}`)), []);
      assert.deepEqual(kept, ['M1 RSW_PAYOUT_BATCH_IN_PAYOUT', 'M2 RSW_PAYOUT_BATCH_IN_PAYOUT']);

      // Export: both in one file, marked sent; nothing left to export; the file renders again identically.
      const exported = await exportPayoutFile(deps, at('2026-06-19T09:00:00'));
      assert.ok(exported !== null);
      assert.ok(exported.text.includes(`|${accountM1}|上海测试商贸有限公司|331.33|`));
      assert.equal(exported.totalMinor, 33_133 + 994_000);
      assert.equal(await exportPayoutFile(deps, at('2026-06-19T09:01:00')), null);
      assert.equal((await renderTransferFile(deps, exported.fileId)).text, exported.text);
      assert.ok((await store.listPayouts({})).every((p) => p.state === 'sent' && p.fileId === exported.fileId));

      // An answer with a wrong amount is refused whole: the good line is not applied either.
      const wrong = answerFor(exported.fileId, [[m1?.id as string, 'S', 33_133, '', ''], [m2?.id as string, 'S', 994_001, '', '']]);
      await assert.rejects(importPayoutAnswer(deps, wrong, at('2026-06-22T10:05:00')), (error: unknown) => isReswipeError(error, 'RSW_PAYOUT_FILE_INVALID') && error.params.line === 3);
      assert.ok((await store.listPayouts({})).every((p) => p.state === 'sent'));
      // An answer naming a file this gateway never wrote.
      await assert.rejects(importPayoutAnswer(deps, answerFor('pf_unknown', [[m1?.id as string, 'S', 33_133, '', '']]), 1), (error: unknown) => isReswipeError(error, 'RSW_PAYOUT_FILE_NOT_FOUND'));

      // The real answer: M1 paid, M2 failed (账户名不符).
      const answer = answerFor(exported.fileId, [[m1?.id as string, 'S', 33_133, '', ''], [m2?.id as string, 'F', 994_000, 'ACCOUNT_NAME_MISMATCH', '账户名不符']]);
      const imported = await importPayoutAnswer(deps, answer, at('2026-06-22T10:05:00'));
      assert.deepEqual([imported.paid, imported.failed, imported.unchanged], [1, 1, 0]);
      assert.equal((await store.getSettlementBatch('M1', '2026-06-18'))?.state, 'paid');
      assert.equal((await store.getSettlementBatch('M2', '2026-06-18'))?.state, 'closed');
      const failed = await store.getPayout(m2?.id as string);
      assert.deepEqual([failed?.state, failed?.reasonCode, failed?.reasonText], ['failed', 'account_name_mismatch', '账户名不符']);
      // The same file again: nothing changes.
      const reimport = await importPayoutAnswer(deps, answer, at('2026-06-22T11:00:00'));
      assert.deepEqual([reimport.paid, reimport.failed, reimport.unchanged], [0, 0, 2]);
      // A paid batch stays paid: settlement refuses it.
      await assert.rejects(settleMerchantDay(store, 'M1', '2026-06-18', settings, at('2026-06-22T12:00:00')), (error: unknown) => isReswipeError(error, 'RSW_FEE_BATCH_PAID'));

      // The merchant corrects its account name; a new payout (attempt 2) goes to the corrected account.
      await setPayoutAccount(deps, 'M2', { bankCode: '308584000013', accountName: '深圳示例餐饮有限公司', accountNumber: accountM2 }, at('2026-06-22T12:00:00'));
      const retry = await createPayouts(deps, '2026-06-18', at('2026-06-22T12:10:00'));
      assert.deepEqual(retry.map((r) => r.outcome), ['existing', 'created']);
      const second = retry[1];
      assert.ok(second !== undefined && 'payout' in second);
      assert.equal(second.payout.attempt, 2);
      assert.equal(second.payout.accountName, '深圳示例餐饮有限公司');
      const file2 = await exportPayoutFile(deps, at('2026-06-22T12:20:00'));
      assert.equal(file2?.payouts.length, 1);
      assert.equal(file2?.payouts[0]?.expectedArrivalDate, '2026-06-22', 'sent on the working day 22 June: arrives that day');
    } finally {
      await store.close();
    }
    // The clear account numbers never reached the database files (only the transfer file holds them).
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name));
      assert.ok(!bytes.includes(accountM1) && !bytes.includes(accountM2), `${name} holds no clear account number`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no payout without an account, and a batch that no longer reconciles is not paid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-payouts-'));
  try {
    const { store, deps } = await setUp(dir);
    try {
      await store.write(async (tx) => {
        await tx.upsertMerchant(merchant('M3'));
        await tx.upsertSettlementBatch({ id: 'stl_M3_2026-06-18', merchantId: 'M3', businessDate: '2026-06-18', grossMinor: 100, refundsMinor: 0, feesMinor: 0, netMinor: 100, payoutDate: '2026-06-22', settleMode: 't1', state: 'closed', createdAtMs: 1 });
      });
      const results = await createPayouts(deps, '2026-06-18', at('2026-06-19T02:00:00'), 'M3');
      // M3's stored batch claims 100 fen that no payment backs: refused before the account is even looked at.
      assert.equal(results[0]?.outcome, 'batch_mismatch');
      await store.write(async (tx) => {
        await tx.upsertSettlementBatch({ id: 'stl_M3_2026-06-18', merchantId: 'M3', businessDate: '2026-06-18', grossMinor: 0, refundsMinor: 0, feesMinor: 0, netMinor: 0, payoutDate: '2026-06-22', settleMode: 't1', state: 'closed', createdAtMs: 1 });
      });
      assert.equal((await createPayouts(deps, '2026-06-18', 1, 'M3'))[0]?.outcome, 'nothing_to_pay');
      await store.write(async (tx) => {
        const sale = payment('s_M3', 'M3', { amountMinor: 100, cardType: 'digital-rmb' as never, createdAtMs: at('2026-06-18T10:00:00') });
        await tx.insertPayment(sale);
        await recordFeesForApprovedPayment(tx, sale, { plans: builtinFeePlans, merchantFeePlan: 'standard', mcc: '5411', timeZone: 'Asia/Shanghai', settleMode: 't1', nowMs: 1, method: 'digital-rmb' });
      });
      await settleMerchantDay(store, 'M3', '2026-06-18', settings, 2);
      assert.equal((await createPayouts(deps, '2026-06-18', 3, 'M3'))[0]?.outcome, 'no_account');
      assert.deepEqual(await store.listPayouts({ merchantId: 'M3' }), []);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two creates racing make one payout per batch: the database decides, the loser reports the winner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reswipe-payouts-'));
  try {
    const { store, deps } = await setUp(dir);
    try {
      const [a, b] = await Promise.all([createPayouts(deps, '2026-06-18', 10), createPayouts(deps, '2026-06-18', 11)]);
      const outcomes = [...(a ?? []), ...(b ?? [])].map((r) => r.outcome).sort();
      assert.deepEqual(outcomes, ['created', 'created', 'existing', 'existing']);
      assert.equal((await store.listPayouts({})).length, 2);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
