// Terminal monitoring: computes each terminal's stats of the day from the store (computeTerminalStats),
// checks every terminal (check(), run by the gateway's background loop) for the alarms of terminalAlarms, and appends `terminal.quiet`,
// `terminal.unhealthy` and `terminal.recovered` events, once per episode (an alarm that stays raised is not
// repeated at every check). The HTTP terminal routes show the last check of every terminal, and a fresh
// computation for one terminal.
import type { PaymentRecord, Store, TerminalRecord } from '../../core/ports/store.ts';
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
  readonly #raised = new Map<string, Set<TerminalAlarm['kind']>>();
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
    const nowMs = this.#options.clock.nowMs();
    const all = await this.#options.store.listTerminals();
    const start = all.length <= terminalsPerCheckMax ? 0 : this.#rotation % all.length;
    const batch = all.length <= terminalsPerCheckMax ? all : [...all.slice(start), ...all.slice(0, start)].slice(0, terminalsPerCheckMax);
    this.#rotation = start + batch.length;
    let events = 0;
    for (const terminal of batch) {
      const stats = await this.statsOf(terminal, nowMs);
      const view = toView(stats, terminal, nowMs, this.#options.settings);
      this.#cache.set(terminal.id, view);
      const before = this.#raised.get(terminal.id) ?? new Set<TerminalAlarm['kind']>();
      const now = new Set(view.alarms.map((alarm) => alarm.kind));
      const started = view.alarms.filter((alarm) => !before.has(alarm.kind));
      const quiet = started.find((alarm) => alarm.kind === 'quiet');
      const unhealthy = started.filter((alarm) => alarm.kind !== 'quiet');
      const recovered = before.size > 0 && now.size === 0;
      this.#raised.set(terminal.id, now);
      if (quiet === undefined && unhealthy.length === 0 && !recovered) continue;
      await this.#options.store.write(async (tx) => {
        const base = { terminalId: terminal.id, merchantId: terminal.merchantId, lastSeenAtMs: stats.lastSeenAtMs };
        if (quiet !== undefined) {
          await tx.appendEvent({ type: 'terminal.quiet', subjectId: terminal.id, payload: { ...base, quietForMs: quiet.kind === 'quiet' ? quiet.quietForMs : 0 }, atMs: nowMs });
          events += 1;
        }
        if (unhealthy.length > 0) {
          await tx.appendEvent({
            type: 'terminal.unhealthy',
            subjectId: terminal.id,
            payload: { ...base, alarms: unhealthy, attemptsToday: stats.attemptsToday, failureRateBps: stats.failureRateBps, fallbackRateBps: stats.fallbackRateBps, topCodes: stats.topCodes },
            atMs: nowMs,
          });
          events += 1;
        }
        if (recovered) {
          await tx.appendEvent({ type: 'terminal.recovered', subjectId: terminal.id, payload: { ...base, cleared: [...before] }, atMs: nowMs });
          events += 1;
        }
      });
      this.#options.logger.warn({ terminalId: terminal.id, alarms: view.alarms.map((alarm) => alarm.kind), recovered }, 'terminal alarm changed');
    }
    return { checked: batch.length, events };
  }
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
