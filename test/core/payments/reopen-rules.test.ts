// Goal: a closing follow-up reversed later reopens its original exactly when nothing else still closes
// it, and prices it again unless it is a hold. Method: one table row per case through decideReopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideReopen, type ReopenDecision, type ReopenRequest } from '../../../src/core/payments/reopen-rules.ts';

const voidOf = { id: 'pay_void', kind: 'void' as const };
const rows: Array<[string, ReopenRequest, ReopenDecision]> = [
  ['a reversed void reopens its sale and its fee', { reversed: voidOf, original: { status: 'voided' }, followUps: [{ ...voidOf, status: 'reversed' }] }, { kind: 'reopen', recordFee: true }],
  ['a reversed completion void reopens its completion and its fee', { reversed: { id: 'pay_cv', kind: 'completion_void' }, original: { status: 'voided' }, followUps: [] }, { kind: 'reopen', recordFee: true }],
  ['a reversed cancel reopens its hold, which has no fee', { reversed: { id: 'pay_cancel', kind: 'preauth_cancel' }, original: { status: 'voided' }, followUps: [] }, { kind: 'reopen', recordFee: false }],
  ['another void still approved keeps the sale closed', { reversed: voidOf, original: { status: 'voided' }, followUps: [{ id: 'pay_void_2', kind: 'void', status: 'approved' }] }, { kind: 'keep' }],
  ['another void declined does not', { reversed: voidOf, original: { status: 'voided' }, followUps: [{ id: 'pay_void_2', kind: 'void', status: 'declined' }] }, { kind: 'reopen', recordFee: true }],
  ['an original not closed (the void never approved) stays as it is', { reversed: voidOf, original: { status: 'approved' }, followUps: [] }, { kind: 'keep' }],
  ['a hold released at expiry is not reopened by a reversed completion', { reversed: { id: 'pay_capture', kind: 'completion' }, original: { status: 'voided' }, followUps: [] }, { kind: 'keep' }],
  ['a refund closes nothing', { reversed: { id: 'pay_refund', kind: 'refund' }, original: { status: 'voided' }, followUps: [] }, { kind: 'keep' }],
];

for (const [name, request, expected] of rows) {
  test(`decideReopen: ${name}`, () => {
    assert.deepEqual(decideReopen(request), expected);
  });
}
