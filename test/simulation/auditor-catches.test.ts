// Goal: prove the simulation's auditor can fail, and that a run replays exactly from its seed.
// Method: the same harness with a deliberately broken channel wrapper that resends a timed-out sale
// blindly as a new request (the double charge the invariants forbid) must be reported, so must one that
// resends an unanswered refund advice as a new advice (a refund credited twice), an engine that retries
// an unknown attempt before its reversal is confirmed (two live charges at once), a store that
// forgets idempotency keys (so resends become new payments) must be reported, and two runs of one
// seed must give identical audits and statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, swarmOptions } from './harness.ts';

test('a channel that resends a timed-out sale blindly is caught charging twice', async () => {
  const base = swarmOptions(11, 200);
  const result = await runSimulation({
    ...base,
    crashes: 0,
    network: { ...base.network, notSent: 0, requestLost: 0.05, replyLost: 0.15, lateReply: 0 },
    brokenBlindResend: true,
  });
  assert.equal(result.report.ok, false, 'the auditor must report the blind resend');
  const invariants = new Set(result.report.violations.map((violation) => violation.invariant));
  assert.ok(invariants.has(1) || invariants.has(4), `expected a double charge, got ${JSON.stringify(result.report.violations.slice(0, 3))}`);
});

test('a refund advice resent blindly as a new one is caught crediting twice', async () => {
  const base = swarmOptions(13, 300);
  const result = await runSimulation({
    ...base,
    crashes: 0,
    outageMs: 0,
    network: { ...base.network, notSent: 0, requestLost: 0, replyLost: 0.3, connectionLost: 0, lateReply: 0 },
    brokenBlindAdvice: true,
  });
  assert.equal(result.report.ok, false, 'the auditor must report the double refund');
  assert.ok(
    result.report.violations.some((violation) => /refund of \d+ fen (told accepted but )?credited 2 times/.test(violation.message)),
    `expected a refund credited twice, got ${JSON.stringify(result.report.violations.slice(0, 3))}`,
  );
});

test("a retry sent before the unknown attempt's reversal settled is caught charging twice at once", async () => {
  // The same faults without the bug keep every check (the second run): the new attempt is the danger, not the retry.
  const base = swarmOptions(11, 200);
  const options = { ...base, crashes: 0, network: { ...base.network, notSent: 0, requestLost: 0.05, replyLost: 0.15, lateReply: 0 } };
  const broken = await runSimulation({ ...options, brokenRetryBeforeReversal: true });
  assert.equal(broken.report.ok, false, 'the auditor must report the retry that did not wait for the reversal');
  assert.ok(
    broken.report.violations.some((violation) => violation.invariant === 1 && /charged twice at once/.test(violation.message)),
    `expected two live charges at once, got ${JSON.stringify(broken.report.violations.slice(0, 3))}`,
  );
  const correct = await runSimulation(options);
  assert.deepEqual(correct.report.violations, []);
  assert.ok(correct.report.counts.recoveredSales > 0, 'the correct engine recovers sales on the same faults');
});

test('a store that forgets idempotency keys is caught creating second payments for resends', async () => {
  const base = swarmOptions(12, 200);
  const result = await runSimulation({
    ...base,
    isoTerminals: 3,
    httpClients: 1,
    link: { ...base.link, answerLost: 0.2, duplicateSend: 0.3 },
    clientTriesMax: 3,
    terminalReversals: 0,
    brokenForgetfulIdempotency: true,
  });
  assert.equal(result.report.ok, false, 'the auditor must report the duplicate payments');
  assert.ok(
    result.report.violations.some((violation) => violation.invariant === 2),
    `expected an invariant 2 violation, got ${JSON.stringify(result.report.violations.slice(0, 3))}`,
  );
});

test('the same seed replays the same run', async () => {
  const first = await runSimulation(swarmOptions(3, 150));
  const second = await runSimulation(swarmOptions(3, 150));
  assert.deepEqual(second.report, first.report);
  assert.deepEqual(second.stats, first.stats);
  assert.ok(first.stats.network.sent > 0);
});
