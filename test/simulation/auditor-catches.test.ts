// Goal: prove the simulation's auditor can fail, and that a run replays exactly from its seed.
// Method: the same harness with a deliberately broken channel wrapper that resends a timed-out sale
// blindly as a new request (the double charge the invariants forbid) must be reported, so must one that
// resends an unanswered refund advice as a new advice (a refund credited twice), an engine that retries
// an unknown attempt before its reversal is confirmed (two live charges at once), a store that
// forgets idempotency keys (so resends become new payments) must be reported, so must a QR channel that
// pays an unanswered pay again as a new order (the customer paid twice) and one that reads no answer as
// paid (approved with no paid trade at the provider), so must a channel that sends an unanswered UnionPay
// QR sale again as a new request (a spent one-time code presented again; the issuer refuses it and the
// customer, charged by the first, is told declined), the code-by-code check must report a code charged
// twice, the log scan must find a code in a line that holds it, and two runs of one seed must give
// identical audits and statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactForLog } from '../../src/adapters/log/logger.ts';
import { IssuerBook } from '../../src/sim/issuer/issuer-book.ts';
import { runSimulation, swarmOptions } from './harness.ts';
import { LogSecretScan } from './log-secret-scan.ts';
import type { SimPayment } from './auditor.ts';
import { auditUnionPayQrCodes, emptyUnionPayQrCounts } from './unionpay-qr-audit.ts';

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
  // Card sales only: the bug is on the host link's refund advices, and QR sales would take the refunds this seed needs.
  const base = swarmOptions(13, 300);
  const result = await runSimulation({
    ...base,
    qrShare: 0,
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

/** Mostly QR sales on a lossy QR network, without crashes: what the two broken QR channels below need to show. */
function qrFaultOptions() {
  const base = swarmOptions(14, 200);
  return { ...base, crashes: 0, qrCrashes: 0, outageMs: 0, qrShare: 0.6, qrNetwork: { ...base.qrNetwork, notSent: 0, requestLost: 0.08, answerLost: 0.15, slowAnswer: 0.05, badSignature: 0 } };
}

test('a QR channel that pays an unanswered pay again as a new order is caught charging twice', async () => {
  const result = await runSimulation({ ...qrFaultOptions(), brokenQrBlindRepay: true });
  assert.equal(result.report.ok, false, 'the auditor must report the second order');
  assert.ok(
    result.report.violations.some((violation) => violation.invariant === 1 && /orders at the provider for one QR sale|the pay reached the provider \d+ times/.test(violation.message)),
    `expected a second order, got ${JSON.stringify(result.report.violations.slice(0, 3))}`,
  );
});

test('a QR channel that reads no answer as paid is caught telling approved without a paid trade', async () => {
  const result = await runSimulation({ ...qrFaultOptions(), brokenQrTrustNoAnswer: true });
  assert.equal(result.report.ok, false, 'the auditor must report the approval without a trade');
  assert.ok(
    result.report.violations.some((violation) => violation.invariant === 4 && /told approved but the provider holds 0 paid trades|stored approved but the provider holds 0 paid trades/.test(violation.message)),
    `expected an approval without a paid trade, got ${JSON.stringify(result.report.violations.slice(0, 3))}`,
  );
});

test('the same QR faults without a broken channel keep every check', async () => {
  const result = await runSimulation(qrFaultOptions());
  assert.deepEqual(result.report.violations, []);
  assert.ok(result.report.counts.qrCancelledAfterPaid > 0, `no paid trade was cancelled: ${JSON.stringify(result.report.counts)}`);
});

/** Mostly UnionPay QR sales on a host link that loses replies, without crashes: what the broken channel below needs to show. */
function unionPayQrFaultOptions() {
  const base = swarmOptions(15, 150);
  return {
    ...base,
    crashes: 0,
    qrCrashes: 0,
    unionPayQrCrashes: 0,
    outageMs: 0,
    qrShare: 0,
    unionPayQrShare: 0.6,
    network: { ...base.network, notSent: 0, requestLost: 0.05, replyLost: 0.15, connectionLost: 0, lateReply: 0 },
  };
}

test('a channel that sends an unanswered UnionPay QR sale again as a new request is caught presenting a spent code', async () => {
  const result = await runSimulation({ ...unionPayQrFaultOptions(), brokenUnionPayQrResend: true });
  assert.equal(result.report.ok, false, 'the auditor must report the spent code sent again');
  assert.ok(
    result.report.violations.some((violation) => violation.invariant === 1 && /UnionPay QR code \d{4}…\d{4} was presented again \d+ time\(s\) after the issuer charged it/.test(violation.message)),
    `expected a spent code presented again, got ${JSON.stringify(result.report.violations.slice(0, 3))}`,
  );
  // The issuer refused the second presentation (a code pays once), so the customer was told declined while charged.
  assert.ok(
    result.report.violations.some((violation) => violation.invariant === 4 && /told 54 \(completed\) but charged 1 times/.test(violation.message)),
    `expected a refusal told while charged, got ${JSON.stringify(result.report.violations.slice(0, 3))}`,
  );
});

test('the same UnionPay QR faults without a broken channel keep every check, reversing the unknown outcomes', async () => {
  const result = await runSimulation(unionPayQrFaultOptions());
  assert.deepEqual(result.report.violations, []);
  assert.ok(result.report.counts.unionPayQrSales > 40, `too few UnionPay QR sales: ${JSON.stringify(result.report.counts)}`);
  assert.ok(result.report.counts.unionPayQrChargesReversed > 0 && result.report.counts.unionPayQrReversalsDone > 0, `no UnionPay QR charge was reversed: ${JSON.stringify(result.report.counts)}`);
});

test('the code-by-code check reports a UnionPay QR code charged twice, even with one charge reversed', () => {
  const code = '6200000010000000000';
  const payment: SimPayment = {
    ...{ index: 0, client: 0, intake: 'http', terminalId: null, method: 'unionpay-qr', pan: '', authCode: code, amountMinor: 1_001, stan: null, transmittedAt: null },
    ...{ answers: [], told: null, sends: 1, gaveUp: false, reversalSent: false, reversalCode: null, followUps: [] },
  };
  const presentation = { code, qrEntry: true, mti: '0200', amountMinor: 1_001, responseCode: '00', charged: true };
  const violations: string[] = [];
  const counts = emptyUnionPayQrCounts();
  auditUnionPayQrCodes([payment], [{ ...presentation, key: 'a', atMs: 1 }, { ...presentation, key: 'b', atMs: 2 }], new IssuerBook(), counts, (invariant, _payment, message) => violations.push(`${invariant}: ${message}`));
  assert.ok(violations.some((violation) => /^1: UnionPay QR code 6200…0000 charged 2 times/.test(violation)), JSON.stringify(violations));
  assert.ok(violations.some((violation) => /^1: .*presented again 1 time/.test(violation)), JSON.stringify(violations));
  assert.ok(violations.every((violation) => !violation.includes(code)), 'a violation never names the code in full');
  assert.equal(counts.unionPayQrCharges, 2);
});

test('the log scan finds a code in a line that holds it, and not in the line as the production logger renders it', () => {
  const code = '6200000020000000012';
  const line = { request: { mti: '0200', note: `scanned ${code}` } };
  const raw = new LogSecretScan();
  raw.watch([code]);
  raw.scan(line, 'sale received');
  assert.deepEqual([...raw.found], [[code, 'sale received']]);
  const rendered = new LogSecretScan();
  rendered.watch([code]);
  rendered.scan(redactForLog(line), redactForLog('sale received'));
  assert.equal(rendered.found.size, 0);
});

test('the same seed replays the same run', async () => {
  const first = await runSimulation(swarmOptions(3, 150));
  const second = await runSimulation(swarmOptions(3, 150));
  assert.deepEqual(second.report, first.report);
  assert.deepEqual(second.stats, first.stats);
  assert.ok(first.stats.network.sent > 0);
});
