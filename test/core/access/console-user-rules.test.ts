// Goal: the pure rules of console users hold at their edges: user names, the password strength rule,
// a role's merchant binding, a session's idle timeout and lifetime, and login throttling (five failures
// per window, Retry-After until enough age out). Method: table tests over the pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loginThrottleOf, merchantBindingProblem, passwordProblem, sessionStateAt, userNameProblem } from '../../../src/core/access/console-user-rules.ts';

test('user names: 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit', () => {
  for (const name of ['a', 'li.ming', 'ops_1', 'x'.repeat(64), '9lives']) assert.equal(userNameProblem(name), null, name);
  for (const name of ['', 'Li', '.hidden', 'x'.repeat(65), 'a b', 'ä']) assert.notEqual(userNameProblem(name), null, name);
});

test('passwords: 12 or more, three classes below 20, no user name, not one character repeated', () => {
  const cases: Array<[string, boolean]> = [
    ['Abcdefgh123!', true],
    ['abcdefgh1234', false],
    ['Abcdefgh1234', true],
    ['Short1!', false],
    ['correct horse battery staple', true],
    ['aaaaaaaaaaaaaaaaaaaaaaaa', false],
    ['My-liming-Pass1', false],
    ['x'.repeat(129), false],
  ];
  for (const [password, accepted] of cases) assert.equal(passwordProblem(password, 'liming') === null, accepted, password);
});

test('merchant binding: cashier exactly one, merchant one or more, the others none', () => {
  assert.equal(merchantBindingProblem('cashier', ['m1']), null);
  assert.notEqual(merchantBindingProblem('cashier', []), null);
  assert.notEqual(merchantBindingProblem('cashier', ['m1', 'm2']), null);
  assert.equal(merchantBindingProblem('merchant', ['m1', 'm2']), null);
  assert.notEqual(merchantBindingProblem('merchant', ['m1', 'm1']), null);
  assert.notEqual(merchantBindingProblem('admin', ['m1']), null);
  assert.equal(merchantBindingProblem('auditor', []), null);
});

test('sessions: alive until idle or past their end, whichever comes first', () => {
  const session = { createdAtMs: 0, lastSeenAtMs: 1000, expiresAtMs: 10_000 };
  assert.equal(sessionStateAt(session, 1999, 1000), 'alive');
  assert.equal(sessionStateAt(session, 2000, 1000), 'idle');
  assert.equal(sessionStateAt({ ...session, lastSeenAtMs: 9_999 }, 10_000, 1000), 'expired');
});

test('throttling: five failures in the window by user or by address; Retry-After until the fifth newest ages out', () => {
  const windowMs = 15 * 60_000;
  const now = 100 * windowMs;
  const four = [now - 1000, now - 2000, now - 3000, now - 4000];
  assert.deepEqual(loginThrottleOf(four, [], now), { throttled: false });
  assert.deepEqual(loginThrottleOf([...four, now - 60_000], [], now), { throttled: true, retryAfterS: (windowMs - 60_000) / 1000 });
  assert.deepEqual(loginThrottleOf([], [...four, now - 5000], now), { throttled: true, retryAfterS: (windowMs - 5000) / 1000 });
  assert.deepEqual(loginThrottleOf([...four, now - windowMs], [], now), { throttled: false }, 'a failure exactly a window old no longer counts');
  assert.equal((loginThrottleOf([...four, now - windowMs + 10], [], now) as { retryAfterS: number }).retryAfterS, 1, 'at least one second');
});
