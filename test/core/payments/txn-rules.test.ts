// Goal: every refusal rule of void, refund, completion and cancel fires on exactly the case it names,
// with its catalogue code, reason text and DE 39. Method: one readable table row per case over the
// pure rules, plus fast-check properties that refunds never exceed the original and a completion
// never captures more than the authorized amount plus the tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FollowUp, FollowUpOriginal } from '../../../src/core/payments/follow-up-original.ts';
import { decideVoid, type VoidRequest } from '../../../src/core/payments/void-rules.ts';
import { decideRefund, nextAdviceStep, refundableMinor } from '../../../src/core/payments/refund-rules.ts';
import { dayMs, decideHoldClose, isHoldReleasable, maxCompletionMinor, type HoldRequest } from '../../../src/core/payments/preauth-rules.ts';
import type { TxnRuleResult } from '../../../src/core/payments/txn-rule-result.ts';

const t0 = Date.UTC(2026, 10, 25, 2, 0, 0);
const sale: FollowUpOriginal = { id: 'pay_1', kind: 'sale', status: 'approved', terminalId: 'T0000001', amountMinor: 10_000, currency: 'CNY', createdAtMs: t0 };
const preauth: FollowUpOriginal = { ...sale, id: 'pay_2', kind: 'preauth' };
const policy = { completionToleranceBps: 1500, holdExpiryDays: 30 };

function codeOf(result: TxnRuleResult): string {
  return result.kind === 'allowed' ? 'allowed' : result.code;
}

const voidBase: VoidRequest = {
  operation: 'void',
  original: sale,
  followUps: [],
  amountMinor: 10_000,
  currency: 'CNY',
  terminalId: 'T0000001',
  originalBusinessDate: '2026-11-25',
  todayBusinessDate: '2026-11-25',
  batchClosedAtMs: null,
};

const voidRows: Array<[string, Partial<VoidRequest>, string]> = [
  ['same day, same batch, same terminal, full amount', {}, 'allowed'],
  ['batch closed before the sale (a new batch)', { batchClosedAtMs: t0 - 1 }, 'allowed'],
  ['original not found', { original: null }, 'RSW_TXN_ORIGINAL_NOT_FOUND'],
  ['original is a refund', { original: { ...sale, kind: 'refund' } }, 'RSW_TXN_ORIGINAL_WRONG_KIND'],
  ['original declined', { original: { ...sale, status: 'declined' } }, 'RSW_TXN_ORIGINAL_NOT_APPROVED'],
  ['original still pending', { original: { ...sale, status: 'pending' } }, 'RSW_TXN_ORIGINAL_NOT_APPROVED'],
  ['already voided', { original: { ...sale, status: 'voided' }, followUps: [{ kind: 'void', status: 'approved', amountMinor: 10_000 }] }, 'RSW_TXN_ALREADY_VOIDED'],
  ['a void in flight', { followUps: [{ kind: 'void', status: 'pending', amountMinor: 10_000 }] }, 'RSW_TXN_ALREADY_VOIDED'],
  ['an earlier void declined does not block', { followUps: [{ kind: 'void', status: 'declined', amountMinor: 10_000 }] }, 'allowed'],
  ['another terminal', { terminalId: 'T0000002' }, 'RSW_TXN_VOID_OTHER_TERMINAL'],
  ['next business day', { todayBusinessDate: '2026-11-26' }, 'RSW_TXN_VOID_OTHER_DAY'],
  ['batch already settled', { batchClosedAtMs: t0 + 60_000 }, 'RSW_TXN_BATCH_SETTLED'],
  ['partly refunded', { followUps: [{ kind: 'refund', status: 'approved', amountMinor: 100 }] }, 'RSW_TXN_HAS_REFUNDS'],
  ['partial amount', { amountMinor: 5_000 }, 'RSW_TXN_VOID_AMOUNT'],
  ['zero amount', { amountMinor: 0 }, 'RSW_TXN_AMOUNT_INVALID'],
  ['other currency', { currency: 'USD' }, 'RSW_TXN_CURRENCY_MISMATCH'],
  ['completion void of a completion', { operation: 'completion_void', original: { ...sale, kind: 'completion' } }, 'allowed'],
  ['completion void of a sale', { operation: 'completion_void' }, 'RSW_TXN_ORIGINAL_WRONG_KIND'],
];

