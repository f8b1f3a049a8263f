// The emergency drills reswipe can rehearse (docs/drills.md): what each one breaks, what it expects to
// see, and the bar a run must clear. Pure data; the runner (src/app/drills/) injects the faults and
// scoreDrill (score-drill.ts) turns what happened into a report.
import type { BilingualText } from '../vocabulary.ts';

export const drillScenarioNames = [
  'bank-dies',
  'bank-black-hole',
  'bank-slow',
  'bank-flaps',
  'terminal-network-drops',
  'reversal-backlog',
  'batch-unbalanced',
] as const;
export type DrillScenarioName = (typeof drillScenarioNames)[number];

/** What the runner does to the sandbox (or the target's sandbox banks) during the fault window. */
export type DrillFault =
  /** The primary bank's process stops (sandbox); against a target its link drops every connection instead. */
  | { kind: 'bank-stops' }
  /** The primary bank takes requests and answers none, reversals included. */
  | { kind: 'bank-silent' }
  /** Every reply of the primary bank comes later than the channel timeout. */
  | { kind: 'bank-late'; lateReplyMs: number }
  /** The primary bank's link drops every connection for `periodMs`, then works for `periodMs`, and so on. */
  | { kind: 'bank-flapping'; periodMs: number }
  /** The terminals' network cuts their requests after `cutAfterMs`; once it is back they ask again with the same key. */
  | { kind: 'terminal-network'; cutAfterMs: number }
  /** The primary bank loses a share of its replies after charging, and its reversal processing stops. */
  | { kind: 'reversals-stuck'; replyLostShare: number }
  /** A terminal's batch settlement (0500) reports totals that differ from the journal. */
  | { kind: 'batch-totals-differ' };

export interface DrillPassBar {
  /** An alert of the scenario's kinds must fire within this long of the fault; null: no alert expected. */
  detectedWithinMs: number | null;
  /** New sales must stop trying the primary within this long; null: not part of this scenario. */
  trafficMovedWithinMs: number | null;
  /** Most sales that may end not approved, as a share of the sales started during the fault (0-1). */
  lostShareMax: number;
  /** Every approved sale charged once and nothing else charged (always true: money is never traded). */
  moneyExact: true;
  /** Manual steps (payments in manual handling, reversals left pending) allowed. */
  manualStepsMax: number;
  /** Traffic must be back on the primary bank once the fault is lifted. */
  returnsToPrimary: boolean;
}

export interface DrillScenario {
  name: DrillScenarioName;
  title: BilingualText;
  /** What the plan must do, in the words of an emergency plan (应急预案). */
  rehearses: BilingualText;
  fault: DrillFault;
  /** Alert kinds (docs/alerts.md) whose first `alert.firing` after the fault is the detection. */
  alertKinds: readonly string[];
  /** Event types on the durable stream that show the gateway saw the fault (reported beside the alert). */
  detectedBy: readonly string[];
  bar: DrillPassBar;
}

export interface DrillTimings {
  /** Normal traffic before the fault. */
  normalMs: number;
  /** How long the fault lasts. */
  faultMs: number;
  /** Traffic after the fault is lifted (reconnects, half-open trials, the queue draining). */
  recoverMs: number;
  /** Longest wait for every payment to be final and the reversal queue empty after the traffic stops. */
  drainMsMax: number;
  /** Closed-loop sale lanes (one per terminal). */
  lanes: number;
}

/** The full drill (docs/drills.md has its figures) and the short one CI runs. */
export const drillTimings = {
  full: { normalMs: 3_000, faultMs: 10_000, recoverMs: 12_000, drainMsMax: 60_000, lanes: 8 },
  short: { normalMs: 1_500, faultMs: 4_000, recoverMs: 8_000, drainMsMax: 30_000, lanes: 8 },
} as const satisfies Record<string, DrillTimings>;
export type DrillLength = keyof typeof drillTimings;

const bankBar: DrillPassBar = { detectedWithinMs: 5_000, trafficMovedWithinMs: 5_000, lostShareMax: 0.5, moneyExact: true, manualStepsMax: 0, returnsToPrimary: true };

