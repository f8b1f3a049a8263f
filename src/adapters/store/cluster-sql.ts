// The cluster part of the store (migration 0022, src/core/ports/cluster-store.ts), written once for
// both databases. Mixed into SqlStoreReader and SqlStoreTx like notification-sql.ts. Every write that
// decides who owns something is ONE conditional statement, so two nodes racing cannot both win.
import type { ClusterStoreReader, ClusterStoreTx, HeldLease, NodeRecord, WorkLeaseRecord } from '../../core/ports/cluster-store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { SqlExecutor } from './sql-executor.ts';
import { integerValue, readInteger, readIntegerOrNull, readText, type TableMapping } from './store-rows.ts';

type WithDb = { readonly db: SqlExecutor };

const listRowsMax = 1000;

export const nodeRows: TableMapping<NodeRecord> = {
  table: 'nodes',
  columns: ['id', 'started_at_ms', 'heartbeat_at_ms', 'lease_expires_at_ms', 'stopped_at_ms', 'version', 'address'],
  keyColumns: ['id'],
  toValues: (n) => [n.id, integerValue(n.startedAtMs, 'startedAtMs'), integerValue(n.heartbeatAtMs, 'heartbeatAtMs'), integerValue(n.leaseExpiresAtMs, 'leaseExpiresAtMs'), n.stoppedAtMs, n.version, n.address],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    startedAtMs: readInteger(r.started_at_ms, 'started_at_ms'),
    heartbeatAtMs: readInteger(r.heartbeat_at_ms, 'heartbeat_at_ms'),
    leaseExpiresAtMs: readInteger(r.lease_expires_at_ms, 'lease_expires_at_ms'),
    stoppedAtMs: readIntegerOrNull(r.stopped_at_ms, 'stopped_at_ms'),
    version: readText(r.version, 'version'),
    address: readText(r.address, 'address'),
  }),
};

const workLeaseColumns = 'name, owner_node, epoch, acquired_at_ms, expires_at_ms';

function workLeaseOf(row: Record<string, unknown>): WorkLeaseRecord {
  return {
    name: readText(row.name, 'name'),
    ownerNode: readText(row.owner_node, 'owner_node'),
    epoch: readInteger(row.epoch, 'epoch'),
    acquiredAtMs: readInteger(row.acquired_at_ms, 'acquired_at_ms'),
    expiresAtMs: readInteger(row.expires_at_ms, 'expires_at_ms'),
  };
}

/**
 * Takes, renews or takes over a lease in one statement. The row is created at epoch 1; an existing row
 * changes only when it is ours already (renewal: epoch kept) or expired (takeover: epoch + 1). The SET
 * expressions read the row as it was, on both databases.
 */
const claimWorkLeaseSql = `INSERT INTO work_leases (${workLeaseColumns}) VALUES (?, ?, 1, ?, ?)
  ON CONFLICT (name) DO UPDATE SET
    epoch = CASE WHEN work_leases.owner_node = excluded.owner_node THEN work_leases.epoch ELSE work_leases.epoch + 1 END,
    acquired_at_ms = CASE WHEN work_leases.owner_node = excluded.owner_node THEN work_leases.acquired_at_ms ELSE excluded.acquired_at_ms END,
    owner_node = excluded.owner_node,
    expires_at_ms = excluded.expires_at_ms
  WHERE work_leases.owner_node = excluded.owner_node OR work_leases.expires_at_ms <= ?
  RETURNING ${workLeaseColumns}`;

