// Scores one drill run (docs/drills.md): from the sales the lanes made, the instants of the fault, the
// events the gateway raised and the banks' own books, what an emergency plan must answer: how long
// until the fault was noticed, how long until traffic moved, which sales were lost or delayed, whether
// money stayed exact (every approved sale charged exactly once, nothing else charged), and which manual
// steps were left. Pure: the runner gathers the facts.
import type { DrillScenario } from './drill-scenarios.ts';

/** One sale a lane made, with what the gateway finally said about it. */
export interface DrillSale {
  /** Unique per run: how the sale is found in the banks' books. */
  amountMinor: number;
  startedAtMs: number;
  endedAtMs: number;
  paymentId: string | null;
  /** The final status the client holds (`approved`, `declined`, `unknown`, or `http-<status>` / `no-answer`). */
  status: string;
  verdict: string | null;
  /** Channels tried, in order. */
  channels: readonly string[];
  /** True when the client lost its first answer and asked again with the same key. */
  askedAgain: boolean;
}

export interface DrillFacts {
  scenario: DrillScenario;
  primaryChannel: string;
  sales: readonly DrillSale[];
  faultAtMs: number;
  restoreAtMs: number;
  /** Events of the scenario's `detectedBy` types raised at or after the fault, oldest first. */
  detections: ReadonlyArray<{ type: string; atMs: number; subjectId: string | null }>;
  /** `alert.firing` notices raised at or after the fault: the alert's kind and when. */
  alerts: ReadonlyArray<{ kind: string; atMs: number }>;
  /** Standing charges per sale amount across every bank's book (charges not reversed). */
  chargesByAmount: ReadonlyMap<number, number>;
  /** The reversal queue after the drain. */
  reversals: { pending: number; dead: number };
  /** Payments still not final after the drain. */
  paymentsNotFinal: number;
  /** What the scenario itself checked (the batch answer, replays), each with its outcome. */
  scenarioChecks: ReadonlyArray<DrillCheck>;
}

export interface DrillCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface DrillMoney {
  ok: boolean;
  approved: number;
  /** Approved sales charged exactly once. */
  approvedChargedOnce: number;
  /** Approved sales with no standing charge. */
  approvedNotCharged: number;
  /** Sales not approved with a standing charge. */
  notApprovedCharged: number;
  /** Sales charged more than once. */
  chargedTwice: number;
}

export interface DrillScore {
  scenario: string;
  passed: boolean;
  /** From the fault to the first alert of the scenario's kinds (null: none fired). */
  detectedAfterMs: number | null;
  /** From the fault to the first event of the scenario's kinds (the gateway saw it, before anyone was told). */
  firstEventAfterMs: number | null;
  trafficMovedAfterMs: number | null;
  sales: { total: number; beforeFault: number; duringFault: number; afterFault: number };
  salesLost: number;
  salesDelayed: number;
  worstDelayMs: number;
  money: DrillMoney;
  manualSteps: string[];
  checks: DrillCheck[];
}

function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] as number;
}

export function scoreMoney(sales: readonly DrillSale[], chargesByAmount: ReadonlyMap<number, number>): DrillMoney {
  const money: DrillMoney = { ok: true, approved: 0, approvedChargedOnce: 0, approvedNotCharged: 0, notApprovedCharged: 0, chargedTwice: 0 };
  for (const sale of sales) {
    const charges = chargesByAmount.get(sale.amountMinor) ?? 0;
    if (charges > 1) money.chargedTwice++;
    if (sale.status === 'approved') {
      money.approved++;
      if (charges === 1) money.approvedChargedOnce++;
      else if (charges === 0) money.approvedNotCharged++;
    } else if (charges > 0) {
      money.notApprovedCharged++;
    }
  }
  money.ok = money.chargedTwice === 0 && money.approvedNotCharged === 0 && money.notApprovedCharged === 0;
  return money;
}

