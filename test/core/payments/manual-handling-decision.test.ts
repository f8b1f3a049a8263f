// Goal: every manual-handling rule (when an operator may retry a dead reversal or resolve a flagged
// payment, and what each resolution does to attempts, status and fee) is one readable row. Method: a
// table of facts, action and expected decision, checked against decideManualHandling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideManualHandling, type ManualHandlingAction, type ManualHandlingDecision, type ManualHandlingFacts } from '../../../src/core/payments/manual-handling-decision.ts';
import type { AttemptState, ReversalState } from '../../../src/core/ports/store.ts';

type AttemptRow = [seq: number, outcome: AttemptState, reversal: ReversalState | null];

function facts(overrides: Partial<ManualHandlingFacts['payment']> & { attempts?: AttemptRow[]; resolution?: ManualHandlingFacts['resolution']; batch?: ManualHandlingFacts['batch'] } = {}): ManualHandlingFacts {
  const { attempts = [[1, 'unknown', 'dead']], resolution = null, batch = null, ...payment } = overrides;
  return {
    payment: { id: 'pay_1', kind: 'sale', status: 'pending', flagged: true, ...payment },
    attempts: attempts.map(([seq, outcome, state]) => ({ seq, outcome, reversal: state === null ? null : { id: `rev_${seq}`, state } })),
    resolution,
    batch,
  };
}

const retry: ManualHandlingAction = { kind: 'retry_reversal' };
const charged: ManualHandlingAction = { kind: 'resolve', outcome: 'charged' };
const notCharged: ManualHandlingAction = { kind: 'resolve', outcome: 'not-charged' };

const refused = (code: string) => ({ refused: code });
type Expected = ManualHandlingDecision | { refused: string };

