// Goal: the recovery policy retries exactly what is provably safe and useful, where the policy data says,
// inside the reply deadline; and bad policy data is refused on load with the path of the bad entry.
// Method: one table row per case through decideRecovery with the shipped policy, then parse errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyOutcome, classifyResponseCode, type RetryDecision } from '../../../src/core/declines/index.ts';
import { decideRecovery, type DecideRecoveryInput, type FailedAttempt } from '../../../src/core/payments/decide-recovery.ts';
import { parseRecoveryPolicy, recoveryPolicy } from '../../../src/core/payments/recovery-policy.ts';
import recoveryPolicyJson from '../../../src/core/payments/recovery-policy.json' with { type: 'json' };

const reversed: FailedAttempt = { kind: 'unknown_reversed', diagnosis: classifyOutcome('reversed') };
const notSent: FailedAttempt = { kind: 'not_sent', diagnosis: classifyOutcome('not_sent') };
const declined = (code: string): FailedAttempt => ({ kind: 'declined', diagnosis: classifyResponseCode(code) });

function input(overrides: Partial<DecideRecoveryInput>): DecideRecoveryInput {
  return {
    policy: recoveryPolicy,
    failed: reversed,
    failedChannel: 'a',
    route: ['a', 'b'],
    healthyNow: ['a', 'b'],
    attemptsSoFar: 1,
    autoRetriesMax: 2,
    schemeBudgetAllowed: true,
    nowMs: 10_000,
    replyByMs: 59_500,
    attemptMinMs: 1_000,
    ...overrides,
  };
}

test('table: whether, when and where the gateway retries', () => {
  const rows: Array<[string, Partial<DecideRecoveryInput>, RetryDecision]> = [
    ['confirmed reversal: at once on the next healthy channel', {}, { action: 'retry_now', channel: 'b' }],
    ['confirmed reversal, the other channel open now: at once on the same one', { healthyNow: ['a'] }, { action: 'retry_now', channel: 'a' }],
    ['confirmed reversal, a route of one: at once on it', { route: ['a'], healthyNow: ['a'] }, { action: 'retry_now', channel: 'a' }],
    ['confirmed reversal, healthy order changed: the healthy one first', { route: ['a', 'b', 'c'], healthyNow: ['c', 'a'] }, { action: 'retry_now', channel: 'c' }],
    ['not sent: at once on the next channel of the route', { failed: notSent }, { action: 'retry_now', channel: 'b' }],
    ['not sent, a route of one: at once on it', { failed: notSent, route: ['a'], healthyNow: ['a'] }, { action: 'retry_now', channel: 'a' }],
    ['channel-side decline (91): at once on the next channel', { failed: declined('91') }, { action: 'retry_now', channel: 'b' }],
    ['channel-side decline (91) alone: after its 180 s wait, which does not fit', { failed: declined('91'), route: ['a'], healthyNow: ['a'] }, { action: 'stop', reason: 'time_budget' }],
    ['channel-side decline (91) alone with a long deadline: after its wait', { failed: declined('91'), route: ['a'], healthyNow: ['a'], replyByMs: 600_000 }, { action: 'retry_after', waitMs: 180_000, channel: 'a' }],
    ['card-side decline (51): never', { failed: declined('51') }, { action: 'stop', reason: 'not_retryable' }],
    ['lost card (41): never', { failed: declined('41') }, { action: 'stop', reason: 'not_retryable' }],
    ['per code: 99 (PIN block) is never retried', { failed: declined('99') }, { action: 'stop', reason: 'policy' }],
    ['per code: A0 (MAC) on the next channel at once', { failed: declined('A0') }, { action: 'retry_now', channel: 'b' }],
    ['per code: A0 alone is never retried', { failed: declined('A0'), route: ['a'], healthyNow: ['a'] }, { action: 'stop', reason: 'policy' }],
    ['retries used up', { attemptsSoFar: 3 }, { action: 'stop', reason: 'retries_exhausted' }],
    ['scheme budget spent', { schemeBudgetAllowed: false }, { action: 'stop', reason: 'scheme_budget' }],
    ['less than one useful attempt left before the reply deadline', { nowMs: 58_600 }, { action: 'stop', reason: 'time_budget' }],
    ['exactly one useful attempt left', { nowMs: 58_500 }, { action: 'retry_now', channel: 'b' }],
  ];
  for (const [name, overrides, expected] of rows) assert.deepEqual(decideRecovery(input(overrides)), expected, name);
});

test('the shipped policy loads; bad entries are refused with their path', () => {
  assert.equal(recoveryPolicy.outcomes.unknown_reversed.retry, 'at_once');
  const bad = (patch: (document: any) => void, field: RegExp) => {
    const document = structuredClone(recoveryPolicyJson) as any;
    patch(document);
    assert.throws(() => parseRecoveryPolicy(document), (error: any) => error.code === 'RSW_DECLINE_DATA_INVALID' && field.test(String(error.field)));
  };
  bad((d) => (d.outcomes.not_sent.retry = 'sometimes'), /\$\.outcomes\.not_sent\.retry/);
  bad((d) => delete d.outcomes.unknown_reversed, /\$\.outcomes\.unknown_reversed/);
  bad((d) => (d.outcomes.unknown_unconfirmed = { retry: 'at_once', channel: 'same', why: 'x' }), /\$\.outcomes\.unknown_unconfirmed/);
  bad((d) => (d.codes['5'] = { retry: 'never', channel: 'same', why: 'x' }), /\$\.codes\.5/);
  bad((d) => (d.codes['91'] = { retry: 'at_once', channel: 'elsewhere', why: 'x' }), /\$\.codes\.91\.channel/);
  bad((d) => (d.attemptMinMs = 0), /\$\.attemptMinMs/);
});
