// The alert evaluator's one pure step (docs/alerts.md): take the events that arrived since the last
// step and the store's counts, update the remembered state, find each rule's conditions, group them
// into alerts by the rule's groupBy labels (one alert per group: de-duplication), and decide which
// alerts start, repeat, resolve or stay silent. The caller (src/app/alerts/evaluate-alerts-once.ts)
// stores the new state, the changed alerts and the notifications in one write.
import { createHash } from 'node:crypto';
import { systemFailureCategories, type AlertRule } from './alert-rule.ts';
import { alertStateLimits, type AlertEvaluatorState, type Bucket, type EventCondition } from './alert-state.ts';
import { runbookPathOf, silenceMatches, type AlertNotification, type AlertRecord, type SilenceRecord } from './alert-model.ts';

export interface StreamEvent {
  readonly seq: number;
  readonly type: string;
  readonly subjectId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly atMs: number;
}

export interface AlertObservations {
  /** Events after state.cursor, oldest first. */
  readonly events: readonly StreamEvent[];
  readonly reversalQueue: { readonly pending: number; readonly dead: number; readonly oldestPendingCreatedAtMs: number | null };
  /** Why the store refuses writes now (Store.writeFault), or null. */
  readonly storeWriteFault: string | null;
  /** Each channel breaker's sliding window now (results and failures in it), from this node. */
  readonly channelWindows: readonly { readonly name: string; readonly results: number; readonly failures: number }[];
}

export interface AlertEvaluationInput {
  readonly state: AlertEvaluatorState;
  readonly rules: readonly AlertRule[];
  /** Alerts firing now (state `firing`), whatever their rule. */
  readonly firing: readonly AlertRecord[];
  readonly silences: readonly SilenceRecord[];
  readonly observations: AlertObservations;
  readonly nowMs: number;
}

export interface AlertEvaluation {
  readonly state: AlertEvaluatorState;
  /** Alerts created or changed in this step (to upsert). */
  readonly changed: readonly AlertRecord[];
  readonly notifications: readonly AlertNotification[];
}

/** Members named in an alert's detail; the count covers the rest. */
const detailMembersMax = 5;

/** One thing a rule found wrong now, before grouping. */
export interface AlertCondition {
  readonly labels: Readonly<Record<string, string>>;
  readonly detail: Readonly<Record<string, unknown>>;
}

export function evaluateAlerts(input: AlertEvaluationInput): AlertEvaluation {
  const { nowMs } = input;
  const enabled = input.rules.filter((rule) => rule.enabled);
  const state = advanceState(input.state, input.observations, nowMs, historyMsFor(enabled));
  const changed: AlertRecord[] = [];
  const notifications: AlertNotification[] = [];
  const firingByFingerprint = new Map(input.firing.map((alert) => [alert.fingerprint, alert]));
  const seen = new Set<string>();

  for (const rule of enabled) {
    for (const group of groupConditions(rule, conditionsOf(rule, state, input.observations, nowMs))) {
      seen.add(group.fingerprint);
      const before = firingByFingerprint.get(group.fingerprint);
      const base = before ?? {
        id: alertIdOf(group.fingerprint, nowMs),
        ruleId: rule.id,
        kind: rule.kind,
        fingerprint: group.fingerprint,
        state: 'firing' as const,
        startedAtMs: nowMs,
        resolvedAtMs: null,
        notifiedAtMs: null,
      };
      const silenced = input.silences.some((silence) => silenceMatches(silence, { ruleId: rule.id, kind: rule.kind, labels: group.labels }, nowMs));
      const due = !silenced && (base.notifiedAtMs === null || (rule.repeatIntervalMs > 0 && nowMs - base.notifiedAtMs >= rule.repeatIntervalMs));
      const alert: AlertRecord = { ...base, severity: rule.severity, labels: group.labels, members: group.members, detail: group.detail, updatedAtMs: nowMs, clearSinceMs: null, silenced, notifiedAtMs: due ? nowMs : base.notifiedAtMs };
      if (due) notifications.push(notificationOf(alert, 'firing', base.notifiedAtMs !== null, nowMs));
      if (before === undefined || due || isMaterialChange(before, alert)) changed.push(alert);
    }
  }

  const rulesById = new Map(enabled.map((rule) => [rule.id, rule]));
  for (const alert of input.firing) {
    if (seen.has(alert.fingerprint)) continue;
    const rule = rulesById.get(alert.ruleId);
    const clearSinceMs = alert.clearSinceMs ?? nowMs;
    // A rule turned off or removed resolves its alerts at once; otherwise the condition must stay gone resolveAfterMs.
    const resolves = rule === undefined || nowMs - clearSinceMs >= rule.resolveAfterMs;
    const silenced = input.silences.some((silence) => silenceMatches(silence, alert, nowMs));
    if (resolves) {
      const resolved: AlertRecord = { ...alert, state: 'resolved', resolvedAtMs: nowMs, updatedAtMs: nowMs, clearSinceMs, silenced, members: 0 };
      changed.push(resolved);
      // A resolved notice only follows a firing notice someone received, and not while silenced.
      if (alert.notifiedAtMs !== null && !silenced) notifications.push(notificationOf(resolved, 'resolved', false, nowMs));
    } else if (alert.clearSinceMs === null) {
      changed.push({ ...alert, clearSinceMs, updatedAtMs: nowMs });
    }
  }
  return { state, changed, notifications };
}

