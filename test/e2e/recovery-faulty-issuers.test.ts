// Goal: with banks that misbehave on 25 % of requests (dropped requests and replies, late replies, closed
// connections, duplicate replies, reversal replies lost too), the gateway never charges a good card twice,
// never leaves a sale charged that it did not approve, approves nothing it did not charge, and answers every
// failure with a verdict; the shares are printed, not asserted (a few dozen sales are too few for a robust
// threshold; `npm run bench:recovery` measures them). Method: real processes through
// test/support/recovery-run.ts (two issuer simulators, then one, `reswipe serve`, four terminals sending
// paced sales and following each verdict), the money checked against the simulators' ledgers; a table
// test shows the money check itself can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countMoney, runRecovery, type LedgerEntry, type RecoveryRunOptions, type SaleOutcome } from '../support/recovery-run.ts';

const short: Omit<RecoveryRunOptions, 'issuers' | 'seed' | 'firstAmountMinor'> = {
  faultRate: 0.25,
  salesPerTerminal: 10,
  terminals: 4,
  paceMs: 50,
  // A short budget keeps the run short: a LATER:30 does not fit and the terminal stops, as a real one would.
  budgetMs: 20_000,
  channelTimeoutMs: 1_500,
  lateReplyMs: 3_000,
};

for (const issuers of [2, 1] as const) {
  test(`${issuers} issuer${issuers === 2 ? 's' : ''} at 25 % faults: no double charge, the books match every answer, a verdict on every failure`, { timeout: 240_000 }, async () => {
    const run = await runRecovery({ ...short, issuers, seed: 4_000 + issuers, firstAmountMinor: 2_001 + issuers * 1_000 });
    console.log(`RECOVERY ${JSON.stringify({ issuers, sales: run.sales.length, approvedShare: run.approvedShare, latencyMs: run.latencyMs, answers: run.answers, money: run.money })}`);
    assert.equal(run.sales.length, short.terminals * short.salesPerTerminal);
    assert.equal(run.money.doubleCharged, 0, 'never a double charge');
    assert.equal(run.money.approvedNotCharged, 0, 'every approval is a charge');
    assert.equal(run.money.declinedButCharged, 0, 'every sale not approved is left uncharged once reversals settle');
    assert.equal(run.money.failuresWithoutVerdict, 0, 'every failure has a verdict in DE 44');
    assert.ok(run.money.settled, 'the books settled inside the wait');
    assert.ok(run.approvedShare > 0.5, 'the run did sell (a dead gateway would pass the money checks vacuously)');
  });
}

const sale = (amountMinor: number, approved: boolean, verdict: string | null = approved ? 'NONE' : 'LATER:30'): SaleOutcome => ({ amountMinor, tries: 1, responseCode: approved ? '00' : '98', verdict, message: null, approved, latencyMs: 10 });
const charge = (amountMinor: number, reversed = false): LedgerEntry => ({ kind: 'charge', amountMinor, reversed, refundedMinor: 0 });

const rows: Array<[name: string, sales: SaleOutcome[], ledgers: LedgerEntry[][], expected: ReturnType<typeof countMoney>]> = [
  ['books that match', [sale(1, true), sale(2, false)], [[charge(1), charge(2, true)]], { doubleCharged: 0, approvedNotCharged: 0, declinedButCharged: 0, failuresWithoutVerdict: 0 }],
  ['one sale charged at both banks', [sale(1, true)], [[charge(1)], [charge(1)]], { doubleCharged: 1, approvedNotCharged: 0, declinedButCharged: 0, failuresWithoutVerdict: 0 }],
  ['approved, nothing charged', [sale(1, true)], [[charge(1, true)]], { doubleCharged: 0, approvedNotCharged: 1, declinedButCharged: 0, failuresWithoutVerdict: 0 }],
  ['refused, still charged', [sale(1, false)], [[charge(1)]], { doubleCharged: 0, approvedNotCharged: 0, declinedButCharged: 1, failuresWithoutVerdict: 0 }],
  ['a failure without a verdict', [sale(1, false, null)], [[]], { doubleCharged: 0, approvedNotCharged: 0, declinedButCharged: 0, failuresWithoutVerdict: 1 }],
];

for (const [name, sales, ledgers, expected] of rows) {
  test(`money check: ${name}`, () => {
    assert.deepEqual(countMoney(sales, ledgers), expected);
  });
}