export function scoreDrill(facts: DrillFacts): DrillScore {
  const { scenario, sales, faultAtMs, restoreAtMs } = facts;
  const before = sales.filter((sale) => sale.endedAtMs < faultAtMs);
  const hit = sales.filter((sale) => sale.endedAtMs >= faultAtMs && sale.startedAtMs < restoreAtMs);
  const during = sales.filter((sale) => sale.startedAtMs >= faultAtMs && sale.startedAtMs < restoreAtMs);
  const after = sales.filter((sale) => sale.startedAtMs >= restoreAtMs);
  const normalP99Ms = percentile(before.map((sale) => sale.endedAtMs - sale.startedAtMs).sort((a, b) => a - b), 0.99);
  const lost = hit.filter((sale) => sale.status !== 'approved');
  const delayed = hit.filter(
    (sale) => sale.status === 'approved' && (sale.askedAgain || sale.channels.length > 1 || sale.endedAtMs - sale.startedAtMs > Math.max(2 * normalP99Ms, 100)),
  );
  const moved = during.find((sale) => sale.channels.length > 0 && sale.channels[0] !== facts.primaryChannel);
  // A circuit event counts only for the bank that was broken.
  const firstEvent = facts.detections.find((event) => event.atMs >= faultAtMs && (!event.type.startsWith('channel.') || event.subjectId === facts.primaryChannel));
  const alerted = facts.alerts.find((alert) => alert.atMs >= faultAtMs && scenario.alertKinds.includes(alert.kind));
  const money = scoreMoney(sales, facts.chargesByAmount);

  const manualSteps: string[] = [];
  if (facts.reversals.dead > 0) manualSteps.push(`${facts.reversals.dead} reversal(s) in manual handling`);
  if (facts.reversals.pending > 0) manualSteps.push(`${facts.reversals.pending} reversal(s) still queued after the drain`);
  if (facts.paymentsNotFinal > 0) manualSteps.push(`${facts.paymentsNotFinal} payment(s) not final after the drain`);

  const detectedAfterMs = alerted === undefined ? null : alerted.atMs - faultAtMs;
  const firstEventAfterMs = firstEvent === undefined ? null : firstEvent.atMs - faultAtMs;
  const trafficMovedAfterMs = moved === undefined ? null : moved.startedAtMs - faultAtMs;
  const bar = scenario.bar;
  const lostShare = hit.length === 0 ? 0 : lost.length / hit.length;
  const checks: DrillCheck[] = [
    { name: 'money exact: every approved sale charged once, nothing else charged', ok: money.ok, detail: JSON.stringify(money) },
    { name: 'traffic before the fault approved', ok: before.length > 0 && before.every((sale) => sale.status === 'approved'), detail: `${before.length} sale(s)` },
    { name: `traffic before the fault went to ${facts.primaryChannel} first`, ok: before.every((sale) => sale.channels[0] === facts.primaryChannel), detail: `${before.filter((sale) => sale.channels[0] !== facts.primaryChannel).length} did not` },
    { name: `sales lost at most ${Math.round(bar.lostShareMax * 100)} % of those the fault hit`, ok: lostShare <= bar.lostShareMax, detail: `${lost.length} of ${hit.length}` },
    { name: `manual steps at most ${bar.manualStepsMax}`, ok: manualSteps.length <= bar.manualStepsMax, detail: manualSteps.join('; ') || 'none' },
  ];
  if (bar.detectedWithinMs !== null) {
    checks.push({ name: `an alert (${scenario.alertKinds.join(', ')}) within ${bar.detectedWithinMs} ms`, ok: detectedAfterMs !== null && detectedAfterMs <= bar.detectedWithinMs, detail: detectedAfterMs === null ? 'no alert fired' : `${detectedAfterMs} ms` });
  }
  if (bar.trafficMovedWithinMs !== null) {
    checks.push({ name: `traffic moved off ${facts.primaryChannel} within ${bar.trafficMovedWithinMs} ms`, ok: trafficMovedAfterMs !== null && trafficMovedAfterMs <= bar.trafficMovedWithinMs, detail: trafficMovedAfterMs === null ? 'never moved' : `${trafficMovedAfterMs} ms` });
  }
  if (bar.returnsToPrimary) {
    const back = after.find((sale) => sale.status === 'approved' && sale.channels[0] === facts.primaryChannel);
    checks.push({ name: `traffic back on ${facts.primaryChannel} after the fault`, ok: back !== undefined, detail: back === undefined ? 'never came back' : `${back.startedAtMs - restoreAtMs} ms after the fault was lifted` });
  }
  checks.push(...facts.scenarioChecks);

  return {
    scenario: scenario.name,
    passed: checks.every((check) => check.ok),
    detectedAfterMs,
    firstEventAfterMs,
    trafficMovedAfterMs,
    sales: { total: sales.length, beforeFault: before.length, duringFault: during.length, afterFault: after.length },
    salesLost: lost.length,
    salesDelayed: delayed.length,
    worstDelayMs: Math.max(0, ...hit.map((sale) => sale.endedAtMs - sale.startedAtMs)),
    money,
    manualSteps,
    checks,
  };
}

/** The report as a table for a terminal: one row per measure, then the checks. */
export function formatDrillScore(score: DrillScore): string {
  const rows: Array<[string, string]> = [
    ['scenario', score.scenario],
    ['passed', score.passed ? 'yes' : 'NO'],
    ['first alert after', score.detectedAfterMs === null ? '-' : `${score.detectedAfterMs} ms`],
    ['first event after', score.firstEventAfterMs === null ? '-' : `${score.firstEventAfterMs} ms`],
    ['traffic moved after', score.trafficMovedAfterMs === null ? '-' : `${score.trafficMovedAfterMs} ms`],
    ['sales (before / during / after)', `${score.sales.beforeFault} / ${score.sales.duringFault} / ${score.sales.afterFault}`],
    ['sales lost', String(score.salesLost)],
    ['sales delayed', String(score.salesDelayed)],
    ['worst delay', `${score.worstDelayMs} ms`],
    ['money', score.money.ok ? `ok (${score.money.approvedChargedOnce} approved, each charged once)` : `WRONG ${JSON.stringify(score.money)}`],
    ['manual steps', score.manualSteps.length === 0 ? 'none' : score.manualSteps.join('; ')],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  lines.push('', 'checks:');
  for (const check of score.checks) lines.push(`  [${check.ok ? 'ok' : 'FAIL'}] ${check.name}${check.detail === undefined ? '' : ` (${check.detail})`}`);
  return lines.join('\n');
}
