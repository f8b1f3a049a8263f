// Scheduled drills (docs/drills.md#scheduled-drills): each `drills.schedule` entry runs its scenario
// against a staging gateway and its sandbox banks at the times its cron expression names, in the
// business time zone. One drill at a time (a due drill waits for the one running); each report is
// stored and announced by a `drill.completed` event, which alerts and webhooks read. A drill that
// cannot run (the target unreachable) is stored as failed with the reason: a rehearsal that did not
// happen is a finding too.
import { readFileSync } from 'node:fs';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';
import { findDrillScenario } from '../../core/drills/drill-scenarios.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { DrillReportRecord, Store } from '../../core/ports/store.ts';
import { nextCronTime, parseCron, type CronSchedule } from '../../core/time/cron.ts';
import { remoteDrillTarget } from './remote-drill-target.ts';
import { runDrill, type DrillRun } from './run-drill.ts';
import { drillReportOf, unrunDrillReport } from './store-drill-report.ts';

type ScheduleEntry = ReswipeConfig['drills']['schedule'][number];

export interface DrillSchedulerDeps {
  schedule: readonly ScheduleEntry[];
  timeZone: string;
  store: Pick<Store, 'write'>;
  logger: LoggerLike;
  nowMs?: () => number;
  /** The drill runner; the real one by default (tests pass their own). */
  run?: (entry: ScheduleEntry) => Promise<DrillRun>;
}

export interface DrillScheduler {
  /** When each entry runs next (null: never within the search bound), in schedule order. */
  nextRuns(): Array<number | null>;
  stop(): Promise<void>;
}

/** setTimeout's longest delay; a later fire time is reached by re-arming. */
const timerMsMax = 2_147_000_000;

function runScheduled(entry: ScheduleEntry): Promise<DrillRun> {
  const scenario = findDrillScenario(entry.scenario);
  if (scenario === undefined) throw new Error(`broken invariant: scenario ${entry.scenario} passed config validation`);
  const [host, port] = entry.terminalLink === undefined ? [] : [entry.terminalLink.slice(0, entry.terminalLink.lastIndexOf(':')), Number(entry.terminalLink.slice(entry.terminalLink.lastIndexOf(':') + 1))];
  const target = remoteDrillTarget({
    gatewayUrl: entry.gatewayUrl,
    apiKey: readFileSync(entry.apiKeyFile, 'utf8').trim(),
    primary: entry.primary,
    backup: entry.backup,
    ...(entry.merchantId === undefined ? {} : { merchantId: entry.merchantId }),
    terminals: entry.terminals,
    terminalLink: host === undefined || port === undefined ? null : { host, port },
  });
  return runDrill(target, scenario, entry.short ? 'short' : 'full');
}

export function startDrillScheduler(deps: DrillSchedulerDeps): DrillScheduler {
  const nowMs = deps.nowMs ?? (() => Date.now());
  const run = deps.run ?? runScheduled;
  const schedules: CronSchedule[] = deps.schedule.map((entry) => {
    const parsed = parseCron(entry.cron);
    if ('error' in parsed) throw new Error(`broken invariant: cron ${entry.cron} passed config validation: ${parsed.error}`);
    return parsed;
  });
  const next: Array<number | null> = schedules.map((schedule) => nextCronTime(schedule, nowMs(), deps.timeZone));
  const timers: Array<NodeJS.Timeout | null> = schedules.map(() => null);
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  async function runOne(index: number): Promise<void> {
    const entry = deps.schedule[index] as ScheduleEntry;
    const startedAtMs = nowMs();
    let record: DrillReportRecord;
    try {
      record = drillReportOf(await run(entry));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.logger.error({ scenario: entry.scenario, target: entry.gatewayUrl, err: reason }, 'scheduled drill could not run');
      record = unrunDrillReport({ scenario: entry.scenario, target: entry.gatewayUrl, startedAtMs, durationMs: nowMs() - startedAtMs, reason });
    }
    await deps.store.write(async (tx) => {
      await tx.insertDrillReport(record);
      await tx.appendEvent({ type: 'drill.completed', subjectId: record.id, payload: { scenario: record.scenario, passed: record.passed, target: record.target, scheduled: true }, atMs: nowMs() });
    });
    deps.logger.info({ scenario: record.scenario, passed: record.passed, reportId: record.id }, 'scheduled drill finished');
  }

  function arm(index: number): void {
    if (stopped) return;
    const at = next[index] ?? null;
    if (at === null) return;
    const delay = Math.max(0, at - nowMs());
    timers[index] = setTimeout(
      () => {
        if (delay >= timerMsMax) return arm(index);
        next[index] = nextCronTime(schedules[index] as CronSchedule, at, deps.timeZone);
        chain = chain.then(() => (stopped ? undefined : runOne(index))).catch((error: unknown) => deps.logger.error({ err: String(error) }, 'scheduled drill report could not be stored'));
        arm(index);
      },
      Math.min(delay, timerMsMax),
    );
    timers[index].unref?.();
  }
  schedules.forEach((_, index) => arm(index));

  return {
    nextRuns: () => [...next],
    async stop() {
      stopped = true;
      for (const timer of timers) if (timer !== null) clearTimeout(timer);
      await chain;
    },
  };
}
