// Goal: the gateway never retries what is unsafe and scheme budgets hold. Method: table tests of the recovery decision for declines (decideRecovery) and checkRetryBudget, and fast-check properties over random codes, random decline sequences and random time steps, checked by an independent auditor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkRetryBudget,
  classifyOutcome,
  classifyResponseCode,
  diagnose,
  responseCodeTable,
  retryRules,
  type CardAttemptHistoryEntry,
  type Diagnosis,
} from '../../../src/core/declines/index.ts';
import { isReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { decideRecovery } from '../../../src/core/payments/decide-recovery.ts';
import { recoveryPolicy } from '../../../src/core/payments/recovery-policy.ts';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const t0 = Date.parse('2026-11-25T00:00:00Z');

interface RetryContext {
  attemptsSoFar: number;
  autoRetriesMax: number;
  elapsedMs: number;
  budgetMs: number;
  allowed: boolean;
}

/** The gateway's own retry decision after a decline, on the first of two channels (src/core/payments/decide-recovery.ts). */
const retryAfterDecline = (diagnosis: Diagnosis, ctx: Partial<RetryContext> = {}) => {
  const c: RetryContext = { attemptsSoFar: 1, autoRetriesMax: 2, elapsedMs: 1000, budgetMs: 50_000, allowed: true, ...ctx };
  return decideRecovery({
    policy: recoveryPolicy,
    failed: { kind: 'declined', diagnosis },
    failedChannel: 'a',
    route: ['a'],
    healthyNow: ['a'],
    attemptsSoFar: c.attemptsSoFar,
    autoRetriesMax: c.autoRetriesMax,
    schemeBudgetAllowed: c.allowed,
    nowMs: c.elapsedMs,
    replyByMs: c.budgetMs,
    attemptMinMs: 1,
  });
};

test('table: which declines the gateway retries by itself (one channel)', () => {
  const rows: Array<[string, Diagnosis, Partial<RetryContext>, ReturnType<typeof decideRecovery>]> = [
    ['approved: not a failure, stop', classifyResponseCode('00'), {}, { action: 'stop', reason: 'not_retryable' }],
    ['A0 (the channel failed our MAC) alone: never the same channel before a sign-on', classifyResponseCode('A0'), {}, { action: 'stop', reason: 'policy' }],
    ['51 fix: stop', classifyResponseCode('51'), {}, { action: 'stop', reason: 'not_retryable' }],
    ['41 never: stop', classifyResponseCode('41'), {}, { action: 'stop', reason: 'not_retryable' }],
    ['19 now but needs the card again: stop', classifyResponseCode('19'), {}, { action: 'stop', reason: 'not_retryable' }],
    ['unknown code: stop', classifyResponseCode('ZZ'), {}, { action: 'stop', reason: 'not_retryable' }],
    ['68 later 60 s within a long budget: retry after', classifyResponseCode('68'), { budgetMs: 120_000 }, { action: 'retry_after', waitMs: 60_000, channel: 'a' }],
    ['68 later 60 s beyond the budget: stop', classifyResponseCode('68'), {}, { action: 'stop', reason: 'time_budget' }],
    ['retries used up', classifyResponseCode('68'), { attemptsSoFar: 3, budgetMs: 120_000 }, { action: 'stop', reason: 'retries_exhausted' }],
    ['scheme budget used up', classifyResponseCode('68'), { allowed: false, budgetMs: 120_000 }, { action: 'stop', reason: 'scheme_budget' }],
  ];
  for (const [name, diagnosis, ctx, expected] of rows) assert.deepEqual(retryAfterDecline(diagnosis, ctx), expected, name);
  // Outcomes that are not declines keep their own safety: an unknown one is reversed, never resent.
  assert.equal(classifyOutcome('no_reply').automaticRetry, false);
  assert.equal(classifyOutcome('bad_mac').verdict, 'wait');
});

const anyRetryContext = fc.record({
  attemptsSoFar: fc.integer({ min: 1, max: 10 }),
  autoRetriesMax: fc.integer({ min: 0, max: 10 }),
  elapsedMs: fc.integer({ min: 0, max: 100_000 }),
  budgetMs: fc.integer({ min: 1, max: 10_000_000 }),
  allowed: fc.boolean(),
});

test('property: a code missing from the catalogue is never retried automatically', () => {
  const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const code = fc.tuple(fc.constantFrom(...chars), fc.constantFrom(...chars)).map(([a, b]) => a + b).filter((c) => !responseCodeTable.byCode.has(c));
  fc.assert(
    fc.property(code, anyRetryContext, (c, ctx) => {
      const d = classifyResponseCode(c);
      assert.equal(d.verdict, 'fix');
      const decision = retryAfterDecline(d, ctx);
      assert.equal(decision.action, 'stop');
    }),
    { numRuns: 500 },
  );
});

const neverCodes = responseCodeTable.entries.filter((entry) => entry.verdict === 'never').map((entry) => entry.code);
const cardNeverCodes = responseCodeTable.entries.filter((entry) => entry.verdict === 'never' && retryRules.gateway.neverVerdictCategories.includes(entry.category)).map((entry) => entry.code);

test('property: a never code is never retried automatically', () => {
  assert.ok(neverCodes.length > 20);
  fc.assert(
    fc.property(fc.constantFrom(...neverCodes), anyRetryContext, (code, ctx) => {
      const decision = retryAfterDecline(classifyResponseCode(code), ctx);
      assert.equal(decision.action, 'stop');
    }),
    { numRuns: 400 },
  );
});

test('a cancelled sale, a duplicate or a merchant refusal does not block the card; a card-status never does', () => {
  const at = (code: string) => checkRetryBudget({ brand: 'unionpay', history: [{ atMs: t0, responseCode: code, outcome: 'declined', brand: 'unionpay', merchantId: 'M1', amountMinor: 100 }], nowMs: t0 + 60_000, merchantId: 'M1', amountMinor: 100 }).allowed;
  assert.deepEqual(['17', '94', '58', '41', '54', '34'].map(at), [true, true, true, false, false, false]);
});

test('property: a never code about the card is never retried, automatically or by a cashier at the same merchant', () => {
  assert.ok(cardNeverCodes.length > 10);
  fc.assert(
    fc.property(fc.constantFrom(...cardNeverCodes), anyRetryContext, fc.constantFrom('visa', 'mastercard', 'unionpay', 'jcb', 'amex') as fc.Arbitrary<'visa' | 'mastercard' | 'unionpay' | 'jcb' | 'amex'>, fc.integer({ min: 0, max: 23 * hourMs }), (code, ctx, brand, laterMs) => {
      const decision = retryAfterDecline(classifyResponseCode(code), ctx);
      assert.equal(decision.action, 'stop');
      const history: CardAttemptHistoryEntry[] = [{ atMs: t0, responseCode: code, outcome: 'declined', brand, merchantId: 'M1', amountMinor: 100 }];
      const budget = checkRetryBudget({ brand, history, nowMs: t0 + laterMs, merchantId: 'M1', amountMinor: 100 });
      assert.equal(budget.allowed, false);
      if (!budget.allowed) assert.equal(budget.diagnosis.verdict, 'never');
    }),
    { numRuns: 400 },
  );
});

test('Visa: category 1 blocks any reattempt for 30 days; categories 2-4 allow 15 reattempts (20 from edition 2026-04)', () => {
  const decline = (atMs: number, code: string, merchantId = 'M1'): CardAttemptHistoryEntry => ({ atMs, responseCode: code, outcome: 'declined', brand: 'visa', merchantId, amountMinor: 100 });
  // Category 1 (04 in both lists) at another merchant still blocks: budgets are per card.
  const cat1 = checkRetryBudget({ brand: 'visa', history: [decline(t0, '04', 'M2')], nowMs: t0 + 29 * dayMs, merchantId: 'M1', amountMinor: 100, edition: '2024-04' });
  assert.ok(!cat1.allowed && cat1.diagnosis.verdict === 'never' && cat1.untilMs === t0 + 30 * dayMs);
  assert.equal(checkRetryBudget({ brand: 'visa', history: [decline(t0, '04', 'M2')], nowMs: t0 + 30 * dayMs, merchantId: 'M1', amountMinor: 100, edition: '2024-04' }).allowed, true);
  // 14 is category 1 only in the 2024 lists.
  assert.equal(checkRetryBudget({ brand: 'visa', history: [decline(t0, '14', 'M2')], nowMs: t0 + hourMs, merchantId: 'M1', amountMinor: 100, edition: '2021-04' }).allowed, true);
  assert.equal(checkRetryBudget({ brand: 'visa', history: [decline(t0, '14', 'M2')], nowMs: t0 + hourMs, merchantId: 'M1', amountMinor: 100, edition: '2024-04' }).allowed, false);
  const fifteen = Array.from({ length: 15 }, (_, i) => decline(t0 + i * hourMs, '51'));
  const sixteen = [...fifteen, decline(t0 + 15 * hourMs, '51')];
  const at = t0 + 20 * hourMs;
  assert.equal(checkRetryBudget({ brand: 'visa', history: fifteen, nowMs: at, merchantId: 'M1', amountMinor: 100, edition: '2024-04' }).allowed, true, '15th reattempt allowed');
  const blocked = checkRetryBudget({ brand: 'visa', history: sixteen, nowMs: at, merchantId: 'M1', amountMinor: 100, edition: '2024-04' });
  assert.ok(!blocked.allowed, '16th reattempt refused');
  if (!blocked.allowed) {
    assert.equal(blocked.diagnosis.code, '65');
    assert.equal(blocked.diagnosis.verdict, 'later');
    assert.equal(blocked.untilMs, t0 + 30 * dayMs, 'free again when the first decline leaves the window');
    assert.match(blocked.diagnosis.reason ?? '', /15 reattempts in 30 days/);
  }
  assert.equal(checkRetryBudget({ brand: 'visa', history: sixteen, nowMs: at, merchantId: 'M1', amountMinor: 100, edition: '2026-04' }).allowed, true);
  // Without an edition, the one in force decides: after April 2026 it is 2026-04.
  assert.equal(checkRetryBudget({ brand: 'visa', history: sixteen, nowMs: at, merchantId: 'M1', amountMinor: 100 }).allowed, true);
  assert.equal(checkRetryBudget({ brand: 'visa', history: sixteen.map((e) => ({ ...e, atMs: e.atMs - 365 * dayMs })), nowMs: at - 365 * dayMs, merchantId: 'M1', amountMinor: 100 }).allowed, false);
});

test('Mastercard: MAC 03/21 never, MAC 24-30 waits, 10 declines per 24 h', () => {
  const decline = (atMs: number, code: string, mac?: string, amountMinor = 100): CardAttemptHistoryEntry => ({ atMs, responseCode: code, outcome: 'declined', brand: 'mastercard', merchantId: 'M1', amountMinor, ...(mac === undefined ? {} : { mastercardAdviceCode: mac }) });
  const input = (history: CardAttemptHistoryEntry[], nowMs: number) => checkRetryBudget({ brand: 'mastercard', history, nowMs, merchantId: 'M1', amountMinor: 100 });
  for (const mac of ['03', '21']) {
    const r = input([decline(t0, '05', mac)], t0 + 10 * dayMs);
    assert.ok(!r.allowed && r.diagnosis.verdict === 'never', mac);
  }
  const waits: Array<[string, number]> = [['24', hourMs], ['25', dayMs], ['26', 2 * dayMs], ['27', 4 * dayMs], ['28', 6 * dayMs], ['29', 8 * dayMs], ['30', 10 * dayMs]];
  for (const [mac, waitMs] of waits) {
    const before = input([decline(t0, '51', mac)], t0 + waitMs - 1);
    assert.ok(!before.allowed && before.untilMs === t0 + waitMs && before.diagnosis.verdict === 'later', mac);
    assert.equal(input([decline(t0, '51', mac)], t0 + waitMs).allowed, true, mac);
  }
  const nine = Array.from({ length: 9 }, (_, i) => decline(t0 + i * 60_000, '51', undefined, 100 + i));
  const ten = [...nine, decline(t0 + 9 * 60_000, '51', undefined, 999)];
  assert.equal(input(nine, t0 + hourMs).allowed, true);
  const r = input(ten, t0 + hourMs);
  assert.ok(!r.allowed && r.untilMs === t0 + dayMs);
});

test('unknown outcomes and approvals do not count; an unknown edition is an error', () => {
  const history: CardAttemptHistoryEntry[] = Array.from({ length: 30 }, (_, i) => ({ atMs: t0 + i, responseCode: null, outcome: i % 2 === 0 ? 'unknown' : 'approved', brand: 'mastercard', merchantId: 'M1', amountMinor: 1 }));
  assert.equal(checkRetryBudget({ brand: 'mastercard', history, nowMs: t0 + hourMs, merchantId: 'M1', amountMinor: 1 }).allowed, true);
  assert.throws(() => checkRetryBudget({ brand: 'visa', history: [], nowMs: t0, merchantId: 'M1', amountMinor: 1, edition: '1999' }), (e: unknown) => isReswipeError(e, 'RSW_DECLINE_UNKNOWN_EDITION'));
});

// The auditor re-derives every rule from retry-rules.json without the implementation's helpers.
function audit(brand: 'visa' | 'mastercard' | 'unionpay', made: CardAttemptHistoryEntry[], edition: string): string | null {
  const visa = retryRules.visa.find((e) => e.edition === edition);
  const mc = retryRules.mastercard[0];
  if (visa === undefined || mc === undefined) return 'rules missing';
  for (let i = 0; i < made.length; i += 1) {
    const at = (made[i] as CardAttemptHistoryEntry).atMs;
    const earlier = made.slice(0, i).filter((e) => e.outcome === 'declined' && e.responseCode !== null);
    for (const e of earlier) {
      const code = e.responseCode as string;
      const known = responseCodeTable.byCode.get(code);
      if (e.merchantId === made[i]?.merchantId && known?.verdict === 'never' && retryRules.gateway.neverVerdictCategories.includes(known.category) && at < e.atMs + retryRules.gateway.neverVerdictBlockHours * hourMs) return `attempt ${i} follows never code ${code}`;
    }
    if (brand === 'visa') {
      const cat = (e: CardAttemptHistoryEntry) => responseCodeTable.byCode.get(e.responseCode as string)?.visaCategory[visa.categoryList] ?? 4;
      if (earlier.some((e) => cat(e) === 1 && at < e.atMs + 30 * dayMs)) return `attempt ${i} follows a category 1 decline`;
      const counted = earlier.filter((e) => cat(e) !== 1 && at - e.atMs < visa.categories2to4.windowDays * dayMs).length;
      if (counted > visa.categories2to4.reattemptsMax) return `attempt ${i} is reattempt ${counted} in the window`;
    }
    if (brand === 'mastercard') {
      if (earlier.filter((e) => at - e.atMs < mc.declinesWindowHours * hourMs).length >= mc.declinesMax) return `attempt ${i} would be decline ${mc.declinesMax + 1} in 24 h`;
      for (const e of earlier) {
        const mac = e.mastercardAdviceCode;
        if (mac === undefined) continue;
        if (mc.neverAdviceCodes.includes(mac) && at < e.atMs + mc.neverWindowDays * dayMs) return `attempt ${i} follows MAC ${mac}`;
        const wait = mc.adviceCodeWaitSeconds[mac];
        if (wait !== undefined && at < e.atMs + wait * 1000) return `attempt ${i} inside MAC ${mac} wait`;
      }
    }
  }
  return null;
}

test('property: under random declines and time steps, every attempt the budget allowed keeps within the scheme rules', () => {
  const declineCodes = responseCodeTable.entries.filter((e) => e.category !== 'approved').map((e) => e.code);
  const step = fc.record({
    gapMs: fc.oneof(fc.integer({ min: 0, max: 10 * 60_000 }), fc.integer({ min: 0, max: 3 * dayMs })),
    code: fc.oneof(fc.constantFrom('51', '05', '91', '14', '61'), fc.constantFrom(...declineCodes)),
    mac: fc.option(fc.constantFrom('01', '02', '03', '21', '24', '25', '26', '27', '28', '29', '30'), { nil: undefined }),
    merchantId: fc.constantFrom('M1', 'M2'),
    amountMinor: fc.constantFrom(100, 200),
    approved: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  });
  fc.assert(
    fc.property(fc.constantFrom('visa', 'mastercard', 'unionpay') as fc.Arbitrary<'visa' | 'mastercard' | 'unionpay'>, fc.constantFrom('2021-04', '2024-04', '2026-04'), fc.array(step, { minLength: 1, maxLength: 120 }), (brand, edition, steps) => {
      const made: CardAttemptHistoryEntry[] = [];
      let nowMs = t0;
      let refused = 0;
      for (const s of steps) {
        nowMs += s.gapMs;
        const verdict = checkRetryBudget({ brand, history: made, nowMs, edition: brand === 'visa' ? edition : undefined, merchantId: s.merchantId, amountMinor: s.amountMinor });
        if (!verdict.allowed) {
          refused += 1;
          assert.ok(verdict.untilMs === null || verdict.untilMs > nowMs, 'a block ends in the future');
          continue;
        }
        made.push({
          atMs: nowMs,
          responseCode: s.approved ? '00' : s.code,
          outcome: s.approved ? 'approved' : 'declined',
          brand,
          merchantId: s.merchantId,
          amountMinor: s.amountMinor,
          ...(brand === 'mastercard' && s.mac !== undefined && !s.approved ? { mastercardAdviceCode: s.mac } : {}),
        });
      }
      const problem = audit(brand, made, brand === 'visa' ? edition : '2024-04');
      assert.equal(problem, null, `${problem} (refused ${refused})`);
    }),
    { numRuns: 200 },
  );
});

test('diagnose applies the Mastercard advice code and the budget to the answer', () => {
  const r = diagnose({ code: '05', brand: 'mastercard', mastercardAdviceCode: '03', nowMs: t0, merchantId: 'M1', amountMinor: 100 });
  assert.equal(r.diagnosis.verdict, 'never');
  assert.equal(r.terminal.de44, 'NEVER');
  const later = diagnose({ code: '91', brand: 'mastercard', mastercardAdviceCode: '26', nowMs: t0, merchantId: 'M1', amountMinor: 100 });
  assert.equal(later.diagnosis.verdict, 'later');
  assert.equal(later.diagnosis.waitSeconds, 2 * 86400);
  assert.ok(later.nextAttempt !== null && !later.nextAttempt.allowed);
  const visa = diagnose({ code: '14', brand: 'visa', nowMs: t0, edition: '2024-04' });
  assert.equal(visa.scheme?.visaCategory, 1);
  assert.equal(visa.diagnosis.verdict, 'never', 'Visa category 1 makes 14 a never for this card');
  const plain = diagnose({ outcome: 'no_reply', nowMs: t0 });
  assert.equal(plain.terminal.de39, '98');
  assert.equal(plain.terminal.de44, 'WAIT:30');
  assert.equal(plain.nextAttempt, null);
});