function isMaterialChange(before: AlertRecord, after: AlertRecord): boolean {
  return before.members !== after.members || before.silenced !== after.silenced || before.severity !== after.severity || before.clearSinceMs !== after.clearSinceMs;
}

function notificationOf(alert: AlertRecord, status: 'firing' | 'resolved', repeat: boolean, nowMs: number): AlertNotification {
  return {
    alertId: alert.id,
    status,
    repeat,
    ruleId: alert.ruleId,
    kind: alert.kind,
    severity: alert.severity,
    labels: alert.labels,
    members: alert.members,
    detail: alert.detail,
    startedAtMs: alert.startedAtMs,
    atMs: nowMs,
    runbook: runbookPathOf(alert.kind),
  };
}

export function alertIdOf(fingerprint: string, startedAtMs: number): string {
  return `alr_${createHash('sha256').update(`${fingerprint}|${startedAtMs}`).digest('hex').slice(0, 20)}`;
}

/** The fingerprint of a group: rule id plus its groupBy labels in the rule's order. */
export function fingerprintOf(ruleId: string, labels: Readonly<Record<string, string>>, groupBy: readonly string[]): string {
  return [ruleId, ...groupBy.map((label) => `${label}=${labels[label] ?? ''}`)].join('|');
}

interface AlertGroup {
  fingerprint: string;
  labels: Record<string, string>;
  members: number;
  detail: Record<string, unknown>;
}

