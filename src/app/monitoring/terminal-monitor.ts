// Terminal monitoring: computes each terminal's stats of the day from the store (computeTerminalStats),
// checks every terminal (check(), run by the gateway's background loop) for the alarms of terminalAlarms, and appends `terminal.quiet`,
// `terminal.unhealthy` and `terminal.recovered` events, once per episode (an alarm that stays raised is not
// repeated at every check). The HTTP terminal routes show the last check of every terminal, and a fresh
// computation for one terminal.
// Which alarms are raised is kept in the store, not in the process (docs/cluster.md): the consumer cursor
// `terminal-monitor` holds them, and each check writes its events with a compare-and-set of that state. So
// a new leader (after a failover or a restart) neither raises an open alarm again nor misses its recovery,
// and of two nodes checking at once (a leadership change in progress) only one check's events are stored.
import type { EventRecord, PaymentRecord, Store, StoreReader, TerminalRecord } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { LoggerLike } from '../../adapters/channels/upstream-channel.ts';
import { computeTerminalStats, terminalAlarms, type TerminalAlarm, type TerminalAlarmSettings, type TerminalStats } from '../../core/monitoring/terminal-stats.ts';
import { localWindows } from '../../core/time/local-windows.ts';

export interface TerminalMonitoringView {
  lastSeenAt: string | null;
  signedOn: boolean;
  attemptsToday: number;
  approvedToday: number;
  failedToday: number;
  failureRateBps: number;
  topCodes: Array<{ code: string; count: number }>;
  chipReadFailures: number;
  fallbackRateBps: number;
  stuckPayments: Array<{ id: string; createdAt: string }>;
  alarms: TerminalAlarm[];
  truncated: boolean;
  checkedAt: string;
}

export interface TerminalMonitorOptions {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  settings: TerminalAlarmSettings;
  /** Minutes east of UTC: "today" is the local business day (480 for China). */
  localOffsetMinutes: number;
}

/** Pages of 500 payments read per terminal and day; a busier terminal's stats say `truncated`. */
const paymentPagesMax = 20;
const pageSize = 500;
/** Terminals one check looks at; the rest wait for the next check (the list is rotated). */
const terminalsPerCheckMax = 5_000;

export class TerminalMonitor {
  readonly #options: TerminalMonitorOptions;
  readonly #cache = new Map<string, TerminalMonitoringView>();
  #rotation = 0;

  constructor(options: TerminalMonitorOptions) {
    this.#options = options;
  }