const rows: Array<[name: string, facts: ManualHandlingFacts, action: ManualHandlingAction, expected: Expected]> = [
  // ---- refusals every action shares, in the order they are checked ----
  ['not flagged: nothing to handle', facts({ flagged: false }), retry, refused('RSW_MANUAL_NOT_FLAGGED')],
  ['not flagged: no resolution either', facts({ flagged: false }), charged, refused('RSW_MANUAL_NOT_FLAGGED')],
  ['resolved once: a second resolution is refused', facts({ resolution: { outcome: 'charged' } }), notCharged, refused('RSW_MANUAL_ALREADY_RESOLVED')],
  ['resolved once: no retry after it', facts({ resolution: { outcome: 'not-charged' } }), retry, refused('RSW_MANUAL_ALREADY_RESOLVED')],
  ['resolved by a confirmed retry: no operator resolution after it', facts({ resolution: { outcome: 'reversed' } }), charged, refused('RSW_MANUAL_ALREADY_RESOLVED')],
  ['a retried reversal is in the queue: no second retry', facts({ attempts: [[1, 'unknown', 'pending']] }), retry, refused('RSW_MANUAL_REVERSAL_IN_PROGRESS')],
  ['a retried reversal is in the queue: no resolution racing the bank', facts({ attempts: [[1, 'unknown', 'pending']] }), charged, refused('RSW_MANUAL_REVERSAL_IN_PROGRESS')],
  ['flagged without a dead reversal (a refund advice)', facts({ kind: 'refund', attempts: [[1, 'pending', null]] }), retry, refused('RSW_MANUAL_NO_DEAD_REVERSAL')],

  // ---- retry now ----
  ['retry: the dead reversal goes back to the queue', facts(), retry, { kind: 'retry_reversals', reversalIds: ['rev_1'] }],
  ['retry: every dead reversal of the payment', facts({ attempts: [[1, 'unknown', 'dead'], [2, 'unknown', 'dead']] }), retry, { kind: 'retry_reversals', reversalIds: ['rev_1', 'rev_2'] }],
  ['retry: allowed for a follow-up too (it only re-sends a reversal)', facts({ kind: 'void', attempts: [[1, 'unknown', 'dead']] }), retry, { kind: 'retry_reversals', reversalIds: ['rev_1'] }],

  // ---- resolve as charged ----
  ['charged: the unknown sale becomes approved and gets its fee', facts(), charged, { kind: 'resolve', outcome: 'charged', attemptOutcomes: [{ seq: 1, outcome: 'approved' }], status: 'approved', fee: 'record' }],
  ['charged: a failed first attempt does not matter', facts({ attempts: [[1, 'not_sent', null], [2, 'unknown', 'dead']] }), charged, { kind: 'resolve', outcome: 'charged', attemptOutcomes: [{ seq: 2, outcome: 'approved' }], status: 'approved', fee: 'record' }],
  ['charged: a pre-authorization becomes an approved hold, no fee', facts({ kind: 'preauth' }), charged, { kind: 'resolve', outcome: 'charged', attemptOutcomes: [{ seq: 1, outcome: 'approved' }], status: 'approved', fee: 'keep' }],
  ['charged: a completion gets its fee', facts({ kind: 'completion' }), charged, { kind: 'resolve', outcome: 'charged', attemptOutcomes: [{ seq: 1, outcome: 'approved' }], status: 'approved', fee: 'record' }],
  [
    'charged: an approved sale whose reversal died stays approved, fee kept',
    facts({ status: 'approved', attempts: [[1, 'approved', 'dead']] }),
    charged,
    { kind: 'resolve', outcome: 'charged', attemptOutcomes: [], status: 'approved', fee: 'keep' },
  ],
  ['charged: two dead reversals do not say which attempt charged', facts({ attempts: [[1, 'unknown', 'dead'], [2, 'unknown', 'dead']] }), charged, refused('RSW_MANUAL_SEVERAL_DEAD_REVERSALS')],
  ['charged: never a second approval', facts({ status: 'approved', attempts: [[1, 'unknown', 'dead'], [2, 'approved', null]] }), charged, refused('RSW_MANUAL_OTHER_APPROVAL')],
  ['charged: not for a void', facts({ kind: 'void' }), charged, refused('RSW_MANUAL_NOT_RESOLVABLE')],
  ['charged: not for a refund', facts({ kind: 'refund' }), charged, refused('RSW_MANUAL_NOT_RESOLVABLE')],
  ['charged: not for a voided sale', facts({ status: 'voided', attempts: [[1, 'approved', 'dead']] }), charged, refused('RSW_MANUAL_NOT_RESOLVABLE')],
  ['charged: a paid batch is final', facts({ batch: { businessDate: '2026-12-05', state: 'paid' } }), charged, refused('RSW_MANUAL_BATCH_PAID')],
  [
    'charged: an open or closed batch takes the sale (settle the day again)',
    facts({ batch: { businessDate: '2026-12-05', state: 'closed' } }),
    charged,
    { kind: 'resolve', outcome: 'charged', attemptOutcomes: [{ seq: 1, outcome: 'approved' }], status: 'approved', fee: 'record' },
  ],
  [
    'charged: an already approved sale does not touch a paid batch',
    facts({ status: 'approved', attempts: [[1, 'approved', 'dead']], batch: { businessDate: '2026-12-05', state: 'paid' } }),
    charged,
    { kind: 'resolve', outcome: 'charged', attemptOutcomes: [], status: 'approved', fee: 'keep' },
  ],

  // ---- resolve as not charged ----
  ['not charged: the unknown sale ends reversed, no fee', facts(), notCharged, { kind: 'resolve', outcome: 'not-charged', attemptOutcomes: [{ seq: 1, outcome: 'reversed' }], status: 'reversed', fee: 'keep' }],
  [
    'not charged: every dead attempt is reversed',
    facts({ attempts: [[1, 'unknown', 'dead'], [2, 'unknown', 'dead']] }),
    notCharged,
    { kind: 'resolve', outcome: 'not-charged', attemptOutcomes: [{ seq: 1, outcome: 'reversed' }, { seq: 2, outcome: 'reversed' }], status: 'reversed', fee: 'keep' },
  ],
  [
    'not charged: an approved sale whose reversal died ends reversed and loses its fee',
    facts({ status: 'approved', attempts: [[1, 'approved', 'dead']] }),
    notCharged,
    { kind: 'resolve', outcome: 'not-charged', attemptOutcomes: [{ seq: 1, outcome: 'reversed' }], status: 'reversed', fee: 'remove' },
  ],
  ['not charged: never hides an approval that was not reversed', facts({ status: 'approved', attempts: [[1, 'unknown', 'dead'], [2, 'approved', null]] }), notCharged, refused('RSW_MANUAL_OTHER_APPROVAL')],
  ['not charged: another unknown attempt without a reversal is recovery\'s', facts({ attempts: [[1, 'unknown', 'dead'], [2, 'unknown', null]] }), notCharged, refused('RSW_MANUAL_NOT_RESOLVABLE')],
  ['not charged: un-approving touches a paid batch', facts({ status: 'approved', attempts: [[1, 'approved', 'dead']], batch: { businessDate: '2026-12-05', state: 'paid' } }), notCharged, refused('RSW_MANUAL_BATCH_PAID')],
  [
    'not charged: a pending sale never was in a batch, paid or not',
    facts({ batch: { businessDate: '2026-12-05', state: 'paid' } }),
    notCharged,
    { kind: 'resolve', outcome: 'not-charged', attemptOutcomes: [{ seq: 1, outcome: 'reversed' }], status: 'reversed', fee: 'keep' },
  ],
  ['not charged: not for a refund', facts({ kind: 'refund' }), notCharged, refused('RSW_MANUAL_NOT_RESOLVABLE')],
];

for (const [name, input, action, expected] of rows) {
  test(name, () => {
    const decision = decideManualHandling(input, action);
    if ('refused' in expected) {
      assert.equal(decision.kind, 'refused', JSON.stringify(decision));
      if (decision.kind === 'refused') {
        assert.equal(decision.refusal.code, expected.refused);
        assert.equal(decision.refusal.params.paymentId, 'pay_1', 'every refusal names the payment');
      }
      return;
    }
    assert.deepEqual(decision, expected);
  });
}

test('a resolution never leaves two approved attempts or an approved payment without one', () => {
  for (const [, input, action] of rows) {
    const decision = decideManualHandling(input, action);
    if (decision.kind !== 'resolve') continue;
    const outcomes = input.attempts.map((attempt) => decision.attemptOutcomes.find((change) => change.seq === attempt.seq)?.outcome ?? attempt.outcome);
    const approved = outcomes.filter((outcome) => outcome === 'approved').length;
    assert.ok(approved <= 1, 'at most one approved attempt');
    assert.equal(decision.status === 'approved', approved === 1, 'approved status exactly when one attempt is approved');
  }
});