for (const [name, change, expected] of voidRows) {
  test(`void: ${name} -> ${expected}`, () => {
    assert.equal(codeOf(decideVoid({ ...voidBase, ...change })), expected);
  });
}

test('void refusals say what to do and carry the standard DE 39', () => {
  const settled = decideVoid({ ...voidBase, batchClosedAtMs: t0 + 1 });
  assert.equal(settled.kind, 'refused');
  if (settled.kind !== 'refused') return;
  assert.equal(settled.reason, 'batch already settled: refund instead');
  assert.equal(settled.isoResponseCode, '12');
  assert.equal(settled.httpStatus, 409);
  const partial = decideVoid({ ...voidBase, amountMinor: 1 });
  assert.equal(partial.kind === 'refused' ? partial.isoResponseCode : '', '64');
  const otherDay = decideVoid({ ...voidBase, todayBusinessDate: '2026-11-26' });
  assert.match(otherDay.kind === 'refused' ? otherDay.reason : '', /refund instead$/);
});

const refundRows: Array<[string, { original?: FollowUpOriginal | null; followUps?: FollowUp[]; amountMinor?: number; currency?: string }, string]> = [
  ['full refund', {}, 'allowed'],
  ['partial refund', { amountMinor: 1 }, 'allowed'],
  ['refund of a completion', { original: { ...sale, kind: 'completion' } }, 'allowed'],
  ['refund of the rest after a partial one', { amountMinor: 7_000, followUps: [{ kind: 'refund', status: 'approved', amountMinor: 3_000 }] }, 'allowed'],
  ['one fen too many', { amountMinor: 7_001, followUps: [{ kind: 'refund', status: 'approved', amountMinor: 3_000 }] }, 'RSW_TXN_REFUND_EXCEEDS'],
  ['a refund still being forwarded counts', { amountMinor: 7_001, followUps: [{ kind: 'refund', status: 'pending', amountMinor: 3_000 }] }, 'RSW_TXN_REFUND_EXCEEDS'],
  ['a declined refund does not count', { followUps: [{ kind: 'refund', status: 'declined', amountMinor: 3_000 }] }, 'allowed'],
  ['more than the original', { amountMinor: 10_001 }, 'RSW_TXN_REFUND_EXCEEDS'],
  ['original not found', { original: null }, 'RSW_TXN_ORIGINAL_NOT_FOUND'],
  ['original is a pre-authorization', { original: preauth }, 'RSW_TXN_ORIGINAL_WRONG_KIND'],
  ['original voided', { original: { ...sale, status: 'voided' } }, 'RSW_TXN_ORIGINAL_NOT_APPROVED'],
  ['original reversed', { original: { ...sale, status: 'reversed' } }, 'RSW_TXN_ORIGINAL_NOT_APPROVED'],
  ['a void still waiting for the host (it gives everything back if approved)', { amountMinor: 1, followUps: [{ kind: 'void', status: 'pending', amountMinor: 10_000 }] }, 'RSW_TXN_ALREADY_VOIDED'],
  ['a completion void still waiting for the host', { original: { ...sale, kind: 'completion' }, amountMinor: 1, followUps: [{ kind: 'completion_void', status: 'pending', amountMinor: 10_000 }] }, 'RSW_TXN_ALREADY_VOIDED'],
  ['a void the host declined does not block', { amountMinor: 1, followUps: [{ kind: 'void', status: 'declined', amountMinor: 10_000 }] }, 'allowed'],
  ['a void reversed after an unknown outcome does not block', { amountMinor: 1, followUps: [{ kind: 'void', status: 'reversed', amountMinor: 10_000 }] }, 'allowed'],
  ['fractional amount', { amountMinor: 1.5 }, 'RSW_TXN_AMOUNT_INVALID'],
  ['other currency', { currency: 'HKD' }, 'RSW_TXN_CURRENCY_MISMATCH'],
];