  /** Fresh stats of one terminal, or null when it does not exist. */
  async terminal(id: string): Promise<TerminalMonitoringView | null> {
    const terminal = await this.#options.store.getTerminal(id);
    if (terminal === null) return null;
    const nowMs = this.#options.clock.nowMs();
    const view = toView(await this.statsOf(terminal, nowMs), terminal, nowMs, this.#options.settings);
    this.#cache.set(id, view);
    return view;
  }

  /** The last computed view of a terminal (from a check or a single read), or null before the first. */
  cached(id: string): TerminalMonitoringView | null {
    return this.#cache.get(id) ?? null;
  }

  async statsOf(terminal: TerminalRecord, nowMs: number): Promise<TerminalStats> {
    const { dayStartMs } = localWindows(nowMs, this.#options.localOffsetMinutes);
    const payments: PaymentRecord[] = [];
    let cursor: string | undefined;
    let truncated = false;
    for (let page = 0; ; page++) {
      if (page >= paymentPagesMax) {
        truncated = true;
        break;
      }
      const result = await this.#options.store.listPayments({ limit: pageSize, terminalId: terminal.id, fromMs: dayStartMs, ...(cursor === undefined ? {} : { cursor }) });
      payments.push(...result.data);
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    return computeTerminalStats(terminal, payments, nowMs, this.#options.settings, truncated);
  }

  /** Checks terminals (bounded per call) and appends an event for every alarm that starts or ends. */
  async check(): Promise<{ checked: number; events: number }> {
    const { store, clock, logger } = this.#options;
    const nowMs = clock.nowMs();
    const all = await store.listTerminals();
    const saved = await store.getConsumerCursor(terminalAlarmsCursorName);
    const raised = saved === null ? await raisedFromEvents(store, all) : raisedOf(saved.state);
    const start = all.length <= terminalsPerCheckMax ? 0 : this.#rotation % all.length;
    const batch = all.length <= terminalsPerCheckMax ? all : [...all.slice(start), ...all.slice(0, start)].slice(0, terminalsPerCheckMax);
    this.#rotation = start + batch.length;
    // Terminals removed since are forgotten; the others keep what was raised until a check says otherwise.
    const existing = new Set(all.map((terminal) => terminal.id));
    const next = new Map([...raised].filter(([id]) => existing.has(id)));
    const events: Array<Omit<EventRecord, 'seq'>> = [];
    const changed: Array<{ terminalId: string; alarms: string[]; recovered: boolean }> = [];
    for (const terminal of batch) {
      const stats = await this.statsOf(terminal, nowMs);
      const view = toView(stats, terminal, nowMs, this.#options.settings);
      this.#cache.set(terminal.id, view);
      const before = new Set(raised.get(terminal.id) ?? []);
      const now = view.alarms.map((alarm) => alarm.kind);
      const started = view.alarms.filter((alarm) => !before.has(alarm.kind));
      const quiet = started.find((alarm) => alarm.kind === 'quiet');
      const unhealthy = started.filter((alarm) => alarm.kind !== 'quiet');
      const recovered = before.size > 0 && now.length === 0;
      if (now.length === 0) next.delete(terminal.id);
      else next.set(terminal.id, now);
      if (quiet === undefined && unhealthy.length === 0 && !recovered) continue;
      const base = { terminalId: terminal.id, merchantId: terminal.merchantId, lastSeenAtMs: stats.lastSeenAtMs };
      if (quiet !== undefined) events.push({ type: 'terminal.quiet', subjectId: terminal.id, payload: { ...base, quietForMs: quiet.kind === 'quiet' ? quiet.quietForMs : 0 }, atMs: nowMs });
      if (unhealthy.length > 0) {
        events.push({
          type: 'terminal.unhealthy',
          subjectId: terminal.id,
          payload: { ...base, alarms: unhealthy, attemptsToday: stats.attemptsToday, failureRateBps: stats.failureRateBps, fallbackRateBps: stats.fallbackRateBps, topCodes: stats.topCodes },
          atMs: nowMs,
        });
      }
      if (recovered) events.push({ type: 'terminal.recovered', subjectId: terminal.id, payload: { ...base, cleared: [...before] }, atMs: nowMs });
      changed.push({ terminalId: terminal.id, alarms: now, recovered });
    }
    if (saved !== null && events.length === 0 && sameRaised(raised, next)) return { checked: batch.length, events: 0 };
    const state: Record<string, unknown> = { raised: Object.fromEntries(next) };
    // A clock that did not move since the last write would make the compare ambiguous, so the write time is always later.
    const writtenAtMs = Math.max(nowMs, (saved?.updatedAtMs ?? 0) + 1);
    const stored = await store.write(async (tx) => {
      if (!(await tx.compareAndSetConsumerCursor({ name: terminalAlarmsCursorName, seq: 0, state, updatedAtMs: writtenAtMs }, saved?.updatedAtMs ?? null))) return false;
      for (const event of events) await tx.appendEvent(event);
      return true;
    });
    if (!stored) {
      // Another node's check wrote first: its events stand; the next check reads its state.
      logger.info({ terminals: batch.length }, 'terminal check superseded by another node; nothing raised by this one');
      return { checked: batch.length, events: 0 };
    }
    for (const entry of changed) logger.warn(entry, 'terminal alarm changed');
    return { checked: batch.length, events: events.length };
  }
}

/** The consumer cursor whose state holds the alarms raised per terminal: `{ raised: { [terminalId]: kinds } }`. */
export const terminalAlarmsCursorName = 'terminal-monitor';

const alarmKinds: ReadonlySet<string> = new Set<TerminalAlarm['kind']>(['quiet', 'failure_rate', 'fallback_rate', 'stuck_payments']);

function raisedOf(state: Record<string, unknown> | null): Map<string, Array<TerminalAlarm['kind']>> {
  const raised = new Map<string, Array<TerminalAlarm['kind']>>();
  const byTerminal = state?.raised;
  if (typeof byTerminal !== 'object' || byTerminal === null) return raised;
  for (const [terminalId, kinds] of Object.entries(byTerminal)) {
    if (!Array.isArray(kinds)) continue;
    const known = kinds.filter((kind): kind is TerminalAlarm['kind'] => typeof kind === 'string' && alarmKinds.has(kind));
    if (known.length > 0) raised.set(terminalId, known);
  }
  return raised;
}

function sameRaised(a: ReadonlyMap<string, readonly string[]>, b: ReadonlyMap<string, readonly string[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, kinds] of a) {
    const other = b.get(id);
    if (other === undefined || [...kinds].sort().join() !== [...other].sort().join()) return false;
  }
  return true;
}

/**
 * The alarms open before the state was kept in the store (a gateway upgraded while some were raised):
 * per terminal, those of its last `terminal.quiet` and `terminal.unhealthy` events written after its last
 * `terminal.recovered`. Read once, on the first check that finds no state.
 */
async function raisedFromEvents(store: StoreReader, terminals: readonly TerminalRecord[]): Promise<Map<string, Array<TerminalAlarm['kind']>>> {
  const raised = new Map<string, Array<TerminalAlarm['kind']>>();
  for (const terminal of terminals) {
    const recoveredSeq = (await store.lastEventOf('terminal.recovered', terminal.id))?.seq ?? 0;
    const quiet = await store.lastEventOf('terminal.quiet', terminal.id);
    const unhealthy = await store.lastEventOf('terminal.unhealthy', terminal.id);
    const kinds = new Set<TerminalAlarm['kind']>();
    if (quiet !== null && quiet.seq > recoveredSeq) kinds.add('quiet');
    if (unhealthy !== null && unhealthy.seq > recoveredSeq && Array.isArray(unhealthy.payload.alarms)) {
      for (const alarm of unhealthy.payload.alarms as unknown[]) {
        const kind = (alarm as { kind?: unknown } | null)?.kind;
        if (typeof kind === 'string' && alarmKinds.has(kind)) kinds.add(kind as TerminalAlarm['kind']);
      }
    }
    if (kinds.size > 0) raised.set(terminal.id, [...kinds]);
  }
  return raised;
}

function toView(stats: TerminalStats, terminal: TerminalRecord, nowMs: number, settings: TerminalAlarmSettings): TerminalMonitoringView {
  return {
    lastSeenAt: stats.lastSeenAtMs === null ? null : new Date(stats.lastSeenAtMs).toISOString(),
    signedOn: stats.signedOn,
    attemptsToday: stats.attemptsToday,
    approvedToday: stats.approvedToday,
    failedToday: stats.failedToday,
    failureRateBps: stats.failureRateBps,
    topCodes: stats.topCodes.map((entry) => ({ ...entry })),
    chipReadFailures: stats.chipReadFailures,
    fallbackRateBps: stats.fallbackRateBps,
    stuckPayments: stats.stuckPayments.map((entry) => ({ id: entry.id, createdAt: new Date(entry.createdAtMs).toISOString() })),
    alarms: terminalAlarms(stats, terminal.state, nowMs, settings),
    truncated: stats.truncated,
    checkedAt: new Date(nowMs).toISOString(),
  };
}
