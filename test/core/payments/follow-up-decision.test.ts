// Goal: decideFollowUp composes the terminal, operation and card rules in the documented order and
// says exactly what to insert and send (reversible or advice, amount, channel, effects on the
// original). Method: table rows over the pure function, plus fast-check properties that drive random
// sequences of follow-ups through it the way the use cases do (each allowed one stored, then settled
// by the host at random) and check the money invariants: refunds never exceed the original together,
// a live void never stands beside a live refund, and a pre-authorization is closed at most once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fingerprintPan } from '../../../src/core/cards/pan.ts';
import { decideFollowUp, toFollowUp, type FollowUpDecision, type FollowUpDecisionInput, type FollowUpDecisionRequest } from '../../../src/core/payments/follow-up-decision.ts';
import { dayMs, maxCompletionMinor } from '../../../src/core/payments/preauth-rules.ts';
import type { FollowUp } from '../../../src/core/payments/follow-up-original.ts';
import type { PaymentRecord } from '../../../src/core/ports/store.ts';

const panKey = 'test-pan-key-0123456789';
const retiredKey = 'retired-pan-key-0123456789';
const cardPan = '6222020000000000018';
const otherPan = '4111111111111111';
// 2026-11-25 10:00 in Shanghai: the same business date until the 23:00 cut-off.
const t0 = Date.UTC(2026, 10, 25, 2, 0, 0);

const sale: PaymentRecord = {
  id: 'pay_sale',
  kind: 'sale',
  status: 'approved',
  intake: 'iso',
  merchantId: 'M100',
  terminalId: 'T0000001',
  amountMinor: 10_000,
  currency: 'CNY',
  panFingerprint: fingerprintPan(cardPan, panKey),
  panMasked: '622202******0018',
  cardBrand: 'unionpay',
  cardType: 'debit',
  cardIssuer: null,
  entryMode: 'chip',
  terminalStan: '000123',
  terminalTransmittedAt: '1125100000',
  reference: null,
  originalPaymentId: null,
  responseCode: '00',
  authCode: 'A1',
  rrn: '000000000001',
  decline: null,
  createdAtMs: t0,
  updatedAtMs: t0,
  version: 1,
};
const preauth: PaymentRecord = { ...sale, id: 'pay_hold', kind: 'preauth' };
const completion: PaymentRecord = { ...sale, id: 'pay_capture', kind: 'completion' };

function request(operation: FollowUpDecisionRequest['operation'], change: Partial<FollowUpDecisionRequest> = {}): FollowUpDecisionRequest {
  return { operation, intake: 'iso', merchantId: 'M100', originalPaymentId: 'pay_sale', terminalId: 'T0000001', amountMinor: null, currency: null, ...change };
}

function input(change: Partial<FollowUpDecisionInput> = {}): FollowUpDecisionInput {
  return {
    request: request('void'),
    senderTerminalMerchantId: 'M100',
    original: sale,
    originalApprovedAttempt: { channel: 'bank-a', upstreamTerminalId: 'UP000001' },
    followUps: [],
    batchClosedAtMs: null,
    nowMs: t0 + 60_000,
    policy: { completionToleranceBps: 1500, holdExpiryDays: 30, settlementTimeZone: 'Asia/Shanghai', settlementCutoff: '23:00', panKeys: [panKey] },
    ...change,
  };
}

function codeOf(decision: FollowUpDecision): string {
  return decision.kind === 'send' ? `send ${decision.delivery}` : decision.code;
}