export function groupConditions(rule: AlertRule, conditions: readonly AlertCondition[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup & { examples: unknown[] }>();
  for (const condition of conditions) {
    const labels: Record<string, string> = {};
    for (const label of rule.groupBy) labels[label] = condition.labels[label] ?? '';
    const fingerprint = fingerprintOf(rule.id, labels, rule.groupBy);
    let group = groups.get(fingerprint);
    if (group === undefined) {
      group = { fingerprint, labels, members: 0, detail: {}, examples: [] };
      groups.set(fingerprint, group);
    }
    group.members += 1;
    if (group.examples.length < detailMembersMax) group.examples.push({ ...condition.labels, ...condition.detail });
  }
  return [...groups.values()].map(({ examples, ...group }) => ({ ...group, detail: { members: examples } }));
}

// ---- conditions per kind ----

export function conditionsOf(rule: AlertRule, state: AlertEvaluatorState, observations: AlertObservations, nowMs: number): AlertCondition[] {
  const p = rule.params;
  const fromSources = (...sources: EventCondition['source'][]): AlertCondition[] =>
    Object.values(state.conditions)
      .filter((condition) => sources.includes(condition.source))
      .sort((a, b) => a.sinceMs - b.sinceMs)
      .map((condition) => ({ labels: condition.labels, detail: { ...condition.detail, since: new Date(condition.sinceMs).toISOString() } }));
  switch (rule.kind) {
    case 'failure_rate_spike':
      return failureSpikes(state, p.dimension as string, p, nowMs);
    case 'circuit_open':
      return fromSources('circuit');
    case 'reversal_queue': {
      const { pending, dead, oldestPendingCreatedAtMs } = observations.reversalQueue;
      const found: AlertCondition[] = [];
      if (pending > (p.depthMax as number)) found.push({ labels: { bound: 'depth' }, detail: { pending, dead, depthMax: p.depthMax } });
      if (oldestPendingCreatedAtMs !== null && nowMs - oldestPendingCreatedAtMs > (p.oldestAgeMsMax as number)) {
        found.push({ labels: { bound: 'age' }, detail: { pending, oldestAgeMs: nowMs - oldestPendingCreatedAtMs, oldestAgeMsMax: p.oldestAgeMsMax } });
      }
      return found;
    }
    case 'manual_handling':
      return fromSources('manual');
    case 'terminal_unhealthy': {
      const problems = p.problems as readonly string[];
      return fromSources(...(problems.map((problem) => (problem === 'quiet' ? 'terminal_quiet' : 'terminal_unhealthy')) as EventCondition['source'][]));
    }
    case 'batch_unbalanced':
      return fromSources('batch');
    case 'store_refusing_writes':
      return observations.storeWriteFault === null ? [] : [{ labels: { store: 'primary' }, detail: { fault: observations.storeWriteFault.slice(0, 200) } }];
    case 'reswipe_block_surge':
      return blockSurges(state, p.dimension as string, p.windowMs as number, p.countMin as number, nowMs);
    case 'scheme_threshold':
      return fromSources('scheme');
    case 'recon_discrepancy_overdue':
      return fromSources('recon');
    default: {
      const unknownKind: never = rule.kind;
      throw new Error(`no conditions for alert kind ${String(unknownKind)}`);
    }
  }
}

function sumBuckets(buckets: readonly Bucket[], fromMs: number, toMs: number): { attempts: number; failures: number; buckets: number } {
  let attempts = 0;
  let failures = 0;
  let count = 0;
  for (const [startMs, a, f] of buckets) {
    if (startMs >= fromMs && startMs < toMs) {
      attempts += a;
      failures += f;
      count += 1;
    }
  }
  return { attempts, failures, buckets: count };
}

function failureSpikes(state: AlertEvaluatorState, dimension: string, p: AlertRule['params'], nowMs: number): AlertCondition[] {
  const windowMs = p.windowMs as number;
  const baselineMs = p.baselineMs as number;
  const found: AlertCondition[] = [];
  const windowStartMs = bucketStartOf(nowMs - windowMs) + alertStateLimits.bucketMs;
  for (const [key, buckets] of Object.entries(state.outcomes)) {
    if (!key.startsWith(`${dimension}|`)) continue;
    const subject = key.slice(dimension.length + 1);
    // Channel buckets hold snapshots of the breaker's sliding window, not counts: the window is the newest one alone.
    const latest = buckets[buckets.length - 1];
    const current = dimension === 'channel' ? { attempts: latest?.[1] ?? 0, failures: latest?.[2] ?? 0 } : sumBuckets(buckets, windowStartMs, nowMs + 1);
    if (current.attempts < (p.attemptsMin as number)) continue;
    const baseline = sumBuckets(buckets, windowStartMs - baselineMs, dimension === 'channel' ? (latest?.[0] ?? 0) : windowStartMs);
    const rateBps = Math.floor((current.failures * 10_000) / current.attempts);
    const baselineRateBps = baseline.attempts === 0 ? 0 : Math.floor((baseline.failures * 10_000) / baseline.attempts);
    const hasBaseline = baseline.attempts >= (p.baselineAttemptsMin as number);
    const thresholdBps = hasBaseline ? Math.max(p.rateMinBps as number, Math.ceil((baselineRateBps * (p.factorPercent as number)) / 100)) : (p.rateWithoutBaselineBps as number);
    if (rateBps >= thresholdBps) {
      found.push({ labels: { dimension, subject }, detail: { attempts: current.attempts, failures: current.failures, rateBps, baselineRateBps: hasBaseline ? baselineRateBps : null, thresholdBps } });
    }
  }
  return found;
}

function blockSurges(state: AlertEvaluatorState, dimension: string, windowMs: number, countMin: number, nowMs: number): AlertCondition[] {
  const found: AlertCondition[] = [];
  const windowStartMs = bucketStartOf(nowMs - windowMs) + alertStateLimits.bucketMs;
  for (const [key, buckets] of Object.entries(state.blocks)) {
    if (!key.startsWith(`${dimension}|`)) continue;
    const { attempts: count } = sumBuckets(buckets, windowStartMs, nowMs + 1);
    if (count >= countMin) found.push({ labels: { dimension, subject: key.slice(dimension.length + 1) }, detail: { blocks: count, windowMs } });
  }
  return found;
}

// ---- state ----

export function bucketStartOf(atMs: number): number {
  return atMs - (((atMs % alertStateLimits.bucketMs) + alertStateLimits.bucketMs) % alertStateLimits.bucketMs);
}

/** The history the enabled rules need (at least one hour), so the state holds no more buckets than that. */
export function historyMsFor(rules: readonly AlertRule[]): number {
  let needed = 3_600_000;
  for (const rule of rules) {
    const windowMs = typeof rule.params.windowMs === 'number' ? rule.params.windowMs : 0;
    const baselineMs = typeof rule.params.baselineMs === 'number' ? rule.params.baselineMs : 0;
    needed = Math.max(needed, windowMs + baselineMs + alertStateLimits.bucketMs);
  }
  return Math.min(needed, alertStateLimits.historyMsMax);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 128) : null;
}

