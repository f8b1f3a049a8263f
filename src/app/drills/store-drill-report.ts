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
