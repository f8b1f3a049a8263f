// Goal: the five money-safety invariants hold under any mix of lost, delayed, duplicated and
// reordered messages, disconnects and gateway crashes, for card, QR (WeChat Pay, Alipay) and UnionPay QR
// (host link) sales and for the voids and refunds clients send of their approved sales. Method: a swarm of seeded simulations
// (harness.ts) of the real engine, reversal worker and SQLite store in virtual time, each audited
// independently (auditor.ts) against the issuer's ledger and what the clients were told; at least
// 10,000 payments per run. A failure prints the seed and the command that replays it.
//   RESWIPE_SIM_SEED=<n>       replay one seed (with RESWIPE_SIM_PAYMENTS payments, default 500)
//   RESWIPE_SIM_PAYMENTS=<n>   total payments of the swarm (default 10000), or of the one seed
//   RESWIPE_SIM_SEEDS=random   draw the swarm's seeds instead of the fixed 1..N (printed)
//   RESWIPE_SIM_STRICT=1       also fail on the known gaps: recovery announcing one payment unknown more than 20 times,
//                              a refund told accepted reversed by the gateway, a voided sale stored approved again
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeViolations } from './auditor.ts';
import { replayCommand, runSimulation, swarmOptions } from './harness.ts';

const perSeedDefault = 500;
const replaySeed = process.env.RESWIPE_SIM_SEED;
const paymentsTotal = Number(process.env.RESWIPE_SIM_PAYMENTS ?? (replaySeed === undefined ? 10_000 : perSeedDefault));
if (!(Number.isInteger(paymentsTotal) && paymentsTotal > 0 && paymentsTotal <= 10_000_000)) throw new Error('RESWIPE_SIM_PAYMENTS must be a positive integer');