/** Whether a completed payment counts as a failure of the payment path (not a cardholder's decline). */
export function isPathFailure(payload: Readonly<Record<string, unknown>>): boolean {
  const status = payload.status;
  if (status === 'approved' || status === 'voided') return false;
  if (status === 'pending' || status === 'reversed') return true;
  return (systemFailureCategories as readonly unknown[]).includes(payload.category);
}

export function advanceState(previous: AlertEvaluatorState, observations: AlertObservations, nowMs: number, historyMs: number): AlertEvaluatorState {
  const conditions: Record<string, EventCondition> = { ...previous.conditions };
  const outcomes = new Map<string, Bucket[]>(Object.entries(previous.outcomes).map(([key, buckets]) => [key, [...buckets]]));
  const blocks = new Map<string, Bucket[]>(Object.entries(previous.blocks).map(([key, buckets]) => [key, [...buckets]]));
  let cursor = previous.cursor;

  const count = (map: Map<string, Bucket[]>, key: string, atMs: number, attempts: number, failures: number, replace = false) => {
    const startMs = bucketStartOf(atMs);
    const buckets = map.get(key) ?? [];
    const last = buckets[buckets.length - 1];
    if (last !== undefined && last[0] === startMs) buckets[buckets.length - 1] = replace ? [startMs, attempts, failures] : [startMs, last[1] + attempts, last[2] + failures];
    else if (last === undefined || last[0] < startMs) buckets.push([startMs, attempts, failures]);
    // (an event older than the newest bucket of its subject is counted in that bucket: order within a minute does not matter)
    else buckets[buckets.length - 1] = [last[0], last[1] + attempts, last[2] + failures];
    map.delete(key); // re-inserted last: Map order is then least recently active first
    map.set(key, buckets);
  };
  const setCondition = (key: string, condition: EventCondition) => {
    if (conditions[key] === undefined) conditions[key] = condition;
  };

  for (const event of observations.events) {
    if (event.seq <= cursor) continue;
    cursor = event.seq;
    const p = event.payload;
    const subject = event.subjectId ?? '';
    switch (event.type) {
      case 'payment.completed': {
        const failed = isPathFailure(p) ? 1 : 0;
        const merchantId = text(p.merchantId);
        const terminalId = text(p.terminalId);
        if (merchantId !== null) count(outcomes, `merchant|${merchantId}`, event.atMs, 1, failed);
        if (terminalId !== null) count(outcomes, `terminal|${terminalId}`, event.atMs, 1, failed);
        break;
      }
      case 'payment.reswipe_blocked': {
        const merchantId = text(p.merchantId);
        const terminalId = text(p.terminalId);
        if (merchantId !== null) count(blocks, `merchant|${merchantId}`, event.atMs, 1, 0);
        if (terminalId !== null) count(blocks, `terminal|${terminalId}`, event.atMs, 1, 0);
        break;
      }
      case 'channel.opened':
        setCondition(`circuit|${subject}`, { source: 'circuit', labels: { channel: subject }, sinceMs: event.atMs, detail: { reason: text(p.reason) } });
        break;
      case 'channel.closed':
        delete conditions[`circuit|${subject}`];
        break;
      case 'payment.manual_handling':
        setCondition(`manual|${subject}`, { source: 'manual', labels: { paymentId: subject, channel: text(p.channel) ?? '' }, sinceMs: event.atMs, detail: { reason: text(p.reason) } });
        break;
      case 'payment.manual_resolved':
        delete conditions[`manual|${subject}`];
        break;
      case 'terminal.quiet':
        setCondition(`terminal_quiet|${subject}`, { source: 'terminal_quiet', labels: { terminalId: subject, merchantId: text(p.merchantId) ?? '', problem: 'quiet' }, sinceMs: event.atMs, detail: { quietForMs: p.quietForMs ?? null } });
        break;
      case 'terminal.unhealthy':
        setCondition(`terminal_unhealthy|${subject}`, {
          source: 'terminal_unhealthy',
          labels: { terminalId: subject, merchantId: text(p.merchantId) ?? '', problem: 'unhealthy' },
          sinceMs: event.atMs,
          detail: { alarms: Array.isArray(p.alarms) ? p.alarms.slice(0, 8) : null, failureRateBps: p.failureRateBps ?? null },
        });
        break;
      case 'terminal.recovered':
        delete conditions[`terminal_quiet|${subject}`];
        delete conditions[`terminal_unhealthy|${subject}`];
        break;
      case 'batch.unbalanced':
        setCondition(`batch|${subject}`, { source: 'batch', labels: { terminalId: subject, batchNo: text(p.batchNo) ?? '' }, sinceMs: event.atMs, detail: {} });
        break;
      case 'batch.settled':
        delete conditions[`batch|${subject}`];
        break;
      case 'merchant.standing_near':
      case 'merchant.standing_over': {
        // Subject `<merchant>/<measure>/<month>` (docs/standing.md): once per merchant, measure and month. A later
        // month's event for the same merchant and measure ends the earlier month's alert; `over` replaces `near`.
        const merchantId = text(p.merchantId) ?? '';
        const measure = text(p.measure) ?? '';
        const month = text(p.month) ?? '';
        for (const key of Object.keys(conditions)) {
          if (key.startsWith(`scheme|${merchantId}|${measure}|`) && key !== `scheme|${merchantId}|${measure}|${month}`) delete conditions[key];
        }
        const key = `scheme|${merchantId}|${measure}|${month}`;
        delete conditions[key]; // the newest figures replace the older ones
        conditions[key] = {
          source: 'scheme',
          labels: { merchantId, measure, month, state: event.type === 'merchant.standing_over' ? 'over' : 'near' },
          sinceMs: event.atMs,
          detail: { value: p.value ?? null, threshold: p.threshold ?? null, unit: p.unit ?? null, shareBps: p.shareBps ?? null },
        };
        break;
      }
      case 'recon.discrepancy_overdue':
        setCondition(`recon|${subject}`, {
          source: 'recon',
          labels: { discrepancyId: subject, channel: text(p.channel) ?? '', category: text(p.category) ?? '' },
          sinceMs: event.atMs,
          detail: { businessDate: text(p.businessDate), merchantId: text(p.merchantId), differenceMinor: p.differenceMinor ?? null },
        });
        break;
      case 'recon.discrepancy_changed':
        // Resolved or written off ends it; investigating keeps it firing (it is still open money).
        if (p.to === 'resolved' || p.to === 'written_off') delete conditions[`recon|${subject}`];
        break;
      default:
        break;
    }
  }
  for (const window of observations.channelWindows) count(outcomes, `channel|${window.name}`, nowMs, window.results, window.failures, true);

  return { cursor, conditions: boundConditions(conditions), outcomes: prune(outcomes, nowMs - historyMs), blocks: prune(blocks, nowMs - historyMs) };
}

function prune(map: Map<string, Bucket[]>, oldestMs: number): Record<string, Bucket[]> {
  const kept: Array<[string, Bucket[]]> = [];
  for (const [key, buckets] of map) {
    const recent = buckets.filter(([startMs]) => startMs >= bucketStartOf(oldestMs));
    if (recent.length > 0) kept.push([key, recent]);
  }
  // Most recently active last; beyond the bound the least recently active subjects go.
  return Object.fromEntries(kept.slice(-alertStateLimits.subjectsMax));
}

function boundConditions(conditions: Record<string, EventCondition>): Record<string, EventCondition> {
  const entries = Object.entries(conditions);
  if (entries.length <= alertStateLimits.conditionsMax) return conditions;
  // The oldest go first; they are still in the store (manual handling list, terminal views) for anyone who looks.
  return Object.fromEntries(entries.sort((a, b) => a[1].sinceMs - b[1].sinceMs).slice(-alertStateLimits.conditionsMax));
}
