// Benchmark: how many good-card sales end approved when the banks misbehave, and what the recovery costs
// in time. Real processes (test/support/recovery-run.ts): `reswipe serve`, one or two `reswipe issuer-sim`
// misbehaving on a share of requests (reversals included), several terminals sending paced sales over
// ISO 8583 and following each answer's verdict inside a 60 s budget. Three runs in one go: the fault-free
// baseline (two issuers), two issuers at the fault rate, one issuer at the fault rate. Prints approved
// shares, latency p50/p95 and the added latency against the baseline, the money checks against the
// issuers' ledgers, the gateway's peak RSS, and a JSON last line.
// Usage: npm run bench:recovery [salesPerTerminal=30] [terminals=6] [faultRate=0.25]
import { runRecovery, type RecoveryRunOptions, type RecoveryRunResult } from '../test/support/recovery-run.ts';

const salesPerTerminal = Number(process.argv[2] ?? 30);
const terminals = Number(process.argv[3] ?? 6);
const faultRate = Number(process.argv[4] ?? 0.25);

const common: Omit<RecoveryRunOptions, 'issuers' | 'faultRate' | 'firstAmountMinor' | 'seed'> = {
  salesPerTerminal,
  terminals,
  paceMs: 100,
  budgetMs: 60_000,
  // A bank link timeout of 5 s, and late replies well past it (they are timeouts to the gateway).
  channelTimeoutMs: 5_000,
  lateReplyMs: 8_000,
};

function line(name: string, run: RecoveryRunResult, baseline: RecoveryRunResult | null): string {
  const share = (value: number) => `${(value * 100).toFixed(2)} %`;
  const added = baseline === null ? '' : `, added p50 ${run.latencyMs.p50 - baseline.latencyMs.p50} ms, p95 ${run.latencyMs.p95 - baseline.latencyMs.p95} ms, p50 ratio ${(run.latencyMs.p50 / Math.max(1, baseline.latencyMs.p50)).toFixed(2)}x baseline`;
  const money = run.money;
  return [
    `${name}: ${run.sales.length} sales, approved ${share(run.approvedShare)} (first try ${share(run.approvedFirstTryShare)}), latency p50 ${run.latencyMs.p50} ms, p95 ${run.latencyMs.p95} ms, max ${run.latencyMs.max} ms${added}`,
    `  money: double charges ${money.doubleCharged}, approved not charged ${money.approvedNotCharged}, refused but charged ${money.declinedButCharged}, failures without a verdict ${money.failuresWithoutVerdict}, books settled ${money.settled}`,
    ...run.sales.filter((sale) => !sale.approved).map((sale) => `  not approved: ${sale.amountMinor} fen after ${sale.tries} tries, ${sale.latencyMs} ms: ${sale.responseCode ?? 'no answer'} ${sale.verdict ?? ''} ${JSON.stringify(sale.message ?? '')}`),
    `  answers: ${Object.entries(run.answers).map(([answer, count]) => `${answer} ${count}`).join(', ')}; gateway peak RSS ${run.gatewayPeakRssMb} MB; ${(run.durationMs / 1000).toFixed(0)} s`,
  ].join('\n');
}

function summary(run: RecoveryRunResult, baseline: RecoveryRunResult) {
  return {
    sales: run.sales.length,
    approvedShare: Number(run.approvedShare.toFixed(4)),
    approvedFirstTryShare: Number(run.approvedFirstTryShare.toFixed(4)),
    p50Ms: run.latencyMs.p50,
    p95Ms: run.latencyMs.p95,
    addedP50Ms: run.latencyMs.p50 - baseline.latencyMs.p50,
    addedP95Ms: run.latencyMs.p95 - baseline.latencyMs.p95,
    money: run.money,
    answers: run.answers,
    gatewayPeakRssMb: run.gatewayPeakRssMb,
  };
}

async function main(): Promise<void> {
  console.log(`recovery bench: ${terminals} terminals x ${salesPerTerminal} sales per run, faults on ${(faultRate * 100).toFixed(0)} % of requests per issuer, channel timeout ${common.channelTimeoutMs} ms, budget ${common.budgetMs} ms`);
  const baseline = await runRecovery({ ...common, issuers: 2, faultRate: 0, seed: 101, firstAmountMinor: 10_001 });
  console.log(line('baseline, two issuers, no faults', baseline, null));
  const two = await runRecovery({ ...common, issuers: 2, faultRate, seed: 202, firstAmountMinor: 20_001 });
  console.log(line(`two issuers at ${faultRate * 100} %`, two, baseline));
  const one = await runRecovery({ ...common, issuers: 1, faultRate, seed: 303, firstAmountMinor: 30_001 });
  console.log(line(`one issuer at ${faultRate * 100} %`, one, baseline));
  const peakRssMb = Math.max(baseline.gatewayPeakRssMb, two.gatewayPeakRssMb, one.gatewayPeakRssMb);
  console.log(`goals: two issuers >= 99 % approved: ${two.approvedShare >= 0.99}; one issuer >= 97 %: ${one.approvedShare >= 0.97}; median added latency < 2 s: ${Math.max(two.latencyMs.p50, one.latencyMs.p50) - baseline.latencyMs.p50 < 2_000}`);
  console.log(
    JSON.stringify({
      terminals,
      salesPerTerminal,
      faultRate,
      channelTimeoutMs: common.channelTimeoutMs,
      baseline: { p50Ms: baseline.latencyMs.p50, p95Ms: baseline.latencyMs.p95, approvedShare: baseline.approvedShare },
      twoIssuers: summary(two, baseline),
      oneIssuer: summary(one, baseline),
      gatewayPeakRssMb: peakRssMb,
    }),
  );
}

void main();
