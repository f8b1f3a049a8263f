// Goal: on several nodes the QR follow-up queue and the QR recovery sweep run under the `qr` work lease,
// and a node that loses it in the middle of a pass sends no more cancels or queries and writes nothing
// more (docs/cluster.md). Method: the QR engine over a real store with scripted channels; the fence is a
// stand-in whose lease is lost after the first cancel or query (its own PostgreSQL semantics are tested
// in test/app/cluster/cluster-postgres.test.ts): holds() turns false, check() throws RSW_LEASE_LOST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LeaseFence } from '../../../src/app/cluster/work-lease.ts';
import { isReswipeError, ReswipeError } from '../../../src/core/errors/reswipe-error.ts';
import { noAnswer } from '../../support/fake-qr-channel.ts';
import { qrFixture, type QrFixture } from './qr-fixture.ts';
import { waitingFor } from '../../support/wait-for.ts';

const waitFor = waitingFor({ timeoutMs: 10_000, pollMs: 10 });

/** A fence that holds until `lose()`; a write after that is refused as a taken-over lease's would be. */
function fence(): LeaseFence & { lose(): void; checks: number } {
  let held = true;
  const self = {
    lease: { name: 'qr', ownerNode: 'node-a', epoch: 1, expiresAtMs: Number.MAX_SAFE_INTEGER },
    checks: 0,
    holds: () => held,
    lose: () => {
      held = false;
    },
    async check() {
      self.checks += 1;
      if (!held) throw new ReswipeError('RSW_LEASE_LOST', { lease: 'qr', node: 'node-a', epoch: 1 });
    },
  };
  return self as unknown as LeaseFence & { lose(): void; checks: number };
}

/** Two QR sales whose outcome stayed unknown: each is told WAIT and queued for a cancel. */
async function twoUnknownTrades(f: QrFixture): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < 2; n++) {
    f.wechat.script('pay', noAnswer);
    f.wechat.script('query', ...Array.from({ length: 30 }, () => noAnswer));
    f.wechat.script('cancel', noAnswer, noAnswer, noAnswer);
    const result = await f.engine.takeQrPayment(f.sale({ amountMinor: 2500 + n }));
    assert.ok(result.kind === 'completed');
    assert.equal(result.view.status, 'pending');
    ids.push(result.view.id);
  }
  return ids;
}

test('a node that loses the qr lease after its first cancel sends no second cancel and writes nothing for the first', async () => {
  const f = await qrFixture();
  try {
    const ids = await twoUnknownTrades(f);
    const lease = fence();
    f.wechat.calls.length = 0;
    f.wechat.script('cancel'); // drop what is left of the sales' scripts: the follow-up's cancels answer from the book
    const cancelsBefore = (kind: string) => f.wechat.calls.filter((call) => call.kind === kind).length;
    f.clock.advance(60_000);
    // The lease is lost while the first cancel is on the wire (the node paused, another node claimed it).
    const original = f.wechat.cancel.bind(f.wechat);
    f.wechat.cancel = async (...args: Parameters<typeof original>) => {
      const answer = await original(...args);
      lease.lose();
      return answer;
    };
    await assert.rejects(f.engine.runFollowUps(lease), (error: unknown) => isReswipeError(error, 'RSW_LEASE_LOST'));
    assert.equal(cancelsBefore('cancel'), 1, 'one cancel sent, none after the lease was lost');
    for (const id of ids) {
      assert.equal((await f.store.getPayment(id))?.status, 'pending', 'nothing written after the lease was lost: the new holder ends the trades');
      assert.equal((await f.store.getQrFollowUpOfPayment(id))?.state, 'pending');
    }
    assert.ok(lease.checks >= 1, 'the write was fenced');
    // The new holder (no fence: one process) cancels both, the first again (a cancel is idempotent at the provider).
    const pass = await f.engine.runFollowUps();
    assert.equal(pass.cancelled, 2);
    for (const id of ids) assert.equal((await f.store.getPayment(id))?.status, 'reversed');
  } finally {
    await f.close();
  }
});

test('a recovery sweep that finds the qr lease lost before its next query sends nothing more', async () => {
  const f = await qrFixture();
  try {
    // A sale whose process died after its pay reached the provider: pending, no follow-up queued.
    f.wechat.hangNextPay = { hangState: 'paid' };
    void f.engine.takeQrPayment(f.sale());
    await waitFor('the pay to reach the provider', () => f.wechat.calls.length > 0);
    f.clock.advance(120_000);
    const lease = fence();
    lease.lose();
    f.wechat.calls.length = 0;
    await assert.rejects(f.restart().recoverAfterRestart({ fence: lease }), (error: unknown) => isReswipeError(error, 'RSW_LEASE_LOST'));
    assert.equal(f.wechat.calls.length, 0, 'no query and no cancel after the lease was lost');
    // The node that holds the lease queries and cancels it.
    const recovered = await f.restart().recoverAfterRestart();
    assert.deepEqual(recovered, { payments: 1, declined: 0, cancelsQueued: 1 });
  } finally {
    await f.close();
  }
});
