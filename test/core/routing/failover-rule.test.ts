// Goal: failover happens only when the earlier attempt provably moved no money and the fault was the
// channel's. Method: one table row per response code or outcome through the real decline table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyResponseCode } from '../../../src/core/declines/index.ts';
import { failoverAllowed, isChannelSideDecline, type EarlierAttempt } from '../../../src/core/routing/failover-rule.ts';

const codes: Array<[code: string, channelSide: boolean]> = [
  ['91', true],
  ['92', true],
  ['96', true],
  ['68', true],
  ['98', true],
  ['90', true],
  ['06', true],
  ['51', false],
  ['54', false],
  ['14', false],
  ['41', false],
  ['43', false],
  ['05', false],
  ['61', false],
  ['12', false],
  ['30', false],
  ['58', false],
  ['94', false],
];

for (const [code, channelSide] of codes) {
  test(`declined ${code}: failover ${channelSide ? 'allowed' : 'never'}`, () => {
    const diagnosis = classifyResponseCode(code);
    assert.equal(isChannelSideDecline(diagnosis), channelSide);
    assert.equal(failoverAllowed({ outcome: 'declined', diagnosis }), channelSide);
  });
}

const outcomes: Array<[string, EarlierAttempt, boolean]> = [
  ['not sent', { outcome: 'not_sent' }, true],
  ['unknown, reversal pending', { outcome: 'unknown', reversalConfirmed: false }, false],
  ['unknown, reversal confirmed', { outcome: 'unknown', reversalConfirmed: true }, true],
  ['approved', { outcome: 'approved' }, false],
];
for (const [name, earlier, allowed] of outcomes) {
  test(`${name}: failover ${allowed ? 'allowed' : 'never'}`, () => assert.equal(failoverAllowed(earlier), allowed));
}