for (const [name, change, expected] of refundRows) {
  test(`refund: ${name} -> ${expected}`, () => {
    const result = decideRefund({ original: 'original' in change ? (change.original ?? null) : sale, followUps: change.followUps ?? [], amountMinor: change.amountMinor ?? 10_000, currency: change.currency ?? 'CNY' });
    assert.equal(codeOf(result), expected);
  });
}

test('refund refusal names what is left', () => {
  const result = decideRefund({ original: sale, followUps: [{ kind: 'refund', status: 'approved', amountMinor: 9_000 }], amountMinor: 2_000, currency: 'CNY' });
  assert.equal(result.kind === 'refused' ? result.reason : '', 'refunds would exceed the original: 1000 of 10000 is left to refund');
});

const holdBase: HoldRequest = { operation: 'completion', original: preauth, followUps: [], amountMinor: 10_000, currency: 'CNY', nowMs: t0 + dayMs, policy };
const holdRows: Array<[string, Partial<HoldRequest>, string]> = [
  ['completion of the authorized amount', {}, 'allowed'],
  ['completion below', { amountMinor: 1 }, 'allowed'],
  ['completion at the tolerance', { amountMinor: 11_500 }, 'allowed'],
  ['completion one fen over the tolerance', { amountMinor: 11_501 }, 'RSW_TXN_COMPLETION_EXCEEDS'],
  ['completion of a sale', { original: sale }, 'RSW_TXN_ORIGINAL_WRONG_KIND'],
  ['completion after 30 days', { nowMs: t0 + 30 * dayMs }, 'RSW_TXN_HOLD_EXPIRED'],
  ['completion just before expiry', { nowMs: t0 + 30 * dayMs - 1 }, 'allowed'],
  ['second completion', { followUps: [{ kind: 'completion', status: 'approved', amountMinor: 10_000 }] }, 'RSW_TXN_HOLD_CLOSED'],
  ['completion after cancel', { followUps: [{ kind: 'preauth_cancel', status: 'approved', amountMinor: 10_000 }] }, 'RSW_TXN_HOLD_CLOSED'],
  ['completion of a declined pre-authorization', { original: { ...preauth, status: 'declined' } }, 'RSW_TXN_ORIGINAL_NOT_APPROVED'],
  ['cancel of the full hold', { operation: 'preauth_cancel' }, 'allowed'],
  ['cancel of part of the hold', { operation: 'preauth_cancel', amountMinor: 9_999 }, 'RSW_TXN_CANCEL_AMOUNT'],
  ['cancel after completion', { operation: 'preauth_cancel', followUps: [{ kind: 'completion', status: 'pending', amountMinor: 10_000 }] }, 'RSW_TXN_HOLD_CLOSED'],
  ['cancel after expiry', { operation: 'preauth_cancel', nowMs: t0 + 31 * dayMs }, 'RSW_TXN_HOLD_EXPIRED'],
  ['cancel of nothing', { operation: 'preauth_cancel', original: null }, 'RSW_TXN_ORIGINAL_NOT_FOUND'],
];

for (const [name, change, expected] of holdRows) {
  test(`hold: ${name} -> ${expected}`, () => {
    assert.equal(codeOf(decideHoldClose({ ...holdBase, ...change })), expected);
  });
}

test('advice forwarding: 0220 first, 0221 repeats when due, never across the business date', () => {
  assert.deepEqual(nextAdviceStep({ tries: 0, lastSentAtMs: null, businessDate: '2026-11-25' }, t0, '2026-11-25', 30_000), { kind: 'send', mti: '0220' });
  assert.deepEqual(nextAdviceStep({ tries: 1, lastSentAtMs: t0, businessDate: '2026-11-25' }, t0 + 1, '2026-11-25', 30_000), { kind: 'wait', untilMs: t0 + 30_000 });
  assert.deepEqual(nextAdviceStep({ tries: 1, lastSentAtMs: t0, businessDate: '2026-11-25' }, t0 + 30_000, '2026-11-25', 30_000), { kind: 'send', mti: '0221' });
  assert.deepEqual(nextAdviceStep({ tries: 3, lastSentAtMs: t0, businessDate: '2026-11-25' }, t0 + 30_000, '2026-11-26', 30_000), { kind: 'expire' });
});