const rows: Array<[string, Partial<FollowUpDecisionInput>, string]> = [
  ['a void of a sale is sent reversibly', {}, 'send reversible'],
  ['a refund is an advice', { request: request('refund', { amountMinor: 1 }) }, 'send advice'],
  ['a completion is reversible', { request: request('completion', { amountMinor: 11_500 }), original: preauth }, 'send reversible'],
  ['a cancel is reversible', { request: request('preauth_cancel'), original: preauth }, 'send reversible'],
  ['a completion void is reversible', { request: request('completion_void'), original: completion }, 'send reversible'],
  // 1. the terminal, before anything about the original
  ['a terminal of another merchant, even for an original that does not exist', { senderTerminalMerchantId: 'M200', original: null }, 'RSW_TXN_TERMINAL_NOT_MERCHANTS'],
  ['an unknown terminal', { senderTerminalMerchantId: null }, 'RSW_TXN_TERMINAL_NOT_MERCHANTS'],
  ['over HTTP no terminal is asked about', { request: request('void', { intake: 'http', terminalId: null }), senderTerminalMerchantId: null }, 'send reversible'],
  // 2. the operation's rule
  ['an original of another merchant is not found', { original: { ...sale, merchantId: 'M200' } }, 'RSW_TXN_ORIGINAL_NOT_FOUND'],
  ['no original', { original: null }, 'RSW_TXN_ORIGINAL_NOT_FOUND'],
  ['a void from another terminal', { request: request('void', { terminalId: 'T0000002' }) }, 'RSW_TXN_VOID_OTHER_TERMINAL'],
  ['an HTTP void acts for the original terminal', { request: request('void', { intake: 'http', terminalId: null }) }, 'send reversible'],
  ['a void after the 23:00 cut-off belongs to the next business day', { nowMs: Date.UTC(2026, 10, 25, 15, 0, 0) }, 'RSW_TXN_VOID_OTHER_DAY'],
  ['a void after the batch closed', { batchClosedAtMs: t0 + 1 }, 'RSW_TXN_BATCH_SETTLED'],
  ['a refund beyond what is left', { request: request('refund', { amountMinor: 7_001 }), followUps: [{ kind: 'refund', status: 'pending', amountMinor: 3_000 }] }, 'RSW_TXN_REFUND_EXCEEDS'],
  ['a refund while a void of the original is in flight', { request: request('refund', { amountMinor: 1 }), followUps: [{ kind: 'void', status: 'pending', amountMinor: 10_000 }] }, 'RSW_TXN_ALREADY_VOIDED'],
  ['a refund of a completion whose void is in flight', { request: request('refund', { amountMinor: 1 }), original: completion, followUps: [{ kind: 'completion_void', status: 'pending', amountMinor: 10_000 }] }, 'RSW_TXN_ALREADY_VOIDED'],
  ['a refund after a declined void', { request: request('refund', { amountMinor: 1 }), followUps: [{ kind: 'void', status: 'declined', amountMinor: 10_000 }] }, 'send advice'],
  ['a completion beyond the tolerance', { request: request('completion', { amountMinor: 11_501 }), original: preauth }, 'RSW_TXN_COMPLETION_EXCEEDS'],
  ['a completion of an expired hold', { request: request('completion'), original: preauth, nowMs: t0 + 30 * dayMs }, 'RSW_TXN_HOLD_EXPIRED'],
  // 3. the card, after the rule
  ['the original card', { request: request('refund', { amountMinor: 1, card: { pan: cardPan, track2: `${cardPan}=30121010000000000` } }) }, 'send advice'],
  ['another card', { request: request('refund', { amountMinor: 1, card: { pan: otherPan } }) }, 'RSW_TXN_CARD_MISMATCH'],
  ['another card in track 2', { request: request('refund', { amountMinor: 1, card: { pan: cardPan, track2: `${otherPan}=30121010000000000` } }) }, 'RSW_TXN_CARD_MISMATCH'],
  ['unreadable track 2', { request: request('refund', { amountMinor: 1, card: { track2: 'garbage' } }) }, 'RSW_TXN_CARD_MISMATCH'],
  ['the rule is named before the card', { request: request('refund', { amountMinor: 10_001, card: { pan: otherPan } }) }, 'RSW_TXN_REFUND_EXCEEDS'],
  ['a sale fingerprinted under a retired key', { request: request('refund', { amountMinor: 1, card: { pan: cardPan } }), original: { ...sale, panFingerprint: fingerprintPan(cardPan, retiredKey) }, policy: { ...input().policy, panKeys: [panKey, retiredKey] } }, 'send advice'],
  ['a retired key not configured', { request: request('refund', { amountMinor: 1, card: { pan: cardPan } }), original: { ...sale, panFingerprint: fingerprintPan(cardPan, retiredKey) } }, 'RSW_TXN_CARD_MISMATCH'],
];