function seedsToRun(): Array<{ seed: number; payments: number }> {
  if (replaySeed !== undefined) {
    const seed = Number(replaySeed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error('RESWIPE_SIM_SEED must be an integer in [0, 2^32)');
    return [{ seed, payments: paymentsTotal }];
  }
  const count = Math.max(1, Math.ceil(paymentsTotal / perSeedDefault));
  const base = process.env.RESWIPE_SIM_SEEDS === 'random' ? Math.floor(Math.random() * 0xffff_0000) : 1;
  if (process.env.RESWIPE_SIM_SEEDS === 'random') console.log(`simulation swarm: seeds ${base}..${base + count - 1}`);
  return Array.from({ length: count }, (_, i) => ({ seed: base + i, payments: Math.min(perSeedDefault, paymentsTotal - i * perSeedDefault) })).filter((run) => run.payments > 0);
}

const runs = seedsToRun();
let audited = 0;
const totals = { crashes: 0, faults: 0, lateReplies: 0, reversalsDone: 0, reversalsDead: 0, terminalReversals: 0, resends: 0, reversalsOfUnseen: 0, manualHandling: 0, pendingFlagged: 0, sweepEventsMax: 0, toldApproved: 0, toldWait: 0, voids: 0, voidsApproved: 0, refunds: 0, refundsAccepted: 0, followUpsManual: 0, refundsReversed: 0, voidedSalesReopened: 0, qrSales: 0, qrToldApproved: 0, qrPaidTrades: 0, qrCancelledAfterPaid: 0, qrManual: 0, qrRefundsAccepted: 0, qrVoidsApproved: 0, qrCrashes: 0, unionPayQrSales: 0, unionPayQrToldApproved: 0, unionPayQrCharges: 0, unionPayQrChargesReversed: 0, unionPayQrReversalsDone: 0, unionPayQrCrashes: 0, unionPayQrFollowUps: 0, goodCardSales: 0, goodCardApproved: 0, recoveredSales: 0 };

for (const { seed, payments } of runs) {
  test(`seed ${seed}: ${payments} payments keep every money invariant`, async () => {
    const options = { ...swarmOptions(seed, payments), strict: process.env.RESWIPE_SIM_STRICT === '1' };
    const result = await runSimulation(options);
    audited += result.report.counts.payments;
    const { counts } = result.report;
    const { network } = result.stats;
    totals.crashes += result.stats.crashes;
    totals.faults += network.sent - network.faults.none;
    totals.lateReplies += network.lateReplies;
    totals.reversalsDone += counts.reversalsDone;
    totals.reversalsDead += counts.reversalsDead;
    totals.terminalReversals += counts.terminalReversals;
    totals.resends += counts.duplicateSends;
    totals.reversalsOfUnseen += network.issuerOutcomes.reversal_unknown ?? 0;
    totals.manualHandling += counts.manualHandling;
    totals.pendingFlagged += result.report.findings.pendingFlagged;
    totals.sweepEventsMax = Math.max(totals.sweepEventsMax, result.report.findings.sweepEventsMax);
    totals.toldApproved += counts.toldApproved;
    totals.toldWait += counts.toldWait;
    totals.voids += counts.voidsSent;
    totals.voidsApproved += counts.voidsApproved;
    totals.refunds += counts.refundsSent;
    totals.refundsAccepted += counts.refundsAccepted;
    totals.followUpsManual += counts.followUpsManual;
    totals.refundsReversed += result.report.findings.refundsReversed;
    totals.voidedSalesReopened += result.report.findings.voidedSalesReopened;
    totals.qrSales += counts.qrSales;
    totals.qrToldApproved += counts.qrToldApproved;
    totals.qrPaidTrades += counts.qrPaidTrades;
    totals.qrCancelledAfterPaid += counts.qrCancelledAfterPaid;
    totals.qrManual += counts.qrManual;
    totals.qrRefundsAccepted += counts.qrRefundsAccepted;
    totals.qrVoidsApproved += counts.qrVoidsApproved;
    totals.qrCrashes += options.qrCrashes;
    totals.unionPayQrSales += counts.unionPayQrSales;
    totals.unionPayQrToldApproved += counts.unionPayQrToldApproved;
    totals.unionPayQrCharges += counts.unionPayQrCharges;
    totals.unionPayQrChargesReversed += counts.unionPayQrChargesReversed;
    totals.unionPayQrReversalsDone += counts.unionPayQrReversalsDone;
    totals.unionPayQrCrashes += result.stats.unionPayQrCrashes;
    totals.unionPayQrFollowUps += counts.unionPayQrFollowUps;
    totals.goodCardSales += counts.goodCardSales;
    totals.goodCardApproved += counts.goodCardApproved;
    totals.recoveredSales += counts.recoveredSales;
    if (!result.report.ok) {
      const message = [
        `simulation seed ${seed} broke ${result.report.violations.length} check(s):`,
        describeViolations(result.report),
        `fault mix: ${JSON.stringify({ network: options.network, link: options.link, crashes: options.crashes, qrCrashes: options.qrCrashes, unionPayQrCrashes: options.unionPayQrCrashes })}`,
        `replay: ${process.env.RESWIPE_SIM_STRICT === '1' ? 'RESWIPE_SIM_STRICT=1 ' : ''}${replayCommand(seed, payments)}`,
      ].join('\n');
      console.error(message);
      assert.fail(message);
    }
    // The run must really have exercised the system: every payment reached the store or a client answer.
    assert.equal(result.report.counts.payments, payments);
    assert.ok(result.report.counts.storePayments > 0, `seed ${seed}: no payment reached the store`);
    // QR sales were in the mix and reached the providers (a fifth of the sales: certain from 100 payments on).
    if (payments >= 100) assert.ok(counts.qrSales > 0 && result.stats.qrNetwork.processed.pay > 0, `seed ${seed}: no QR sale reached a provider`);
    // UnionPay QR sales were in the mix and reached the issuer (a tenth of the sales).
    if (payments >= 100) assert.ok(counts.unionPayQrSales > 0 && counts.unionPayQrPresented > 0, `seed ${seed}: no UnionPay QR sale reached the issuer`);
  });
}

test('one channel: every money invariant holds and sales are approved on a new attempt after a confirmed reversal', async () => {
  // Before the retry after a confirmed reversal, a route of one channel never recovered such a sale (0 here).
  const result = await runSimulation({ ...swarmOptions(2, 300), channelCount: 1 });
  assert.deepEqual(result.report.violations, [], describeViolations(result.report));
  assert.ok(result.report.counts.recoveredSales > 0, `no sale recovered: ${JSON.stringify(result.report.counts)}`);
  console.log(`simulation, one channel: ${result.report.counts.goodCardApproved} of ${result.report.counts.goodCardSales} good-card sales approved, ${result.report.counts.recoveredSales} after a failed attempt`);
});

test('the swarm audited the payments it promised', () => {
  const expected = runs.reduce((sum, run) => sum + run.payments, 0);
  assert.equal(audited, expected);
  if (replaySeed === undefined && process.env.RESWIPE_SIM_PAYMENTS === undefined) assert.ok(audited >= 10_000);
  console.log(`simulation: ${audited} payments audited; ${JSON.stringify(totals)}`);
  // Recovery under the swarm's faults (reported, not a pass mark: some seeds cut every channel off for 90 s).
  const approvedShare = totals.goodCardSales === 0 ? 0 : totals.goodCardApproved / totals.goodCardSales;
  console.log(`simulation recovery: ${totals.goodCardApproved} of ${totals.goodCardSales} good-card sales approved (${(approvedShare * 100).toFixed(1)} %), ${totals.recoveredSales} after a failed attempt`);
});