export const clusterReaderMethods: { [K in keyof ClusterStoreReader]: (this: WithDb, ...args: Parameters<ClusterStoreReader[K]>) => ReturnType<ClusterStoreReader[K]> } = {
  async listNodes() {
    const rows = await this.db.all(`SELECT ${nodeRows.columns.join(', ')} FROM nodes ORDER BY started_at_ms, id LIMIT ${listRowsMax}`, []);
    return rows.map((row) => nodeRows.fromRow(row));
  },
  async getNode(id) {
    const rows = await this.db.all(`SELECT ${nodeRows.columns.join(', ')} FROM nodes WHERE id = ?`, [id]);
    const row = rows[0];
    return row === undefined ? null : nodeRows.fromRow(row);
  },
  async listWorkLeases() {
    const rows = await this.db.all(`SELECT ${workLeaseColumns} FROM work_leases ORDER BY name LIMIT ${listRowsMax}`, []);
    return rows.map(workLeaseOf);
  },
  async ownerNodeOfPayment(paymentId) {
    const rows = await this.db.all('SELECT owner_node FROM payments WHERE id = ?', [paymentId]);
    const owner = rows[0]?.owner_node;
    return typeof owner === 'string' ? owner : null;
  },
  async listPendingPaymentsOfDeadNodes(nowMs, exceptNode, limit) {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > listRowsMax) throw new Error(`list limit must be 1..${listRowsMax}, not ${limit}`);
    // A node without a row never heartbeated here (or was removed): nobody can be driving its sales.
    const rows = await this.db.all(
      `SELECT p.id FROM payments p LEFT JOIN nodes n ON n.id = p.owner_node
       WHERE p.status = 'pending' AND p.owner_node IS NOT NULL AND p.owner_node <> ? AND (n.id IS NULL OR n.lease_expires_at_ms <= ?)
       ORDER BY p.created_at_ms, p.id LIMIT ${limit}`,
      [exceptNode, integerValue(nowMs, 'nowMs')],
    );
    return rows.map((row) => readText(row.id, 'id'));
  },
  async reversalClaimsByNode() {
    const rows = await this.db.all(`SELECT claimed_by, id FROM reversals WHERE state = 'pending' AND claimed_by IS NOT NULL ORDER BY id LIMIT ${listRowsMax}`, []);
    return rows.map((row) => ({ node: readText(row.claimed_by, 'claimed_by'), reversalId: readText(row.id, 'id') }));
  },
};

export const clusterTxMethods: { [K in Exclude<keyof ClusterStoreTx, keyof ClusterStoreReader>]: (this: WithDb, ...args: Parameters<ClusterStoreTx[K]>) => ReturnType<ClusterStoreTx[K]> } = {
  async heartbeatNode(node) {
    await this.db.run(
      `INSERT INTO nodes (${nodeRows.columns.join(', ')}) VALUES (?, ?, ?, ?, NULL, ?, ?)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at_ms = excluded.heartbeat_at_ms, lease_expires_at_ms = excluded.lease_expires_at_ms, stopped_at_ms = NULL, version = excluded.version, address = excluded.address`,
      [node.id, integerValue(node.startedAtMs, 'startedAtMs'), integerValue(node.heartbeatAtMs, 'heartbeatAtMs'), integerValue(node.leaseExpiresAtMs, 'leaseExpiresAtMs'), node.version, node.address],
    );
  },
  async markNodeStopped(id, atMs) {
    const at = integerValue(atMs, 'atMs');
    await this.db.run('UPDATE nodes SET stopped_at_ms = ?, lease_expires_at_ms = ? WHERE id = ?', [at, at, id]);
  },
  async claimWorkLease(name, node, nowMs, leaseMs) {
    const now = integerValue(nowMs, 'nowMs');
    const rows = await this.db.all(claimWorkLeaseSql, [name, node, now, now + integerValue(leaseMs, 'leaseMs'), now]);
    const row = rows[0];
    if (row === undefined) return null;
    const lease = workLeaseOf(row);
    return { name: lease.name, ownerNode: lease.ownerNode, epoch: lease.epoch, expiresAtMs: lease.expiresAtMs };
  },
  async releaseWorkLease(lease) {
    // Expired at once, owner and epoch kept: the next claimant takes it over with epoch + 1.
    await this.db.run('UPDATE work_leases SET expires_at_ms = 0 WHERE name = ? AND owner_node = ? AND epoch = ?', [lease.name, lease.ownerNode, integerValue(lease.epoch, 'epoch')]);
  },
  async assertWorkLease(lease: HeldLease, nowMs) {
    // A no-op UPDATE, not a SELECT: on PostgreSQL it locks the lease row until this transaction ends, so a
    // takeover cannot commit between this check and the writes that follow it (it waits, then wins after).
    const changed = await this.db.run('UPDATE work_leases SET epoch = epoch WHERE name = ? AND owner_node = ? AND epoch = ? AND expires_at_ms > ?', [
      lease.name,
      lease.ownerNode,
      integerValue(lease.epoch, 'epoch'),
      integerValue(nowMs, 'nowMs'),
    ]);
    if (changed === 0) throw new ReswipeError('RSW_LEASE_LOST', { lease: lease.name, node: lease.ownerNode, epoch: lease.epoch });
  },
  async takeOverPayment(paymentId, fromNode, toNode) {
    const changed =
      fromNode === null
        ? await this.db.run(`UPDATE payments SET owner_node = ? WHERE id = ? AND status = 'pending' AND owner_node IS NULL`, [toNode, paymentId])
        : await this.db.run(`UPDATE payments SET owner_node = ? WHERE id = ? AND status = 'pending' AND owner_node = ?`, [toNode, paymentId, fromNode]);
    return changed > 0;
  },
};