for (const [name, change, expected] of rows) {
  test(`decideFollowUp: ${name} -> ${expected}`, () => {
    assert.equal(codeOf(decideFollowUp(input(change))), expected);
  });
}

test('decideFollowUp: "not found" names the id the request asked for, and never the other merchant', () => {
  const refused = decideFollowUp(input({ request: request('void', { originalPaymentId: 'pay_other' }), original: { ...sale, merchantId: 'M200' } }));
  assert.equal(refused.kind, 'refused');
  if (refused.kind !== 'refused') return;
  assert.deepEqual(refused.params, { originalId: 'pay_other' });
  assert.match(refused.reason, /pay_other/);
  assert.equal(refused.isoResponseCode, '25');
});

test('decideFollowUp: what is inserted and sent, per operation', () => {
  const expected: Array<[FollowUpDecisionInput, object]> = [
    [input(), { operation: 'void', amountMinor: 10_000, initialStatus: 'pending', effects: { closesOriginal: true, removesOriginalFees: true, followUpFee: 'none' }, mti: '0200', processingCode: '200000' }],
    [input({ request: request('refund', { amountMinor: 2_500 }) }), { operation: 'refund', amountMinor: 2_500, initialStatus: 'approved', effects: { closesOriginal: false, removesOriginalFees: false, followUpFee: 'refund' }, mti: '0220', processingCode: '200000' }],
    [input({ request: request('completion', { amountMinor: 11_500 }), original: preauth }), { operation: 'completion', amountMinor: 11_500, initialStatus: 'pending', effects: { closesOriginal: false, removesOriginalFees: false, followUpFee: 'sale' }, mti: '0200', processingCode: '000000' }],
    [input({ request: request('preauth_cancel'), original: preauth }), { operation: 'preauth_cancel', amountMinor: 10_000, initialStatus: 'pending', effects: { closesOriginal: true, removesOriginalFees: false, followUpFee: 'none' }, mti: '0100', processingCode: '200000' }],
    [input({ request: request('completion_void'), original: completion }), { operation: 'completion_void', amountMinor: 10_000, initialStatus: 'pending', effects: { closesOriginal: true, removesOriginalFees: true, followUpFee: 'none' }, mti: '0200', processingCode: '200000' }],
  ];
  for (const [given, want] of expected) {
    const decision = decideFollowUp(given);
    assert.equal(decision.kind, 'send');
    if (decision.kind !== 'send') continue;
    const { operation, amountMinor, initialStatus, effects } = decision;
    assert.deepEqual({ operation, amountMinor, initialStatus, effects, mti: decision.shape.mti, processingCode: decision.shape.processingCode }, want);
    assert.equal(decision.currency, 'CNY');
    assert.equal(decision.channel, 'bank-a', 'the original channel: only its host can undo or capture the money');
    assert.equal(decision.upstreamTerminalId, 'UP000001');
  }
});

test('decideFollowUp: booked on the asking terminal, or on the original terminal over HTTP', () => {
  const iso = decideFollowUp(input({ request: request('refund', { amountMinor: 1, terminalId: 'T0000002' }) }));
  const http = decideFollowUp(input({ request: request('refund', { amountMinor: 1, intake: 'http', terminalId: null }) }));
  assert.equal(iso.kind === 'send' ? iso.terminalId : '', 'T0000002');
  assert.equal(http.kind === 'send' ? http.terminalId : '', 'T0000001');
});

test('decideFollowUp: an allowed follow-up of an original without an approved attempt is a broken invariant; a refused one is just refused', () => {
  assert.throws(() => decideFollowUp(input({ originalApprovedAttempt: null })), /broken invariant/);
  assert.equal(codeOf(decideFollowUp(input({ originalApprovedAttempt: null, original: { ...sale, status: 'declined' } }))), 'RSW_TXN_ORIGINAL_NOT_APPROVED');
});

const liveOf = (followUps: readonly FollowUp[], kinds: readonly string[]): FollowUp[] => followUps.filter((f) => kinds.includes(f.kind) && (f.status === 'approved' || f.status === 'pending'));

// How the host settles a stored follow-up: 0 leaves it as stored (pending, or an accepted refund), 1 approves, 2 declines.
const stepArb = fc.record({
  operation: fc.constantFrom('void' as const, 'refund' as const),
  amountMinor: fc.option(fc.integer({ min: -5, max: 12_000 }), { nil: null }),
  settle: fc.integer({ min: 0, max: 2 }),
  intake: fc.constantFrom('iso' as const, 'http' as const),
});

