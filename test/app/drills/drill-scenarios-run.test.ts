// Every drill scenario, short version, in its own sandbox (real sockets: two issuer simulators, the real
// gateway, closed-loop sale lanes): the score must pass, money must be exact against the banks' own books,
// and the measures the report promises must be there. The full versions' scores are in docs/drills.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drillScenarios } from '../../../src/core/drills/drill-scenarios.ts';
import { runDrill } from '../../../src/app/drills/run-drill.ts';
import { startDrillSandbox } from '../../../src/app/drills/drill-sandbox.ts';
import { createLogger } from '../../../src/adapters/log/logger.ts';
import { formatDrillScore } from '../../../src/core/drills/score-drill.ts';

const logger = createLogger({ level: process.env.DRILL_LOG_LEVEL ?? 'silent', name: 'drill', destination: 2 });

for (const scenario of drillScenarios) {
  test(`drill ${scenario.name}: ${scenario.title.en}`, { timeout: 120_000 }, async () => {
    const target = await startDrillSandbox(logger);
    try {
      const run = await runDrill(target, scenario, 'short');
      console.log(`DRILL ${JSON.stringify(run.score)}`);
      const { score } = run;
      assert.equal(score.scenario, scenario.name);
      assert.ok(score.money.ok, `money exact: ${JSON.stringify(score.money)}`);
      assert.ok(score.money.approved > 0 && score.money.approvedChargedOnce === score.money.approved, 'approved sales were made and each is charged once');
      assert.ok(score.sales.beforeFault > 0 && score.sales.duringFault > 0 && score.sales.afterFault > 0, 'traffic before, during and after the fault');
      if (scenario.bar.detectedWithinMs !== null) assert.notEqual(score.detectedAfterMs, null, 'the fault was detected');
      if (scenario.bar.trafficMovedWithinMs !== null) assert.notEqual(score.trafficMovedAfterMs, null, 'traffic moved to the backup');
      assert.ok(score.passed, `the drill passes its bar:\n${formatDrillScore(score)}`);
    } finally {
      await target.close();
    }
  });
}
