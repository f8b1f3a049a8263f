// Goal: STAN block arithmetic wraps within 1..999999 and hands out each STAN of a block once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstStanOfBlock, StanBlocks, stanMax } from '../../../src/adapters/store/stan-blocks.ts';

test('a block ending at the counter value starts size - 1 STANs before it, wrapping past 999999', () => {
  assert.equal(firstStanOfBlock(10, 10), 1);
  assert.equal(firstStanOfBlock(1_010, 1_000), 11);
  assert.equal(firstStanOfBlock(5, 10), stanMax - 4);
  assert.equal(firstStanOfBlock(stanMax, 10), stanMax - 9);
});

test('take hands out the block in order, wraps to 000001, and returns null when the block is used up or forgotten', () => {
  const blocks = new StanBlocks(3);
  assert.equal(blocks.take('a'), null);
  const forget = blocks.install('a', 1); // 999998, 999999, 1
  assert.deepEqual([blocks.take('a'), blocks.take('a'), blocks.take('a'), blocks.take('a')], [stanMax - 1, stanMax, 1, null]);
  blocks.install('a', 6);
  forget(); // an older block's undo must not drop the current one
  assert.equal(blocks.take('a'), 4);
  blocks.forget('a');
  assert.equal(blocks.take('a'), null);
  assert.throws(() => new StanBlocks(0));
});
