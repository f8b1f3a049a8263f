// The alerts-and-webhooks part of the store (migration 0017, src/core/ports/notification-store.ts),
// written once for both databases. The methods are mixed into SqlStoreReader and SqlStoreTx, so they
// run on the reader connection outside a unit of work and on the unit's transaction inside one.
import type { AlertRecord, SilenceRecord } from '../../core/alerts/alert-model.ts';
import type {
  AlertRuleOverrideRecord,
  ConsumerCursorRecord,
  DeliveryAttemptRecord,
  NotificationStoreReader,
  NotificationStoreTx,
  OutboxRecord,
  OutboxState,
  WebhookEndpointRecord,
} from '../../core/ports/notification-store.ts';
import type { SqlExecutor, SqlRow, SqlValue } from './sql-executor.ts';
import { insertSql, readInteger, readText, readTextOrNull, upsertSql, type TableMapping } from './store-rows.ts';

function readIntegerOrNull(value: unknown, column: string): number | null {
  return value === null || value === undefined ? null : readInteger(value, column);
}
function readJson<T>(value: unknown, column: string): T {
  if (typeof value === 'string') return JSON.parse(value) as T;
  if (typeof value === 'object' && value !== null) return value as T;
  throw new Error(`store column ${column} is not JSON`);
}
function readJsonOrNull<T>(value: unknown, column: string): T | null {
  return value === null || value === undefined ? null : readJson<T>(value, column);
}
function integer(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw new Error(`store field ${field} must be a safe integer`);
  return value;
}
function integerOrNull(value: number | null, field: string): number | null {
  return value === null ? null : integer(value, field);
}

export const webhookEndpointRows: TableMapping<WebhookEndpointRecord> = {
  table: 'webhook_endpoints',
  columns: ['id', 'url', 'event_types', 'description', 'secrets', 'created_at_ms', 'updated_at_ms', 'deleted_at_ms'],
  keyColumns: ['id'],
  toValues: (e) => [e.id, e.url, JSON.stringify(e.eventTypes), e.description, JSON.stringify(e.secrets), integer(e.createdAtMs, 'createdAtMs'), integer(e.updatedAtMs, 'updatedAtMs'), integerOrNull(e.deletedAtMs, 'deletedAtMs')],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    url: readText(r.url, 'url'),
    eventTypes: readJson<string[]>(r.event_types, 'event_types'),
    description: readText(r.description, 'description'),
    secrets: readJson<WebhookEndpointRecord['secrets']>(r.secrets, 'secrets'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
    deletedAtMs: readIntegerOrNull(r.deleted_at_ms, 'deleted_at_ms'),
  }),
};

export const outboxRows: TableMapping<OutboxRecord> = {
  table: 'outbox',
  columns: ['id', 'channel', 'target_id', 'event_id', 'event_type', 'body', 'state', 'tries', 'next_at_ms', 'created_at_ms', 'updated_at_ms', 'delivered_at_ms', 'last_status', 'last_error'],
  keyColumns: ['id'],
  toValues: (o) => [
    o.id,
    o.channel,
    o.targetId,
    o.eventId,
    o.eventType,
    o.body,
    o.state,
    integer(o.tries, 'tries'),
    integer(o.nextAtMs, 'nextAtMs'),
    integer(o.createdAtMs, 'createdAtMs'),
    integer(o.updatedAtMs, 'updatedAtMs'),
    integerOrNull(o.deliveredAtMs, 'deliveredAtMs'),
    integerOrNull(o.lastStatus, 'lastStatus'),
    o.lastError,
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    channel: readText(r.channel, 'channel') as OutboxRecord['channel'],
    targetId: readText(r.target_id, 'target_id'),
    eventId: readText(r.event_id, 'event_id'),
    eventType: readText(r.event_type, 'event_type'),
    body: readText(r.body, 'body'),
    state: readText(r.state, 'state') as OutboxState,
    tries: readInteger(r.tries, 'tries'),
    nextAtMs: readInteger(r.next_at_ms, 'next_at_ms'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
    deliveredAtMs: readIntegerOrNull(r.delivered_at_ms, 'delivered_at_ms'),
    lastStatus: readIntegerOrNull(r.last_status, 'last_status'),
    lastError: readTextOrNull(r.last_error, 'last_error'),
  }),
};

