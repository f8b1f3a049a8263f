// Goal: an operator's forced circuit is in force from when it is set until its end, or until lifted.
// Method: forcedCircuitAt over hand-made overrides at instants around the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forcedCircuitAt } from '../../../src/core/routing/channel-override.ts';

test('forcedCircuitAt: none, until lifted, and up to but not at its end', () => {
  assert.equal(forcedCircuitAt(null, 5), null);
  assert.equal(forcedCircuitAt(undefined, 5), null);
  assert.equal(forcedCircuitAt({ state: 'open', untilMs: null }, 5_000_000_000_000), 'open');
  assert.equal(forcedCircuitAt({ state: 'closed', untilMs: 100 }, 99), 'closed');
  assert.equal(forcedCircuitAt({ state: 'closed', untilMs: 100 }, 100), null);
});