test('property: whatever follow-ups a sale gets, refunds never exceed it together and a live void never stands beside a live refund', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.array(stepArb, { maxLength: 25 }), (originalMinor, steps) => {
      let original: PaymentRecord = { ...sale, amountMinor: originalMinor };
      const stored: Array<{ kind: PaymentRecord['kind']; status: PaymentRecord['status']; amountMinor: number }> = [];
      for (const step of steps) {
        const decision = decideFollowUp(
          input({ original, followUps: stored.map(toFollowUp), request: request(step.operation, { amountMinor: step.amountMinor, intake: step.intake, terminalId: step.intake === 'http' ? null : 'T0000001' }) }),
        );
        if (decision.kind === 'send') {
          assert.ok(decision.amountMinor >= 1 && decision.amountMinor <= originalMinor);
          if (decision.operation === 'void') assert.equal(decision.amountMinor, originalMinor, 'a void is always for the whole sale');
          const followUp = { kind: decision.operation, status: decision.initialStatus as PaymentRecord['status'], amountMinor: decision.amountMinor };
          stored.push(followUp);
          // The host settles it, as record-follow-up-reply.ts records it.
          if (step.settle === 1) followUp.status = 'approved';
          if (step.settle === 2) followUp.status = 'declined';
          if (followUp.status === 'approved' && decision.effects.closesOriginal && original.status === 'approved') original = { ...original, status: 'voided' };
        }
        const refunded = liveOf(stored, ['refund']).reduce((sum, f) => sum + f.amountMinor, 0);
        assert.ok(refunded <= originalMinor, `refunds ${refunded} of ${originalMinor}`);
        assert.ok(!(liveOf(stored, ['void']).length > 0 && refunded > 0), 'a live void beside a live refund gives the money back twice');
        assert.ok(liveOf(stored, ['void']).length <= 1, 'at most one live void');
      }
    }),
    { numRuns: 400 },
  );
});

test('property: a pre-authorization is closed at most once, and a completion never captures more than authorized + tolerance', () => {
  const holdStep = fc.record({
    operation: fc.constantFrom('completion' as const, 'preauth_cancel' as const),
    amountMinor: fc.option(fc.integer({ min: 1, max: 15_000 }), { nil: null }),
    settle: fc.integer({ min: 0, max: 2 }),
    ageDays: fc.integer({ min: 0, max: 40 }),
  });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 3_000 }), fc.array(holdStep, { maxLength: 15 }), (authorizedMinor, bps, steps) => {
      let original: PaymentRecord = { ...preauth, amountMinor: authorizedMinor };
      const stored: Array<{ kind: PaymentRecord['kind']; status: PaymentRecord['status']; amountMinor: number }> = [];
      const policy = { ...input().policy, completionToleranceBps: bps };
      for (const step of steps) {
        const nowMs = t0 + step.ageDays * dayMs;
        const decision = decideFollowUp(input({ original, followUps: stored.map(toFollowUp), policy, nowMs, request: request(step.operation, { amountMinor: step.amountMinor, originalPaymentId: preauth.id }) }));
        if (decision.kind !== 'send') continue;
        assert.ok(nowMs < t0 + 30 * dayMs, 'never after the hold expired');
        if (decision.operation === 'completion') assert.ok(decision.amountMinor <= maxCompletionMinor(authorizedMinor, bps));
        else assert.equal(decision.amountMinor, authorizedMinor, 'a cancel releases the whole hold');
        const followUp = { kind: decision.operation, status: decision.initialStatus as PaymentRecord['status'], amountMinor: decision.amountMinor };
        stored.push(followUp);
        if (step.settle === 1) followUp.status = 'approved';
        if (step.settle === 2) followUp.status = 'declined';
        if (followUp.status === 'approved' && decision.effects.closesOriginal) original = { ...original, status: 'voided' };
        assert.ok(liveOf(stored, ['completion', 'preauth_cancel']).length <= 1, 'one hold, one close');
      }
    }),
    { numRuns: 400 },
  );
});
