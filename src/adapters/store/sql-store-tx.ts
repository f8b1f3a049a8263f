// Every write of the store port, written once. It runs on the connection of a group-commit batch,
// inside the savepoint of one unit, so it also reads its own uncommitted writes.
import type {
  ApiKeyRecord,
  AttemptRecord,
  AuditRecord,
  ChannelRecord,
  ConfigChangeKind,
  FeePlanRecord,
  EventRecord,
  FeeLineRecord,
  IdempotencyRecord,
  DrillReportRecord,
  ChannelHealthRecord,
  ManualResolutionRecord,
  MerchantRecord,
  PaymentRecord,
  PayoutAccountRecord,
  PayoutRecord,
  ReversalRecord,
  QrFollowUpRecord,
  SettlementBatchRecord,
  StoreTx,
  DiscrepancyActionRecord,
  DiscrepancyRecord,
  ReconLineRecord,
  ReconRunRecord,
  SettlementAdjustmentRecord,
  TerminalKeyRecord,
  TerminalRecord,
} from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { statementSlices, type SqlExecutor, type SqlValue } from './sql-executor.ts';
import { discrepancyActionRows, discrepancyRows, reconLineRows, reconRunRows, settlementAdjustmentRows } from './recon-rows.ts';
import type { UnitEffects } from './group-commit.ts';
import { bumpConfigVersionSql, type ConfigCache } from './config-cache.ts';
import { reserveStanBlockSql, stanMax, type StanBlocks } from './stan-blocks.ts';
import { SqlStoreReader } from './sql-store-reader.ts';
import { notificationTxMethods } from './notification-sql.ts';
import { consoleAccessTxMethods } from './console-access-sql.ts';
import type { ConsoleAccessStoreTx } from '../../core/ports/console-access-store.ts';
import { clusterTxMethods } from './cluster-sql.ts';
import type { ClusterStoreTx } from '../../core/ports/cluster-store.ts';
import type { NotificationStoreTx } from '../../core/ports/notification-store.ts';
import { analyticsTxMethods } from './analytics-sql.ts';
import type { AnalyticsStoreTx } from '../../core/ports/analytics-store.ts';
import {
  apiKeyRows,
  attemptRows,
  auditRows,
  channelRows,
  eventRows,
  feeLineRows,
  idempotencyRows,
  drillReportRows,
  channelHealthRows,
  manualResolutionRows,
  insertSql,
  merchantRows,
  paymentRows,
  payoutAccountRows,
  payoutRows,
  readInteger,
  reversalRows,
  qrFollowUpRows,
  settlementBatchRows,
  terminalKeyRows,
  feePlanRows,
  terminalRows,
  updateByKey,
  upsertSql,
  type TableMapping,
} from './store-rows.ts';

export { stanMax } from './stan-blocks.ts';

export interface SqlStoreTxOptions {
  /**
   * The statement that appends an event and returns its seq, taking the event values in
   * `eventRows` order. On PostgreSQL it first takes a transaction-scoped advisory lock, so seqs
   * become visible in the order they were drawn, even across gateway nodes: a reader following
   * the stream by seq never skips an event that commits late. (SQLite has one writer anyway.)
   */
  appendEventSql: string;
  /**
   * PostgreSQL: the statement taking the same advisory lock as `appendEventSql`, run before a multi-row
   * append (`appendEvents`) so its seqs are ordered like a single append's. Absent on SQLite (one writer).
   */
  eventOrderLockSql?: string;
  /**
   * What `lockPaymentForUpdate` appends to its SELECT: ` FOR UPDATE` on PostgreSQL (the row stays locked
   * until the batch's transaction ends, across gateway nodes); empty on SQLite, where the single writer
   * connection and `BEGIN IMMEDIATE` already serialise every unit, so a plain read is as good as a lock.
   */
  rowLockSql: '' | ' FOR UPDATE';
  /** The SQL expression giving the next payment journal seq (0014), evaluated inside the statement that stamps a payment. */
  journalSeqSql: string;
  /** The store's STAN blocks; without them every STAN is its own counter write. */
  stanBlocks?: StanBlocks;
  /** The store's cache of merchants, terminals and channels: forgotten once a write of them is durable. */
  configCache?: ConfigCache;
  /**
   * PostgreSQL: announces a change of live configuration to every node (`pg_notify`, delivered only if
   * the transaction commits); called with the change's payload. Absent on SQLite (one node).
   */
  announceConfigChange?: (kind: ConfigChangeKind, id: string) => { sql: string; params: SqlValue[] };
  /** Memory effects tied to this unit's outcome (a STAN block forgotten if the unit rolls back). */
  effects?: UnitEffects;
  /** The gateway node writing (docs/cluster.md): the owner of payments and idempotency records inserted, the node of events appended. */
  nodeId?: () => string | null;
}