export const drillScenarios: readonly DrillScenario[] = Object.freeze([
  {
    name: 'bank-dies',
    title: { zh: '主用银行宕机', en: 'The primary bank dies' },
    rehearses: { zh: '主用通道断开后自动切换到备用通道；恢复后切回。', en: 'Sales move to the backup bank when the primary goes down, and come back when it returns.' },
    fault: { kind: 'bank-stops' },
    alertKinds: ['circuit_open'],
    detectedBy: ['channel.opened'],
    bar: bankBar,
  },
  {
    name: 'bank-black-hole',
    title: { zh: '主用银行无应答（黑洞）', en: 'The primary bank goes silent (black hole)' },
    rehearses: { zh: '请求发出后无应答：结果未知的交易冲正，不重复扣款；新交易走备用通道。', en: 'Requests go unanswered: unknown outcomes are reversed, never charged twice; new sales take the backup.' },
    fault: { kind: 'bank-silent' },
    alertKinds: ['circuit_open'],
    detectedBy: ['channel.opened'],
    bar: bankBar,
  },
  {
    name: 'bank-slow',
    title: { zh: '主用银行响应变慢', en: 'The primary bank turns slow' },
    rehearses: { zh: '应答晚于通道超时：按未知结果冲正，迟到的应答不造成重复扣款。', en: 'Replies arrive after the channel timeout: reversed as unknown outcomes; late replies never charge twice.' },
    fault: { kind: 'bank-late', lateReplyMs: 3_000 },
    alertKinds: ['circuit_open'],
    detectedBy: ['channel.opened'],
    bar: bankBar,
  },
  {
    name: 'bank-flaps',
    title: { zh: '主用银行线路时断时续', en: 'The link to the primary bank flaps' },
    rehearses: { zh: '线路反复断开：熔断器不来回抖动，交易持续成功。', en: 'The link keeps dropping: the breaker does not thrash and sales keep being approved.' },
    fault: { kind: 'bank-flapping', periodMs: 500 },
    alertKinds: ['circuit_open'],
    detectedBy: ['channel.opened'],
    bar: { ...bankBar, trafficMovedWithinMs: null },
  },
  {
    name: 'terminal-network-drops',
    title: { zh: '终端网络中断', en: "The terminals' network drops" },
    rehearses: { zh: '终端收不到应答：恢复后用同一笔交易查询结果，不重刷、不重复扣款。', en: 'Terminals lose their answers: once back they ask for the same sale again; no re-swipe, no second charge.' },
    fault: { kind: 'terminal-network', cutAfterMs: 30 },
    alertKinds: [],
    detectedBy: [],
    bar: { detectedWithinMs: null, trafficMovedWithinMs: null, lostShareMax: 0.1, moneyExact: true, manualStepsMax: 0, returnsToPrimary: false },
  },
  {
    name: 'reversal-backlog',
    title: { zh: '冲正队列积压', en: 'The reversal queue backs up' },
    rehearses: { zh: '银行不处理冲正：冲正排队重试，银行恢复后全部冲正成功，不需人工处理。', en: 'The bank stops taking reversals: they queue and retry, and all settle once it is back, with no manual step.' },
    fault: { kind: 'reversals-stuck', replyLostShare: 0.3 },
    alertKinds: ['reversal_queue'],
    detectedBy: ['payment.unknown'],
    bar: { detectedWithinMs: 5_000, trafficMovedWithinMs: null, lostShareMax: 0.6, moneyExact: true, manualStepsMax: 0, returnsToPrimary: true },
  },
  {
    name: 'batch-unbalanced',
    title: { zh: '批结算不平', en: 'A batch does not balance' },
    rehearses: { zh: '终端批结算总额与网关流水不符：答复95并发出事件；收银员按提示做批上送（0320）查找差异。', en: "A terminal's settlement totals differ from the journal: answered 95 and an event raised; the terminal then uploads the batch (0320) to find the difference." },
    fault: { kind: 'batch-totals-differ' },
    alertKinds: ['batch_unbalanced'],
    detectedBy: ['batch.unbalanced'],
    bar: { detectedWithinMs: 5_000, trafficMovedWithinMs: null, lostShareMax: 0, moneyExact: true, manualStepsMax: 0, returnsToPrimary: false },
  },
] satisfies DrillScenario[]);

export function findDrillScenario(name: string): DrillScenario | undefined {
  return drillScenarios.find((scenario) => scenario.name === name);
}
