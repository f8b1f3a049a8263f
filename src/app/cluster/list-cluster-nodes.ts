// Use case: the cluster as the database knows it (GET /v1/nodes, `reswipe nodes`; docs/cluster.md):
// every node with its heartbeat and whether its lease holds, which node leads (the live node that was
// elected last: each election appends `cluster.leader_elected` naming its node), and the work each
// holds: its unexpired work leases and the reversal tries it has claimed.
import type { ClusterView } from '../../core/ports/cluster-store.ts';
import type { Store } from '../../core/ports/store.ts';

/** Stopped nodes older than this are left out of the list (their row stays for the owner column of old payments). */
const stoppedShownMs = 24 * 3_600_000;

export async function listClusterNodes(store: Pick<Store, 'listNodes' | 'listWorkLeases' | 'reversalClaimsByNode' | 'lastEventOf'>, nowMs: number): Promise<ClusterView> {
  const [nodes, leases, claims] = await Promise.all([store.listNodes(), store.listWorkLeases(), store.reversalClaimsByNode()]);
  const shown = nodes.filter((node) => node.stoppedAtMs === null || nowMs - node.stoppedAtMs < stoppedShownMs);
  const isAlive = (node: (typeof nodes)[number]) => node.stoppedAtMs === null && node.leaseExpiresAtMs > nowMs;
  let leader: string | null = null;
  let leaderSeq = -1;
  for (const node of shown) {
    if (!isAlive(node)) continue;
    const elected = await store.lastEventOf('cluster.leader_elected', node.id);
    if (elected !== null && elected.seq > leaderSeq) {
      leader = node.id;
      leaderSeq = elected.seq;
    }
  }
  return {
    nowMs,
    leader,
    nodes: shown.map((node) => ({
      id: node.id,
      version: node.version,
      address: node.address,
      startedAtMs: node.startedAtMs,
      lastHeartbeatAtMs: node.heartbeatAtMs,
      leaseExpiresAtMs: node.leaseExpiresAtMs,
      stoppedAtMs: node.stoppedAtMs,
      alive: isAlive(node),
      leader: node.id === leader,
      leases: leases.filter((lease) => lease.ownerNode === node.id && lease.expiresAtMs > nowMs).map((lease) => ({ name: lease.name, epoch: lease.epoch, expiresAtMs: lease.expiresAtMs })),
      reversalsClaimed: claims.filter((claim) => claim.node === node.id).length,
    })),
  };
}
