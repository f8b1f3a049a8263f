// The drill scheduler fires each entry at its cron time (in the business zone), stores the report and a
// drill.completed event in one write, and stores a drill that could not run as failed with the reason.
// The clock is shifted so the next whole minute is 100 ms after the scheduler's first reading: the
// timers are real, the waits short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import { startDrillScheduler } from '../../../src/app/drills/drill-scheduler.ts';
import type { DrillRun } from '../../../src/app/drills/run-drill.ts';
import { waitingFor } from '../../support/wait-for.ts';
import { validateConfig } from '../../../src/core/config/config-schema.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

function scheduleOf(scenario: string) {
  return validateConfig({
    security: { developmentMode: true },
    drills: { schedule: [{ scenario, cron: '* * * * *', gatewayUrl: 'http://staging.invalid:8080', apiKeyFile: '/nonexistent/key', primary: { channel: 'bank-a', adminUrl: 'http://a.invalid' }, backup: { channel: 'bank-b', adminUrl: 'http://b.invalid' } }] },
  }).drills.schedule;
}

/**
 * A clock whose FIRST reading (the scheduler arming its timer) is 100 ms before a whole minute. Fixed at
 * the first reading, not when made: on a loaded machine the config's validation between the two can take
 * longer than 100 ms, and a minute already passed would put the drill a whole minute away.
 */
function clockNearMinute(): () => number {
  let offset: number | null = null;
  return () => {
    const now = Date.now();
    offset ??= Math.ceil(now / 60_000) * 60_000 + 60_000 - 100 - now;
    return now + offset;
  };
}

const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 50 });

test('a due drill runs, its report is stored and drill.completed raised', async () => {
  const store = await openStore('sqlite::memory:');
  const nowMs = clockNearMinute();
  const runs: string[] = [];
  const scheduler = startDrillScheduler({
    schedule: scheduleOf('bank-slow'),
    timeZone: 'Asia/Shanghai',
    store,
    logger: silent,
    nowMs,
    run: async (entry) => {
      runs.push(entry.scenario);
      return { score: { scenario: entry.scenario, passed: true } as DrillRun['score'], startedAtMs: nowMs(), durationMs: 5, target: entry.gatewayUrl } satisfies DrillRun;
    },
  });
  const first = scheduler.nextRuns()[0] ?? 0;
  assert.equal(first % 60_000, 0, 'fires on a whole minute');
  try {
    await waitFor('the scheduled drill', async () => (await store.listDrillReports({ limit: 10 })).length === 1);
    const [report] = await store.listDrillReports({ limit: 10 });
    assert.equal(report?.scenario, 'bank-slow');
    assert.equal(report?.passed, true);
    assert.equal(report?.target, 'http://staging.invalid:8080');
    const events = await store.listEvents(0, 10, 'drill.completed');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.subjectId, report?.id);
    assert.deepEqual(events[0]?.payload, { scenario: 'bank-slow', passed: true, target: 'http://staging.invalid:8080', scheduled: true });
    assert.equal(scheduler.nextRuns()[0], first + 60_000, 're-armed for the next minute');
    assert.deepEqual(runs, ['bank-slow']);
  } finally {
    await scheduler.stop();
    await store.close();
  }
});

test('a drill that cannot run is stored as failed with the reason', async () => {
  const store = await openStore('sqlite::memory:');
  // The real runner: the API key file does not exist, so the drill cannot start.
  const scheduler = startDrillScheduler({ schedule: scheduleOf('bank-dies'), timeZone: 'Asia/Shanghai', store, logger: silent, nowMs: clockNearMinute() });
  try {
    await waitFor('the scheduled drill', async () => (await store.listDrillReports({ limit: 10 })).length === 1);
    const [report] = await store.listDrillReports({ limit: 10 });
    assert.equal(report?.passed, false);
    assert.equal(report?.report.ran, false);
    assert.match(String(report?.report.error), /nonexistent/);
    assert.equal((await store.listEvents(0, 10, 'drill.completed'))[0]?.payload.passed, false);
  } finally {
    await scheduler.stop();
    await store.close();
  }
});
