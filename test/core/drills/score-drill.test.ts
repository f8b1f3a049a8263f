import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDrillScenario } from '../../../src/core/drills/drill-scenarios.ts';
import { scoreDrill, scoreMoney, type DrillFacts, type DrillSale } from '../../../src/core/drills/score-drill.ts';

const scenario = findDrillScenario('bank-dies')!;
const sale = (amountMinor: number, startedAtMs: number, endedAtMs: number, status: string, channels: string[], askedAgain = false): DrillSale => ({ amountMinor, startedAtMs, endedAtMs, paymentId: `p${amountMinor}`, status, verdict: null, channels, askedAgain });

function facts(overrides: Partial<DrillFacts> = {}): DrillFacts {
  const sales = [
    sale(1, 0, 10, 'approved', ['a']),
    sale(2, 20, 30, 'approved', ['a']),
    sale(3, 990, 1_400, 'pending', ['a']),
    sale(4, 1_100, 1_600, 'approved', ['a', 'b']),
    sale(5, 1_700, 1_710, 'approved', ['b']),
    sale(6, 3_100, 3_110, 'approved', ['a']),
  ];
  return {
    scenario,
    primaryChannel: 'a',
    sales,
    faultAtMs: 1_000,
    restoreAtMs: 3_000,
    detections: [{ type: 'channel.opened', atMs: 1_300, subjectId: 'a' }],
    alerts: [{ kind: 'circuit_open', atMs: 2_100 }],
    chargesByAmount: new Map([[1, 1], [2, 1], [4, 1], [5, 1], [6, 1]]),
    reversals: { pending: 0, dead: 0 },
    paymentsNotFinal: 0,
    scenarioChecks: [],
    ...overrides,
  };
}

test('a clean failover scores: detection, traffic moved, lost and delayed sales, money exact', () => {
  const score = scoreDrill(facts());
  assert.equal(score.detectedAfterMs, 1_100, 'the first circuit_open alert');
  assert.equal(score.firstEventAfterMs, 300, 'the channel.opened event');
  assert.equal(score.trafficMovedAfterMs, 700, 'the first sale started in the fault window that did not try the primary first');
  assert.equal(score.salesLost, 1);
  assert.equal(score.salesDelayed, 1, 'sale 4 was approved on its second channel');
  assert.deepEqual(score.sales, { total: 6, beforeFault: 2, duringFault: 2, afterFault: 1 });
  assert.equal(score.money.ok, true);
  assert.equal(score.passed, true);
});

test('a second charge, a charge of an unapproved sale or an approved sale not charged breaks money and fails the drill', () => {
  for (const [amount, charges] of [[1, 2], [3, 1], [6, 0]] as const) {
    const chargesByAmount = new Map(facts().chargesByAmount);
    chargesByAmount.set(amount, charges);
    const score = scoreDrill(facts({ chargesByAmount }));
    assert.equal(score.money.ok, false, `amount ${amount} charged ${charges} times`);
    assert.equal(score.passed, false);
  }
});

test('no detection, traffic that never moved, or a manual step left fail the drill with the check named', () => {
  const undetected = scoreDrill(facts({ alerts: [{ kind: 'batch_unbalanced', atMs: 1_200 }] }));
  assert.equal(undetected.detectedAfterMs, null, 'an alert of another kind does not count');
  assert.equal(undetected.passed, false);
  assert.ok(undetected.checks.some((check) => !check.ok && check.name.startsWith('an alert (circuit_open)')));
  const dead = scoreDrill(facts({ reversals: { pending: 0, dead: 1 } }));
  assert.equal(dead.passed, false);
  assert.deepEqual(dead.manualSteps, ['1 reversal(s) in manual handling']);
  const stuck = scoreDrill(facts({ sales: facts().sales.map((one) => ({ ...one, channels: one.channels.map(() => 'a') })) }));
  assert.equal(stuck.trafficMovedAfterMs, null);
  assert.equal(stuck.passed, false);
});

test('scoreMoney counts each kind of error', () => {
  const money = scoreMoney([sale(1, 0, 1, 'approved', []), sale(2, 0, 1, 'declined', []), sale(3, 0, 1, 'approved', [])], new Map([[1, 2], [2, 1]]));
  assert.deepEqual(money, { ok: false, approved: 2, approvedChargedOnce: 0, approvedNotCharged: 1, notApprovedCharged: 1, chargedTwice: 1 });
});