const followUpArb = fc.record({
  kind: fc.constantFrom('refund' as const, 'void' as const),
  status: fc.constantFrom('approved' as const, 'pending' as const, 'declined' as const, 'reversed' as const),
  amountMinor: fc.integer({ min: 1, max: 20_000 }),
});

test('property: refunds allowed one after another never exceed the original', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.integer({ min: -5, max: 1_200_000 }), { maxLength: 30 }), fc.array(fc.boolean(), { maxLength: 30 }), (originalMinor, asks, declinedFlags) => {
      const original = { ...sale, amountMinor: originalMinor };
      const followUps: FollowUp[] = [];
      for (const [index, amountMinor] of asks.entries()) {
        const result = decideRefund({ original, followUps, amountMinor, currency: 'CNY' });
        if (result.kind === 'allowed') followUps.push({ kind: 'refund', status: declinedFlags[index] === true ? 'declined' : 'approved', amountMinor });
        const given = followUps.filter((f) => f.status === 'approved').reduce((sum, f) => sum + f.amountMinor, 0);
        assert.ok(given <= originalMinor, `refunded ${given} of ${originalMinor}`);
        assert.equal(refundableMinor(original, followUps), originalMinor - given);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: refundableMinor never goes negative whatever the follow-ups', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50_000 }), fc.array(followUpArb, { maxLength: 20 }), (originalMinor, followUps) => {
      const left = refundableMinor({ amountMinor: originalMinor }, followUps);
      assert.ok(left >= 0 && left <= originalMinor);
    }),
  );
});

test('property: a completion is allowed only up to authorized + tolerance, and at most once', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 2_000_000_000 }), (authorizedMinor, bps, amountMinor) => {
      const original = { ...preauth, amountMinor: authorizedMinor };
      const request = { ...holdBase, original, amountMinor, policy: { completionToleranceBps: bps, holdExpiryDays: 30 } };
      const result = decideHoldClose(request);
      const maxMinor = maxCompletionMinor(authorizedMinor, bps);
      assert.ok(Number.isSafeInteger(maxMinor) && maxMinor >= authorizedMinor);
      assert.ok(maxMinor * 10_000 <= authorizedMinor * (10_000 + bps));
      assert.equal(result.kind === 'allowed', amountMinor <= maxMinor && amountMinor <= 999_999_999_999);
      const again = decideHoldClose({ ...request, followUps: [{ kind: 'completion', status: 'approved', amountMinor }] });
      assert.equal(again.kind, 'refused');
    }),
    { numRuns: 500 },
  );
});

const releaseRows: Array<[string, Pick<FollowUpOriginal, 'kind' | 'status'>, FollowUp[], boolean]> = [
  ['an open hold', preauth, [], true],
  ['a hold whose completion was declined', preauth, [{ kind: 'completion', status: 'declined', amountMinor: 10_000 }], true],
  ['a hold being completed', preauth, [{ kind: 'completion', status: 'pending', amountMinor: 10_000 }], false],
  ['a completed hold', preauth, [{ kind: 'completion', status: 'approved', amountMinor: 10_000 }], false],
  ['a hold being cancelled', preauth, [{ kind: 'preauth_cancel', status: 'pending', amountMinor: 10_000 }], false],
  ['a hold already released', { ...preauth, status: 'voided' }, [], false],
  ['a sale is no hold', sale, [], false],
];

for (const [name, hold, followUps, expected] of releaseRows) {
  test(`hold expiry: ${name} -> ${expected ? 'released' : 'kept'}`, () => {
    assert.equal(isHoldReleasable(hold, followUps), expected);
  });
}
