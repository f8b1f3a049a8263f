// Goal: `reswipe nodes` shows the gateway nodes on the database as GET /v1/nodes does: alive or dead by
// their lease, a clean stop, the leader (the live node elected last) and the leases each holds.
// Method: write node rows, leases, reversal claims and election events through the store into a temp
// SQLite file, then run the real CLI as a child process (text and --json).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/adapters/store/open-store.ts';
import type { ClusterView } from '../../../src/core/ports/cluster-store.ts';
import { envWithoutReswipe, runReswipe } from '../../support/reswipe-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'reswipe-nodes-'));
const databaseUrl = `sqlite:${join(dir, 'nodes.db')}`;
after(() => rmSync(dir, { recursive: true, force: true }));

function reswipe(...args: string[]) {
  return runReswipe(['nodes', ...args], { env: envWithoutReswipe({ RESWIPE_DATABASE_URL: databaseUrl }) });
}

test('an empty database says so; then alive, dead and stopped nodes, the leader and the leases each holds', async () => {
  const empty = reswipe();
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /no gateway node has started/);

  const nowMs = Date.now();
  const store = await openStore(databaseUrl, { synchronous: 'normal' });
  try {
    // Leases of ten minutes: the CLI runs below may take seconds on a busy machine.
    await store.write(async (tx) => {
      const node = (id: string, heartbeatAgoMs: number) => ({ id, startedAtMs: nowMs - 60_000, heartbeatAtMs: nowMs - heartbeatAgoMs, leaseExpiresAtMs: nowMs - heartbeatAgoMs + 600_000, version: '9.9.9', address: `${id}:8080` });
      await tx.heartbeatNode(node('gw-a', 0));
      await tx.heartbeatNode(node('gw-b', 3_600_000));
      await tx.heartbeatNode(node('gw-c', 0));
      await tx.markNodeStopped('gw-c', nowMs - 1000);
      // gw-b led first and died; gw-a was elected after it.
      await tx.appendEvent({ type: 'cluster.leader_elected', subjectId: 'gw-b', payload: { node: 'gw-b' }, atMs: nowMs - 50_000, node: 'gw-b' });
      await tx.appendEvent({ type: 'cluster.leader_elected', subjectId: 'gw-a', payload: { node: 'gw-a' }, atMs: nowMs - 20_000, node: 'gw-a' });
      await tx.claimWorkLease('recovery', 'gw-b', nowMs - 40_000, 5_000);
      await tx.claimWorkLease('recovery', 'gw-a', nowMs, 60_000);
      await tx.claimWorkLease('advices', 'gw-a', nowMs, 60_000);
    });
  } finally {
    await store.close();
  }
  const text = reswipe();
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^\* gw-a\s+alive/m);
  assert.match(text.stdout, /^ {2}gw-b\s+DEAD \(lease expired\)/m);
  assert.match(text.stdout, /^ {2}gw-c\s+stopped/m);
  assert.match(text.stdout, /leases: advices#1, recovery#2/);
  assert.match(text.stdout, /leader: gw-a/);

  const json = reswipe('--json');
  assert.equal(json.status, 0, json.stderr);
  const view = JSON.parse(json.stdout) as ClusterView;
  assert.equal(view.leader, 'gw-a', 'the live node elected last, not the dead one elected before');
  assert.deepEqual(
    view.nodes.map((node) => [node.id, node.alive, node.leader]),
    [
      ['gw-a', true, true],
      ['gw-b', false, false],
      ['gw-c', false, false],
    ],
  );
  assert.deepEqual(view.nodes.find((node) => node.id === 'gw-b')?.leases, [], 'a lease taken over is no longer shown on its old owner');
});