/** The plain event insert: enough where a single writer orders commits (SQLite). */
/** Inserts an attempt with its payment's card fingerprint and key id (the last two parameters are the payment id again). */
const insertAttemptSql = `INSERT INTO attempts (${attemptRows.columns.join(', ')}, pan_fingerprint, pan_key_id) VALUES (${attemptRows.columns.map(() => '?').join(', ')}, (SELECT pan_fingerprint FROM payments WHERE id = ?), (SELECT pan_key_id FROM payments WHERE id = ?))`;

function insertJournalledPaymentSql(journalSeqSql: string): string {
  return `INSERT INTO payments (${paymentRows.columns.join(', ')}, owner_node, journal_seq) VALUES (${paymentRows.columns.map(() => '?').join(', ')}, ?, ${journalSeqSql})`;
}

// The owner node (migration 0022) is written on insert only: updates never move a payment or a key to another node; a takeover does (cluster-sql.ts).
const insertPaymentSql = `INSERT INTO payments (${paymentRows.columns.join(', ')}, owner_node) VALUES (${paymentRows.columns.map(() => '?').join(', ')}, ?)`;
const insertIdempotencySql = `INSERT INTO idempotency_records (${idempotencyRows.columns.join(', ')}, owner_node) VALUES (${idempotencyRows.columns.map(() => '?').join(', ')}, ?)`;

/** SQLite's next journal seq: one writer at a time, so the highest seq + 1 (read from the index) is unique and in commit order. */
const paymentListColumns = ['id', 'journal_seq', 'created_at_ms', 'merchant_id', 'terminal_id', 'kind', 'status', 'method', 'amount_minor', 'pan_last4', 'card_brand', 'card_type', 'terminal_stan', 'rrn', 'reference', 'response_code', 'decline_category'];
// The payment list's rows (migration 0027) of a journal range, copied from payments as they are now: a
// payment journalled again later has moved past the range and is copied by a later batch. The WHERE of the
// update keeps a row from going back to an older seq (a batch repeated after a crash, or a slower node).
const projectPaymentListSql = `INSERT INTO payment_list (${paymentListColumns.join(', ')})
  SELECT ${paymentListColumns.join(', ')} FROM payments WHERE journal_seq > ? AND journal_seq <= ?
  ON CONFLICT (id) DO UPDATE SET ${paymentListColumns.filter((column) => column !== 'id').map((column) => `${column} = excluded.${column}`).join(', ')}
  WHERE payment_list.journal_seq IS NULL OR payment_list.journal_seq < excluded.journal_seq`;

export const sqliteJournalSeqSql = '(SELECT COALESCE(MAX(journal_seq), 0) + 1 FROM payments WHERE journal_seq IS NOT NULL)';

export const plainAppendEventSql = `${insertSql(eventRows)} RETURNING seq`;

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface below names the methods mixed in with Object.assign
export class SqlStoreTx extends SqlStoreReader implements StoreTx {
  readonly #options: SqlStoreTxOptions;

  constructor(db: SqlExecutor, options: SqlStoreTxOptions) {
    super(db);
    this.#options = options;
  }