export const deliveryAttemptRows: TableMapping<DeliveryAttemptRecord> = {
  table: 'delivery_attempts',
  columns: ['outbox_id', 'try_no', 'target_id', 'at_ms', 'status', 'error', 'duration_ms'],
  keyColumns: ['outbox_id', 'try_no'],
  toValues: (a) => [a.outboxId, integer(a.tryNo, 'tryNo'), a.targetId, integer(a.atMs, 'atMs'), integerOrNull(a.status, 'status'), a.error, integer(a.durationMs, 'durationMs')],
  fromRow: (r) => ({
    outboxId: readText(r.outbox_id, 'outbox_id'),
    tryNo: readInteger(r.try_no, 'try_no'),
    targetId: readText(r.target_id, 'target_id'),
    atMs: readInteger(r.at_ms, 'at_ms'),
    status: readIntegerOrNull(r.status, 'status'),
    error: readTextOrNull(r.error, 'error'),
    durationMs: readInteger(r.duration_ms, 'duration_ms'),
  }),
};

export const consumerCursorRows: TableMapping<ConsumerCursorRecord> = {
  table: 'consumer_cursors',
  columns: ['name', 'seq', 'state', 'updated_at_ms'],
  keyColumns: ['name'],
  toValues: (c) => [c.name, integer(c.seq, 'seq'), c.state === null ? null : JSON.stringify(c.state), integer(c.updatedAtMs, 'updatedAtMs')],
  fromRow: (r) => ({ name: readText(r.name, 'name'), seq: readInteger(r.seq, 'seq'), state: readJsonOrNull<Record<string, unknown>>(r.state, 'state'), updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms') }),
};

function readBoolean(value: unknown, column: string): boolean {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  throw new Error(`store column ${column} is not a boolean`);
}

export const alertRows: TableMapping<AlertRecord> = {
  table: 'alerts',
  columns: ['id', 'rule_id', 'kind', 'severity', 'fingerprint', 'labels', 'state', 'members', 'detail', 'started_at_ms', 'updated_at_ms', 'resolved_at_ms', 'notified_at_ms', 'clear_since_ms', 'silenced'],
  keyColumns: ['id'],
  toValues: (a) => [
    a.id,
    a.ruleId,
    a.kind,
    a.severity,
    a.fingerprint,
    JSON.stringify(a.labels),
    a.state,
    integer(a.members, 'members'),
    JSON.stringify(a.detail),
    integer(a.startedAtMs, 'startedAtMs'),
    integer(a.updatedAtMs, 'updatedAtMs'),
    integerOrNull(a.resolvedAtMs, 'resolvedAtMs'),
    integerOrNull(a.notifiedAtMs, 'notifiedAtMs'),
    integerOrNull(a.clearSinceMs, 'clearSinceMs'),
    a.silenced,
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    ruleId: readText(r.rule_id, 'rule_id'),
    kind: readText(r.kind, 'kind') as AlertRecord['kind'],
    severity: readText(r.severity, 'severity') as AlertRecord['severity'],
    fingerprint: readText(r.fingerprint, 'fingerprint'),
    labels: readJson<Record<string, string>>(r.labels, 'labels'),
    state: readText(r.state, 'state') as AlertRecord['state'],
    members: readInteger(r.members, 'members'),
    detail: readJson<Record<string, unknown>>(r.detail, 'detail'),
    startedAtMs: readInteger(r.started_at_ms, 'started_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
    resolvedAtMs: readIntegerOrNull(r.resolved_at_ms, 'resolved_at_ms'),
    notifiedAtMs: readIntegerOrNull(r.notified_at_ms, 'notified_at_ms'),
    clearSinceMs: readIntegerOrNull(r.clear_since_ms, 'clear_since_ms'),
    silenced: readBoolean(r.silenced, 'silenced'),
  }),
};

export const silenceRows: TableMapping<SilenceRecord> = {
  table: 'alert_silences',
  columns: ['id', 'matchers', 'reason', 'created_by', 'starts_at_ms', 'ends_at_ms', 'created_at_ms'],
  keyColumns: ['id'],
  toValues: (s) => [s.id, JSON.stringify(s.matchers), s.reason, s.createdBy, integer(s.startsAtMs, 'startsAtMs'), integer(s.endsAtMs, 'endsAtMs'), integer(s.createdAtMs, 'createdAtMs')],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    matchers: readJson<SilenceRecord['matchers']>(r.matchers, 'matchers'),
    reason: readText(r.reason, 'reason'),
    createdBy: readText(r.created_by, 'created_by'),
    startsAtMs: readInteger(r.starts_at_ms, 'starts_at_ms'),
    endsAtMs: readInteger(r.ends_at_ms, 'ends_at_ms'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
  }),
};

export const alertRuleOverrideRows: TableMapping<AlertRuleOverrideRecord> = {
  table: 'alert_rule_overrides',
  columns: ['id', 'rule', 'updated_at_ms', 'updated_by'],
  keyColumns: ['id'],
  toValues: (o) => [o.id, JSON.stringify(o.rule), integer(o.updatedAtMs, 'updatedAtMs'), o.updatedBy],
  fromRow: (r) => ({ id: readText(r.id, 'id'), rule: readJson<Record<string, unknown>>(r.rule, 'rule'), updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'), updatedBy: readText(r.updated_by, 'updated_by') }),
};

/** Bounds on the lists below (the store's usual cap on one read). */
const listRowsMax = 1000;
function limitOf(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > listRowsMax) throw new Error(`list limit must be 1..${listRowsMax}, not ${limit}`);
  return limit;
}

type WithDb = { readonly db: SqlExecutor };

/** The one row of a table matching `where`, or null (shared with console-access-sql.ts). */
/**
 * The oldest deliveries that ended (delivered or cancelled) before a time, at most `limit`: the retention
 * purge's read. outbox_finished_idx (migration 0034) holds exactly these rows in this order, so a pass reads
 * `limit` index entries however many pending, dead or recent deliveries the outbox holds.
 */
export function finishedOutboxSql(limit: number): string {
  return `SELECT id FROM outbox WHERE state IN ('delivered', 'cancelled') AND updated_at_ms < ? ORDER BY updated_at_ms, id LIMIT ${limit}`;
}

export async function selectOne<T>(db: SqlExecutor, mapping: TableMapping<T>, where: string, params: readonly SqlValue[]): Promise<T | null> {
  const rows = await db.all(`SELECT ${mapping.columns.join(', ')} FROM ${mapping.table} WHERE ${where}`, params);
  const row = rows[0];
  return row === undefined ? null : mapping.fromRow(row);
}
async function selectMany<T>(db: SqlExecutor, mapping: TableMapping<T>, rest: string, params: readonly SqlValue[]): Promise<T[]> {
  const rows: SqlRow[] = await db.all(`SELECT ${mapping.columns.join(', ')} FROM ${mapping.table} ${rest}`, params);
  return rows.map((row) => mapping.fromRow(row));
}

/** The reads, mixed into SqlStoreReader (`this.db` is the reader's executor). */
export const notificationReaderMethods: { [K in keyof NotificationStoreReader]: (this: WithDb, ...args: Parameters<NotificationStoreReader[K]>) => ReturnType<NotificationStoreReader[K]> } = {
  getWebhookEndpoint(id) {
    return selectOne(this.db, webhookEndpointRows, 'id = ?', [id]);
  },
  listWebhookEndpoints() {
    return selectMany(this.db, webhookEndpointRows, `ORDER BY created_at_ms, id LIMIT ${listRowsMax}`, []);
  },
  getOutbox(id) {
    return selectOne(this.db, outboxRows, 'id = ?', [id]);
  },
  listDueOutbox(dueAtMs, limit) {
    return selectMany(this.db, outboxRows, `WHERE state = 'pending' AND next_at_ms <= ? ORDER BY next_at_ms, id LIMIT ${limitOf(limit)}`, [integer(dueAtMs, 'dueAtMs')]);
  },
  listOutboxOfTarget(targetId, query) {
    const byState = query.state === undefined ? '' : ' AND state = ?';
    return selectMany(this.db, outboxRows, `WHERE target_id = ?${byState} ORDER BY created_at_ms DESC, id DESC LIMIT ${limitOf(query.limit)}`, query.state === undefined ? [targetId] : [targetId, query.state]);
  },
  listDeliveryAttempts(outboxId) {
    return selectMany(this.db, deliveryAttemptRows, `WHERE outbox_id = ? ORDER BY try_no LIMIT ${listRowsMax}`, [outboxId]);
  },
  async outboxStats() {
    const rows = await this.db.all(
      `SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending') AS pending, (SELECT COUNT(*) FROM outbox WHERE state = 'dead') AS dead,
              (SELECT MIN(created_at_ms) FROM outbox WHERE state = 'pending') AS oldest`,
      [],
    );
    const row = rows[0] ?? {};
    return { pending: readInteger(row.pending ?? 0, 'pending'), dead: readInteger(row.dead ?? 0, 'dead'), oldestPendingCreatedAtMs: readIntegerOrNull(row.oldest, 'oldest') };
  },
  getConsumerCursor(name) {
    return selectOne(this.db, consumerCursorRows, 'name = ?', [name]);
  },
  getAlert(id) {
    return selectOne(this.db, alertRows, 'id = ?', [id]);
  },
  listAlerts(query) {
    const byState = query.state === undefined ? '' : 'WHERE state = ? ';
    return selectMany(this.db, alertRows, `${byState}ORDER BY started_at_ms DESC, id DESC LIMIT ${limitOf(query.limit)}`, query.state === undefined ? [] : [query.state]);
  },
  listSilences(atMs) {
    return selectMany(this.db, silenceRows, `WHERE ends_at_ms > ? ORDER BY ends_at_ms, id LIMIT ${listRowsMax}`, [integer(atMs, 'atMs')]);
  },
  getSilence(id) {
    return selectOne(this.db, silenceRows, 'id = ?', [id]);
  },
  listAlertRuleOverrides() {
    return selectMany(this.db, alertRuleOverrideRows, `ORDER BY id LIMIT ${listRowsMax}`, []);
  },
};

/** The writes, mixed into SqlStoreTx. */
export const notificationTxMethods: { [K in keyof NotificationStoreTx]: (this: WithDb, ...args: Parameters<NotificationStoreTx[K]>) => ReturnType<NotificationStoreTx[K]> } = {
  async upsertWebhookEndpoint(endpoint) {
    await this.db.run(upsertSql(webhookEndpointRows), webhookEndpointRows.toValues(endpoint));
  },
  async insertOutbox(record) {
    const changed = await this.db.run(`${insertSql(outboxRows)} ON CONFLICT (target_id, event_id) DO NOTHING`, outboxRows.toValues(record));
    return changed > 0;
  },
  async claimOutbox(id, expectedNextAtMs, leaseUntilMs, atMs) {
    const changed = await this.db.run(`UPDATE outbox SET next_at_ms = ?, updated_at_ms = ? WHERE id = ? AND state = 'pending' AND next_at_ms = ?`, [
      integer(leaseUntilMs, 'leaseUntilMs'),
      integer(atMs, 'atMs'),
      id,
      integer(expectedNextAtMs, 'expectedNextAtMs'),
    ]);
    return changed > 0;
  },
  async updateOutbox(record) {
    const changed = await this.db.run(
      'UPDATE outbox SET state = ?, tries = ?, next_at_ms = ?, updated_at_ms = ?, delivered_at_ms = ?, last_status = ?, last_error = ? WHERE id = ?',
      [record.state, integer(record.tries, 'tries'), integer(record.nextAtMs, 'nextAtMs'), integer(record.updatedAtMs, 'updatedAtMs'), integerOrNull(record.deliveredAtMs, 'deliveredAtMs'), integerOrNull(record.lastStatus, 'lastStatus'), record.lastError, record.id],
    );
    if (changed === 0) throw new Error(`outbox row ${record.id} does not exist`);
  },
  async insertDeliveryAttempt(attempt) {
    await this.db.run(insertSql(deliveryAttemptRows), deliveryAttemptRows.toValues(attempt));
  },
  async deleteFinishedOutbox(finishedBeforeMs, limit) {
    const before = integer(finishedBeforeMs, 'finishedBeforeMs');
    const ids = (await this.db.all(finishedOutboxSql(limitOf(limit)), [before])).map((row) => readText(row.id, 'id'));
    if (ids.length === 0) return 0;
    const placeholders = ids.map(() => '?').join(', ');
    await this.db.run(`DELETE FROM delivery_attempts WHERE outbox_id IN (${placeholders})`, ids);
    return this.db.run(`DELETE FROM outbox WHERE id IN (${placeholders})`, ids);
  },
  cancelPendingOutbox(targetId, atMs) {
    return this.db.run(`UPDATE outbox SET state = 'cancelled', updated_at_ms = ? WHERE target_id = ? AND state = 'pending'`, [integer(atMs, 'atMs'), targetId]);
  },
  async setConsumerCursor(cursor) {
    await this.db.run(upsertSql(consumerCursorRows), consumerCursorRows.toValues(cursor));
  },
  async compareAndSetConsumerCursor(cursor, expectedUpdatedAtMs) {
    const values = consumerCursorRows.toValues(cursor);
    if (expectedUpdatedAtMs === null) {
      const inserted = await this.db.run(`${insertSql(consumerCursorRows)} ON CONFLICT (name) DO NOTHING`, values);
      return inserted > 0;
    }
    const changed = await this.db.run('UPDATE consumer_cursors SET seq = ?, state = ?, updated_at_ms = ? WHERE name = ? AND updated_at_ms = ?', [
      values[1] ?? null,
      values[2] ?? null,
      values[3] ?? null,
      cursor.name,
      integer(expectedUpdatedAtMs, 'expectedUpdatedAtMs'),
    ]);
    return changed > 0;
  },
  async upsertAlert(alert) {
    await this.db.run(upsertSql(alertRows), alertRows.toValues(alert));
  },
  async insertSilence(silence) {
    await this.db.run(insertSql(silenceRows), silenceRows.toValues(silence));
  },
  async endSilence(id, atMs) {
    const at = integer(atMs, 'atMs');
    const changed = await this.db.run('UPDATE alert_silences SET ends_at_ms = ? WHERE id = ? AND ends_at_ms > ?', [at, id, at]);
    return changed > 0;
  },
  async upsertAlertRuleOverride(record) {
    await this.db.run(upsertSql(alertRuleOverrideRows), alertRuleOverrideRows.toValues(record));
  },
};
