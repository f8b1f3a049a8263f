// A drill run as the record the store keeps (GET /v1/drills).
import { randomUUID } from 'node:crypto';
import type { DrillReportRecord } from '../../core/ports/store.ts';
import type { DrillRun } from './run-drill.ts';

export function drillReportOf(run: DrillRun): DrillReportRecord {
  return {
    id: `drl_${randomUUID().replaceAll('-', '')}`,
    scenario: run.score.scenario,
    passed: run.score.passed,
    target: run.target,
    startedAtMs: run.startedAtMs,
    durationMs: run.durationMs,
    report: { ...run.score },
  };
}

/** A scheduled drill that could not run (the target unreachable): stored as failed with the reason. */
export function unrunDrillReport(input: { scenario: string; target: string; startedAtMs: number; durationMs: number; reason: string }): DrillReportRecord {
  return {
    id: `drl_${randomUUID().replaceAll('-', '')}`,
    scenario: input.scenario,
    passed: false,
    target: input.target,
    startedAtMs: input.startedAtMs,
    durationMs: input.durationMs,
    report: { scenario: input.scenario, passed: false, ran: false, error: input.reason },
  };
}