  async #insert<T>(mapping: TableMapping<T>, record: T): Promise<void> {
    await this.db.run(insertSql(mapping), mapping.toValues(record));
  }

  async #upsert<T>(mapping: TableMapping<T>, record: T): Promise<void> {
    await this.db.run(upsertSql(mapping), mapping.toValues(record));
  }

  async #updateExisting<T>(mapping: TableMapping<T>, record: T, what: string, before?: T): Promise<void> {
    const { sql, values } = updateByKey(mapping, record, before);
    const changed = await this.db.run(sql, values);
    if (changed === 0) throw new ReswipeError('RSW_STORE_NOT_FOUND', { record: what });
  }

  /** Caches of other processes see a change of live configuration by this version (config-cache.ts), besides the announcement. */
  async #configChanged(kind: ConfigChangeKind, id: string): Promise<void> {
    await this.db.run(bumpConfigVersionSql, []);
    await this.#announce(kind, id);
  }

  /** Tells every node (pg_notify, delivered on commit) and this process's listeners once durable, without moving the version. */
  async #announce(kind: ConfigChangeKind, id: string): Promise<void> {
    const announce = this.#options.announceConfigChange?.(kind, id);
    if (announce !== undefined) await this.db.all(announce.sql, announce.params);
    const cache = this.#options.configCache;
    if (cache !== undefined) this.#options.effects?.onDurable(() => cache.apply({ kind, id }));
  }

  async upsertMerchant(merchant: MerchantRecord): Promise<void> {
    await this.#upsert(merchantRows, merchant);
    await this.#configChanged('merchant', merchant.id);
  }

  async upsertTerminal(terminal: TerminalRecord): Promise<void> {
    await this.#upsert(terminalRows, terminal);
    await this.#configChanged('terminal', terminal.id);
  }

  async touchTerminal(id: string, seenAtMs: number): Promise<boolean> {
    // One narrow UPDATE, not a read-modify-upsert: a sign-off or a console edit committed meanwhile is never overwritten.
    const atMs = readInteger(seenAtMs, 'seenAtMs');
    const changed = await this.db.run('UPDATE terminals SET last_seen_at_ms = ? WHERE id = ? AND (last_seen_at_ms IS NULL OR last_seen_at_ms < ?)', [atMs, id, atMs]);
    // Not a configuration change (no version bump); this process's copy is dropped all the same.
    const cache = this.#options.configCache;
    if (changed > 0 && cache !== undefined) this.#options.effects?.onDurable(() => cache.forget('terminal', id));
    return changed > 0;
  }

  async upsertChannel(channel: ChannelRecord): Promise<void> {
    await this.#upsert(channelRows, channel);
    await this.#configChanged('channel', channel.name);
  }

  async upsertFeePlan(plan: FeePlanRecord): Promise<void> {
    await this.#upsert(feePlanRows, plan);
    await this.#configChanged('fee_plan', plan.name);
  }

  async upsertTerminalKeys(record: TerminalKeyRecord): Promise<void> {
    await this.#upsert(terminalKeyRows, record);
    // A new master key voids the working keys every node may hold in memory (docs/terminal-keys.md); rare, so it moves the version too.
    await this.#configChanged('terminal_keys', record.terminalId);
  }

  async setTerminalWorkingKeys(terminalId: string, tmkVersion: number, keys: NonNullable<TerminalKeyRecord['workingKeys']>, atMs: number): Promise<boolean> {
    // One narrow UPDATE guarded by the TMK version: a rotation committed meanwhile wins.
    const changed = await this.db.run(
      `UPDATE terminal_keys SET pin_key_sealed = ?, pin_key_check_value = ?, mac_key_sealed = ?, mac_key_check_value = ?, data_key_sealed = ?, data_key_check_value = ?,
         working_keys_at_ms = ?, updated_at_ms = ? WHERE terminal_id = ? AND tmk_version = ?`,
      [keys.pinSealed, keys.pinCheckValue, keys.macSealed, keys.macCheckValue, keys.dataSealed, keys.dataCheckValue, readInteger(keys.issuedAtMs, 'issuedAtMs'), readInteger(atMs, 'atMs'), terminalId, readInteger(tmkVersion, 'tmkVersion')],
    );
    // Announced, not versioned: a sign-on is daily per terminal, and moving the version would empty every node's whole cache each time.
    if (changed > 0) await this.#announce('terminal_keys', terminalId);
    return changed > 0;
  }

  async insertIdempotency(record: IdempotencyRecord): Promise<void> {
    await this.db.run(insertIdempotencySql, [...idempotencyRows.toValues(record), this.#nodeId()]);
  }

  #nodeId(): string | null {
    return this.#options.nodeId?.() ?? null;
  }

  async updateIdempotency(
    scope: string,
    key: string,
    change: Pick<IdempotencyRecord, 'paymentId' | 'state' | 'responseStatus' | 'responseBody' | 'updatedAtMs'>,
  ): Promise<void> {
    const changed = await this.db.run(
      'UPDATE idempotency_records SET payment_id = ?, state = ?, response_status = ?, response_body = ?, updated_at_ms = ? WHERE scope = ? AND idempotency_key = ?',
      [change.paymentId, change.state, change.responseStatus, change.responseBody, readInteger(change.updatedAtMs, 'updatedAtMs'), scope, key],
    );
    if (changed === 0) throw new ReswipeError('RSW_STORE_NOT_FOUND', { record: 'idempotency record' });
  }

  async lockPaymentForUpdate(id: string): Promise<PaymentRecord | null> {
    const rows = await this.db.all(`SELECT ${paymentRows.columns.join(', ')} FROM payments WHERE id = ?${this.#options.rowLockSql}`, [id]);
    const row = rows[0];
    return row === undefined ? null : paymentRows.fromRow(row);
  }

  async insertPayment(payment: PaymentRecord): Promise<void> {
    // A payment inserted final (a local decline) is journalled at once; a pending one when it is updated.
    if (payment.status === 'pending') {
      await this.db.run(insertPaymentSql, [...paymentRows.toValues(payment), this.#nodeId()]);
      return;
    }
    await this.db.run(insertJournalledPaymentSql(this.#options.journalSeqSql), [...paymentRows.toValues(payment), this.#nodeId()]);
  }

  async updatePayment(before: PaymentRecord, after: PaymentRecord): Promise<boolean> {
    if (after.id !== before.id) throw new Error(`updatePayment: ${after.id} is not ${before.id}`);
    const expectedVersion = readInteger(before.version, 'before.version');
    // Only the changed columns are written (the version always is): the row equals `before` whenever the version still matches.
    const { sql, values } = updateByKey(paymentRows, { ...after, version: expectedVersion + 1 }, before);
    // Every update moves the payment to the head of the journal, in the same statement (docs/projector.md).
    const journalled = sql.replace(' WHERE ', `, journal_seq = ${this.#options.journalSeqSql} WHERE `);
    const changed = await this.db.run(`${journalled} AND version = ?`, [...values, expectedVersion]);
    return changed > 0;
  }

  async insertAttempt(attempt: AttemptRecord): Promise<void> {
    // The card fingerprint is copied from the payment row (migration 0002) so listCardDeclines needs no scan of payments.
    await this.db.run(insertAttemptSql, [...attemptRows.toValues(attempt), attempt.paymentId, attempt.paymentId]);
  }

  async updateAttempt(attempt: AttemptRecord, before?: AttemptRecord): Promise<void> {
    if (before !== undefined && before.id !== attempt.id) throw new Error(`updateAttempt: ${attempt.id} is not ${before.id}`);
    // Writing every column made SQLite delete and re-insert the attempt's entries in attempts_upstream_key and
    // attempts_payment_seq_key (and probe both for uniqueness) on every answer: 18 against 11 us per update.
    // An attempt equal to `before` is written whole (updateByKey), as without it: the update still proves the row exists.
    return this.#updateExisting(attemptRows, attempt, 'attempt', before);
  }

  async nextStan(channel: string): Promise<string> {
    const blocks = this.#options.stanBlocks;
    if (blocks !== undefined) {
      const taken = blocks.take(channel);
      if (taken !== null) return String(taken).padStart(6, '0');
      // One write reserves the next block; the counter then holds its last STAN.
      const reserved = await this.db.all(reserveStanBlockSql(blocks.size), [channel]);
      const last = readInteger(reserved[0]?.value, 'value');
      if (last < 1 || last > stanMax) throw new Error(`STAN counter for a channel left its range: ${last}`);
      const forget = blocks.install(channel, last);
      // Undone with the unit: the block was never reserved, so it must not be handed out.
      if (this.#options.effects === undefined) throw new Error('STAN blocks need the unit effects of the group commit');
      this.#options.effects.onRolledBack(forget);
      const first = blocks.take(channel);
      if (first === null) throw new Error('broken invariant: a fresh STAN block is empty');
      return String(first).padStart(6, '0');
    }
    const rows = await this.db.all(
      `INSERT INTO stan_counters (channel, value) VALUES (?, 1)
       ON CONFLICT (channel) DO UPDATE SET value = CASE WHEN stan_counters.value >= ${stanMax} THEN 1 ELSE stan_counters.value + 1 END
       RETURNING value`,
      [channel],
    );
    const value = readInteger(rows[0]?.value, 'value');
    if (value < 1 || value > stanMax) throw new Error(`STAN counter for a channel left its range: ${value}`);
    return String(value).padStart(6, '0');
  }

  async setStanCounter(channel: string, lastStan: number): Promise<void> {
    if (!(Number.isSafeInteger(lastStan) && lastStan >= 0 && lastStan <= stanMax)) {
      throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'lastStan', reason: `must be an integer in 0..${stanMax}` });
    }
    await this.db.run('INSERT INTO stan_counters (channel, value) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET value = excluded.value', [channel, lastStan]);
    this.#options.stanBlocks?.forget(channel);
  }

  insertReversal(reversal: ReversalRecord): Promise<void> {
    return this.#insert(reversalRows, reversal);
  }

  updateReversal(reversal: ReversalRecord): Promise<void> {
    return this.#updateExisting(reversalRows, reversal, 'reversal');
  }

  insertQrFollowUp(followUp: QrFollowUpRecord): Promise<void> {
    return this.#insert(qrFollowUpRows, followUp);
  }

  updateQrFollowUp(followUp: QrFollowUpRecord): Promise<void> {
    return this.#updateExisting(qrFollowUpRows, followUp, 'QR follow-up');
  }

  async claimReversalTry(before: ReversalRecord, inFlight: ReversalRecord, node: string, nowMs: number): Promise<boolean> {
    if (inFlight.id !== before.id) throw new Error(`claimReversalTry: ${inFlight.id} is not ${before.id}`);
    const changed = await this.db.run(`UPDATE reversals SET tries = ?, next_at_ms = ?, claimed_by = ? WHERE id = ? AND state = 'pending' AND tries = ? AND next_at_ms <= ?`, [
      readInteger(inFlight.tries, 'tries'),
      readInteger(inFlight.nextAtMs, 'nextAtMs'),
      node,
      before.id,
      readInteger(before.tries, 'before.tries'),
      readInteger(nowMs, 'nowMs'),
    ]);
    return changed > 0;
  }

  async updateReversalAtTry(reversal: ReversalRecord, expectedTries: number, node: string): Promise<boolean> {
    const { sql, values } = updateByKey(reversalRows, reversal);
    const changed = await this.db.run(`${sql} AND tries = ? AND claimed_by = ?`, [...values, readInteger(expectedTries, 'expectedTries'), node]);
    return changed > 0;
  }

  insertFeeLine(line: FeeLineRecord): Promise<void> {
    return this.#insert(feeLineRows, line);
  }

  insertFeeLinesIfAbsent(lines: readonly FeeLineRecord[]): Promise<number> {
    // Fee line ids derive from their payment: a line already there (written inline, by a removal that
    // needed it, or by a batch repeated after a crash) is kept as it is, never written twice.
    return this.#insertMany(feeLineRows, lines, ' ON CONFLICT (id) DO NOTHING');
  }

  upsertSettlementBatch(batch: SettlementBatchRecord): Promise<void> {
    return this.#upsert(settlementBatchRows, batch);
  }

  async setProjectorCheckpoint(name: string, seq: number, atMs: number): Promise<void> {
    await this.db.run(
      'INSERT INTO projector_checkpoints (name, seq, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at_ms = excluded.updated_at_ms',
      [name, readInteger(seq, 'seq'), readInteger(atMs, 'atMs')],
    );
  }

  async projectPaymentList(afterSeq: number, throughSeq: number): Promise<void> {
    await this.db.run(projectPaymentListSql, [readInteger(afterSeq, 'afterSeq'), readInteger(throughSeq, 'throughSeq')]);
  }

  upsertPayoutAccount(account: PayoutAccountRecord): Promise<void> {
    return this.#upsert(payoutAccountRows, account);
  }

  insertPayout(payout: PayoutRecord): Promise<void> {
    return this.#insert(payoutRows, payout);
  }

  async updatePayout(before: PayoutRecord, after: PayoutRecord): Promise<boolean> {
    if (after.id !== before.id) throw new Error(`updatePayout: ${after.id} is not ${before.id}`);
    const expectedVersion = readInteger(before.version, 'before.version');
    const { sql, values } = updateByKey(payoutRows, { ...after, version: expectedVersion + 1 }, before);
    const changed = await this.db.run(`${sql} AND version = ?`, [...values, expectedVersion]);
    return changed > 0;
  }

  async appendEvent(event: Omit<EventRecord, 'seq'>): Promise<number> {
    const node = event.node ?? this.#nodeId();
    const rows = await this.db.all(this.#options.appendEventSql, eventRows.toValues(node === null ? event : { ...event, node }));
    return readInteger(rows[0]?.seq, 'seq');
  }

  async appendEvents(events: readonly Omit<EventRecord, 'seq'>[]): Promise<void> {
    if (events.length === 0) return;
    if (this.#options.eventOrderLockSql !== undefined) await this.db.all(this.#options.eventOrderLockSql, []);
    const nodeId = this.#nodeId();
    // Multi-row INSERTs: the rows take their seqs in the order given.
    await this.#insertMany(eventRows, nodeId === null ? events : events.map((event) => (event.node !== undefined ? event : { ...event, node: nodeId })));
  }

  appendAudit(record: AuditRecord): Promise<void> {
    return this.#insert(auditRows, record);
  }

  insertDrillReport(record: DrillReportRecord): Promise<void> {
    return this.#insert(drillReportRows, record);
  }

  upsertChannelHealth(record: ChannelHealthRecord): Promise<void> {
    return this.#upsert(channelHealthRows, record);
  }

  insertManualResolution(record: ManualResolutionRecord): Promise<void> {
    return this.#insert(manualResolutionRows, record);
  }

  insertApiKey(key: ApiKeyRecord): Promise<void> {
    return this.#insert(apiKeyRows, key);
  }

  async revokeApiKey(id: string, atMs: number): Promise<boolean> {
    const changed = await this.db.run('UPDATE api_keys SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL', [readInteger(atMs, 'atMs'), id]);
    return changed > 0;
  }

  async touchApiKey(id: string, atMs: number): Promise<void> {
    const at = readInteger(atMs, 'atMs');
    await this.db.run('UPDATE api_keys SET last_used_at_ms = ? WHERE id = ? AND (last_used_at_ms IS NULL OR last_used_at_ms < ?)', [at, id, at]);
  }

  insertReconRun(run: ReconRunRecord): Promise<void> {
    return this.#insert(reconRunRows, run);
  }

  async updateReconRun(run: ReconRunRecord): Promise<void> {
    const { sql, values } = updateByKey(reconRunRows, run);
    if ((await this.db.run(sql, values)) !== 1) throw new Error(`broken invariant: reconciliation run ${run.id} is not stored`);
  }

  async insertReconLines(lines: readonly ReconLineRecord[]): Promise<void> {
    await this.#insertMany(reconLineRows, lines);
  }

  async settleReconLine(runId: string, lineNo: number, change: Pick<ReconLineRecord, 'result' | 'attemptId' | 'paymentId'>): Promise<void> {
    const changed = await this.db.run('UPDATE recon_lines SET result = ?, attempt_id = ?, payment_id = ? WHERE run_id = ? AND line_no = ?', [change.result, change.attemptId, change.paymentId, runId, lineNo]);
    if (changed !== 1) throw new Error(`broken invariant: line ${lineNo} of run ${runId} is not stored`);
  }

  async deleteReconRunContent(runId: string): Promise<void> {
    await this.db.run('DELETE FROM recon_discrepancy_actions WHERE discrepancy_id IN (SELECT id FROM recon_discrepancies WHERE run_id = ?)', [runId]);
    await this.db.run('DELETE FROM recon_discrepancies WHERE run_id = ?', [runId]);
    await this.db.run('DELETE FROM recon_lines WHERE run_id = ?', [runId]);
  }

  async insertDiscrepancies(discrepancies: readonly DiscrepancyRecord[]): Promise<void> {
    await this.#insertMany(discrepancyRows, discrepancies);
  }

  async updateDiscrepancy(before: DiscrepancyRecord, after: DiscrepancyRecord): Promise<boolean> {
    const next = { ...after, id: before.id, version: before.version + 1 };
    const { sql, values } = updateByKey(discrepancyRows, next, before);
    return (await this.db.run(`${sql} AND version = ?`, [...values, before.version])) === 1;
  }

  insertDiscrepancyAction(action: DiscrepancyActionRecord): Promise<void> {
    return this.#insert(discrepancyActionRows, action);
  }

  insertSettlementAdjustment(adjustment: SettlementAdjustmentRecord): Promise<void> {
    return this.#insert(settlementAdjustmentRows, adjustment);
  }

  async assignSettlementAdjustments(merchantId: string, businessDate: string, batchId: string): Promise<SettlementAdjustmentRecord[]> {
    await this.db.run('UPDATE settlement_adjustments SET batch_id = ? WHERE merchant_id = ? AND batch_id IS NULL AND business_date <= ?', [batchId, merchantId, businessDate]);
    return this.listSettlementAdjustments({ merchantId, batchId });
  }

  /**
   * One multi-row INSERT per few hundred records: a million clearing lines are a few thousand statements,
   * not a million. `conflict` is appended to each (e.g. ` ON CONFLICT (id) DO NOTHING`); returns the rows inserted.
   */
  async #insertMany<T>(mapping: TableMapping<T>, records: readonly T[], conflict = ''): Promise<number> {
    const row = `(${mapping.columns.map(() => '?').join(', ')})`;
    let inserted = 0;
    for (const slice of statementSlices(records, mapping.columns.length)) {
      const values: SqlValue[] = slice.flatMap((record) => mapping.toValues(record));
      inserted += await this.db.run(`INSERT INTO ${mapping.table} (${mapping.columns.join(', ')}) VALUES ${slice.map(() => row).join(', ')}${conflict}`, values);
    }
    return inserted;
  }

}

// The alerts-and-webhooks writes (notification-sql.ts), the console's users and sessions
// (console-access-sql.ts) and the analytics rollup writes (analytics-sql.ts) are written apart and mixed in here.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface SqlStoreTx extends NotificationStoreTx, ConsoleAccessStoreTx, AnalyticsStoreTx, ClusterStoreTx {}
Object.assign(SqlStoreTx.prototype, notificationTxMethods, consoleAccessTxMethods, analyticsTxMethods, clusterTxMethods);
