// Every read of the store port, written once in the SQL both databases accept. The adapters give
// it an executor: the read connection (or pool) outside a unit of work, the unit's transaction inside.
import type {
  ApiKeyRecord,
  AttemptRecord,
  AuditQuery,
  AuditRecord,
  ManualResolutionRecord,
  ChannelRecord,
  EventRecord,
  FeeLineRecord,
  IdempotencyRecord,
  MerchantRecord,
  Page,
  PaymentQuery,
  PaymentRecord,
  ReswipeCandidate,
  ReswipeMatch,
  ReversalRecord,
  SettlementBatchRecord,
  PayoutAccountRecord,
  PayoutQuery,
  PayoutRecord,
  StoreReader,
  TerminalKeyRecord,
  TerminalRecord,
} from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { SqlExecutor, SqlRow, SqlValue } from './sql-executor.ts';
import { decodePaymentCursor, encodePaymentCursor } from './payment-cursor.ts';
import { notificationReaderMethods } from './notification-sql.ts';
import type { NotificationStoreReader } from '../../core/ports/notification-store.ts';
import {
  apiKeyRows,
  attemptRows,
  auditRows,
  manualResolutionRows,
  channelRows,
  eventRows,
  feeLineRows,
  idempotencyRows,
  merchantRows,
  paymentRows,
  readInteger,
  readText,
  readTextOrNull,
  reversalRows,
  settlementBatchRows,
  payoutAccountRows,
  payoutRows,
  terminalKeyRows,
  terminalRows,
  type TableMapping,
} from './store-rows.ts';

/** Bounds on what one read may return. */
export const readLimits = Object.freeze({
  /** `listPayments` pages; the HTTP API's maximum `limit`. */
  paymentPageRowsMax: 500,
  /** Other lists that take a limit (events, audit, pending work, due reversals, card history). */
  listRowsMax: 1000,
  /** Lists without a limit (merchants, terminals, fee lines, ...): beyond this the query fails instead of truncating. */
  unpagedRowsMax: 100_000,
});

function columnsOf(mapping: TableMapping<unknown>, alias?: string): string {
  return mapping.columns.map((column) => (alias === undefined ? column : `${alias}.${column}`)).join(', ');
}

/** An attempt row joined with its payment's merchant and amount (columns `p_merchant_id`, `p_amount_minor`). */
function withPaymentFields(row: SqlRow): AttemptRecord & { merchantId: string; amountMinor: number } {
  return {
    ...attemptRows.fromRow(row),
    merchantId: String(row.p_merchant_id),
    amountMinor: readInteger(row.p_amount_minor, 'amount_minor'),
  };
}

function checkedLimit(limit: number, max: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'limit', reason: 'must be a positive integer' });
  return Math.min(limit, max);
}

export class SqlStoreReader implements StoreReader {
  protected readonly db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.db = db;
  }

  protected async one<T>(mapping: TableMapping<T>, where: string, params: readonly SqlValue[]): Promise<T | null> {
    const rows = await this.db.all(`SELECT ${columnsOf(mapping)} FROM ${mapping.table} WHERE ${where}`, params);
    const row = rows[0];
    return row === undefined ? null : mapping.fromRow(row);
  }

  /** An unpaged list: reads one row past the bound so that growing past it fails loudly. */
  protected async unpaged<T>(mapping: TableMapping<T>, where: string, params: readonly SqlValue[], orderBy: string): Promise<T[]> {
    const rowsMax = readLimits.unpagedRowsMax;
    const rows = await this.db.all(`SELECT ${columnsOf(mapping)} FROM ${mapping.table} WHERE ${where} ORDER BY ${orderBy} LIMIT ${rowsMax + 1}`, params);
    if (rows.length > rowsMax) throw new ReswipeError('RSW_STORE_RESULT_TOO_LARGE', { rowsMax, record: mapping.table });
    return rows.map((row) => mapping.fromRow(row));
  }

  getMerchant(id: string): Promise<MerchantRecord | null> {
    return this.one(merchantRows, 'id = ?', [id]);
  }

  listMerchants(): Promise<MerchantRecord[]> {
    return this.unpaged(merchantRows, '1 = 1', [], 'id');
  }

  getTerminal(id: string): Promise<TerminalRecord | null> {
    return this.one(terminalRows, 'id = ?', [id]);
  }

  listTerminals(merchantId?: string): Promise<TerminalRecord[]> {
    return merchantId === undefined ? this.unpaged(terminalRows, '1 = 1', [], 'id') : this.unpaged(terminalRows, 'merchant_id = ?', [merchantId], 'id');
  }

  getTerminalKeys(terminalId: string): Promise<TerminalKeyRecord | null> {
    return this.one(terminalKeyRows, 'terminal_id = ?', [terminalId]);
  }

  listTerminalKeys(): Promise<TerminalKeyRecord[]> {
    return this.unpaged(terminalKeyRows, '1 = 1', [], 'terminal_id');
  }

  getChannel(name: string): Promise<ChannelRecord | null> {
    return this.one(channelRows, 'name = ?', [name]);
  }

  listChannels(): Promise<ChannelRecord[]> {
    return this.unpaged(channelRows, '1 = 1', [], 'priority, name');
  }

  getIdempotency(scope: string, key: string): Promise<IdempotencyRecord | null> {
    return this.one(idempotencyRows, 'scope = ? AND idempotency_key = ?', [scope, key]);
  }

  getPayment(id: string): Promise<PaymentRecord | null> {
    return this.one(paymentRows, 'id = ?', [id]);
  }

  async listPayments(query: PaymentQuery): Promise<Page<PaymentRecord>> {
    const limit = checkedLimit(query.limit, readLimits.paymentPageRowsMax);
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    const where = (condition: string, value: SqlValue): void => {
      conditions.push(condition);
      params.push(value);
    };
    if (query.cursor !== undefined) {
      const cursor = decodePaymentCursor(query.cursor);
      conditions.push('(created_at_ms, id) < (?, ?)');
      params.push(cursor.createdAtMs, cursor.id);
    }
    if (query.fromMs !== undefined) where('created_at_ms >= ?', query.fromMs);
    if (query.toMs !== undefined) where('created_at_ms < ?', query.toMs);
    if (query.status !== undefined) where('status = ?', query.status);
    if (query.merchantId !== undefined) where('merchant_id = ?', query.merchantId);
    if (query.terminalId !== undefined) where('terminal_id = ?', query.terminalId);
    if (query.responseCode !== undefined) where('response_code = ?', query.responseCode);
    if (query.category !== undefined) where('decline_category = ?', query.category);
    if (query.last4 !== undefined) where('pan_last4 = ?', query.last4);
    if (query.rrn !== undefined) where('rrn = ?', query.rrn);
    if (query.stan !== undefined) where('terminal_stan = ?', query.stan);
    const whereSql = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    // One row more than asked tells whether another page exists without a second query.
    const rows = await this.db.all(`SELECT ${columnsOf(paymentRows)} FROM payments ${whereSql} ORDER BY created_at_ms DESC, id DESC LIMIT ${limit + 1}`, params);
    const data = rows.slice(0, limit).map((row) => paymentRows.fromRow(row));
    const last = data[data.length - 1];
    const nextCursor = rows.length > limit && last !== undefined ? encodePaymentCursor({ createdAtMs: last.createdAtMs, id: last.id }) : null;
    return { data, nextCursor };
  }

  async listPendingPayments(createdBeforeMs: number, limit: number): Promise<PaymentRecord[]> {
    const rows = await this.db.all(
      `SELECT ${columnsOf(paymentRows)} FROM payments WHERE status = 'pending' AND manual_handling_since_ms IS NULL AND created_at_ms < ? ORDER BY created_at_ms, id LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [createdBeforeMs],
    );
    return rows.map((row) => paymentRows.fromRow(row));
  }

  async listManualHandlingPayments(limit: number): Promise<PaymentRecord[]> {
    const rows = await this.db.all(
      `SELECT ${columnsOf(paymentRows)} FROM payments WHERE manual_handling_since_ms IS NOT NULL AND NOT EXISTS (SELECT 1 FROM manual_resolutions WHERE manual_resolutions.payment_id = payments.id) ORDER BY manual_handling_since_ms DESC, id DESC LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [],
    );
    return rows.map((row) => paymentRows.fromRow(row));
  }

  getManualResolution(paymentId: string): Promise<ManualResolutionRecord | null> {
    return this.one(manualResolutionRows, 'payment_id = ?', [paymentId]);
  }

  async sumApprovedMinor(scope: { merchantId: string; terminalId?: string }, fromMs: number, toMs: number): Promise<number> {
    const byTerminal = scope.terminalId === undefined ? '' : ' AND terminal_id = ?';
    const params: SqlValue[] = [scope.merchantId, fromMs, toMs];
    if (scope.terminalId !== undefined) params.push(scope.terminalId);
    // SUM of BIGINT is NUMERIC on PostgreSQL; the cast brings it back to an integer on both.
    const rows = await this.db.all(
      `SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS total FROM payments WHERE merchant_id = ? AND status = 'approved' AND created_at_ms >= ? AND created_at_ms < ?${byTerminal}`,
      params,
    );
    return readInteger(rows[0]?.total ?? 0, 'total');
  }

  async findReswipeCandidates(match: ReswipeMatch, sinceMs: number, limit: number): Promise<ReswipeCandidate[]> {
    // Served by payments_reswipe_idx (migration 0006): card, amount and terminal by equality, then the window
    // newest first; the few other terms filter the handful of rows left.
    // `merchant_id || ''` keeps SQLite's planner (no statistics, and it rates IS NULL as unselective) from
    // taking payments_merchant_idx, which would read every sale of the merchant in the window.
    const place = match.terminalId === null ? "terminal_id IS NULL AND merchant_id || '' = ?" : 'terminal_id = ?';
    const rows = await this.db.all(
      `SELECT id, kind, status, merchant_id, terminal_id, amount_minor, currency, created_at_ms, updated_at_ms FROM payments
        WHERE pan_fingerprint = ? AND amount_minor = ? AND created_at_ms >= ? AND currency = ? AND kind = ? AND ${place}
        ORDER BY created_at_ms DESC, id DESC LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [match.panFingerprint, match.amountMinor, sinceMs, match.currency, match.kind, match.terminalId ?? match.merchantId],
    );
    return rows.map((row) => ({
      id: readText(row.id, 'id'),
      kind: readText(row.kind, 'kind') as ReswipeCandidate['kind'],
      status: readText(row.status, 'status') as ReswipeCandidate['status'],
      merchantId: readText(row.merchant_id, 'merchant_id'),
      terminalId: readTextOrNull(row.terminal_id, 'terminal_id'),
      amountMinor: readInteger(row.amount_minor, 'amount_minor'),
      currency: readText(row.currency, 'currency'),
      createdAtMs: readInteger(row.created_at_ms, 'created_at_ms'),
      updatedAtMs: readInteger(row.updated_at_ms, 'updated_at_ms'),
    }));
  }

  listAttempts(paymentId: string): Promise<AttemptRecord[]> {
    return this.unpaged(attemptRows, 'payment_id = ?', [paymentId], 'seq, id');
  }

  async listCardDeclines(panFingerprint: string, sinceMs: number, limit: number): Promise<Array<AttemptRecord & { merchantId: string; amountMinor: number }>> {
    // The WHERE matches the partial index attempts_card_declines_idx (migration 0002) term for term.
    const rows = await this.db.all(
      `SELECT ${columnsOf(attemptRows, 'a')}, p.merchant_id AS p_merchant_id, p.amount_minor AS p_amount_minor
         FROM attempts a JOIN payments p ON p.id = a.payment_id
        WHERE a.pan_fingerprint = ? AND a.outcome = 'declined' AND a.created_at_ms >= ?
        ORDER BY a.created_at_ms DESC, a.id DESC LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [panFingerprint, sinceMs],
    );
    return rows.map((row) => withPaymentFields(row));
  }

  findAttemptByUpstreamKey(channel: string, stan: string, transmittedAt: string): Promise<AttemptRecord | null> {
    return this.one(attemptRows, 'channel = ? AND stan = ? AND transmitted_at = ?', [channel, stan, transmittedAt]);
  }

  getReversal(id: string): Promise<ReversalRecord | null> {
    return this.one(reversalRows, 'id = ?', [id]);
  }

  async listDueReversals(dueAtMs: number, limit: number): Promise<ReversalRecord[]> {
    const rows = await this.db.all(
      `SELECT ${columnsOf(reversalRows)} FROM reversals WHERE state = 'pending' AND next_at_ms <= ? ORDER BY next_at_ms, created_at_ms, id LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [dueAtMs],
    );
    return rows.map((row) => reversalRows.fromRow(row));
  }

  async reversalQueueStats(): Promise<{ pending: number; dead: number; oldestPendingCreatedAtMs: number | null }> {
    const rows = await this.db.all(
      `SELECT
         CAST(COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending,
         CAST(COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS BIGINT) AS dead,
         MIN(CASE WHEN state = 'pending' THEN created_at_ms END) AS oldest
       FROM reversals WHERE state IN ('pending', 'dead')`,
      [],
    );
    const row = rows[0] ?? {};
    return {
      pending: readInteger(row.pending ?? 0, 'pending'),
      dead: readInteger(row.dead ?? 0, 'dead'),
      oldestPendingCreatedAtMs: row.oldest === null || row.oldest === undefined ? null : readInteger(row.oldest, 'oldest'),
    };
  }

  listFeeLines(query: { merchantId?: string; paymentId?: string; fromDate?: string; toDate?: string }): Promise<FeeLineRecord[]> {
    const conditions = ['1 = 1'];
    const params: SqlValue[] = [];
    if (query.merchantId !== undefined) (conditions.push('merchant_id = ?'), params.push(query.merchantId));
    if (query.paymentId !== undefined) (conditions.push('payment_id = ?'), params.push(query.paymentId));
    if (query.fromDate !== undefined) (conditions.push('business_date >= ?'), params.push(query.fromDate));
    if (query.toDate !== undefined) (conditions.push('business_date <= ?'), params.push(query.toDate));
    return this.unpaged(feeLineRows, conditions.join(' AND '), params, 'business_date, created_at_ms, id');
  }

  getSettlementBatch(merchantId: string, businessDate: string): Promise<SettlementBatchRecord | null> {
    return this.one(settlementBatchRows, 'merchant_id = ? AND business_date = ?', [merchantId, businessDate]);
  }

  listSettlementBatches(query: { merchantId?: string; fromDate?: string; toDate?: string }): Promise<SettlementBatchRecord[]> {
    const conditions = ['1 = 1'];
    const params: SqlValue[] = [];
    if (query.merchantId !== undefined) (conditions.push('merchant_id = ?'), params.push(query.merchantId));
    if (query.fromDate !== undefined) (conditions.push('business_date >= ?'), params.push(query.fromDate));
    if (query.toDate !== undefined) (conditions.push('business_date <= ?'), params.push(query.toDate));
    return this.unpaged(settlementBatchRows, conditions.join(' AND '), params, 'business_date, merchant_id, id');
  }

  getPayoutAccount(merchantId: string): Promise<PayoutAccountRecord | null> {
    return this.one(payoutAccountRows, 'merchant_id = ?', [merchantId]);
  }

  getPayout(id: string): Promise<PayoutRecord | null> {
    return this.one(payoutRows, 'id = ?', [id]);
  }

  listPayouts(query: PayoutQuery): Promise<PayoutRecord[]> {
    const conditions = ['1 = 1'];
    const params: SqlValue[] = [];
    if (query.merchantId !== undefined) (conditions.push('merchant_id = ?'), params.push(query.merchantId));
    if (query.batchId !== undefined) (conditions.push('batch_id = ?'), params.push(query.batchId));
    if (query.state !== undefined) (conditions.push('state = ?'), params.push(query.state));
    if (query.fileId !== undefined) (conditions.push('file_id = ?'), params.push(query.fileId));
    if (query.fromDate !== undefined) (conditions.push('business_date >= ?'), params.push(query.fromDate));
    if (query.toDate !== undefined) (conditions.push('business_date <= ?'), params.push(query.toDate));
    return this.unpaged(payoutRows, conditions.join(' AND '), params, 'business_date, merchant_id, id');
  }

  async listEvents(afterSeq: number, limit: number, type?: string): Promise<EventRecord[]> {
    const byType = type === undefined ? '' : ' AND type = ?';
    const params: SqlValue[] = type === undefined ? [afterSeq] : [afterSeq, type];
    const rows = await this.db.all(
      `SELECT seq, ${columnsOf(eventRows)} FROM events WHERE seq > ?${byType} ORDER BY seq LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      params,
    );
    return rows.map((row) => eventRows.fromStoredRow(row));
  }

  /** The newest event of a type about one subject (the last batch close of a terminal, ...). */
  async lastEventOf(type: string, subjectId: string): Promise<EventRecord | null> {
    const rows = await this.db.all(`SELECT seq, ${columnsOf(eventRows)} FROM events WHERE type = ? AND subject_id = ? ORDER BY seq DESC LIMIT 1`, [type, subjectId]);
    const row = rows[0];
    return row === undefined ? null : eventRows.fromStoredRow(row);
  }

  listFollowUps(originalPaymentId: string): Promise<PaymentRecord[]> {
    return this.unpaged(paymentRows, 'original_payment_id = ?', [originalPaymentId], 'created_at_ms, id');
  }

  async listExpiredHolds(createdBeforeMs: number, limit: number): Promise<PaymentRecord[]> {
    const rows = await this.db.all(
      `SELECT ${columnsOf(paymentRows)} FROM payments WHERE status = 'approved' AND kind = 'preauth' AND created_at_ms < ? ORDER BY created_at_ms, id LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [createdBeforeMs],
    );
    return rows.map((row) => paymentRows.fromRow(row));
  }

  async listPendingAdvices(limit: number): Promise<AttemptRecord[]> {
    const rows = await this.db.all(
      `SELECT ${columnsOf(attemptRows)} FROM attempts WHERE outcome = 'pending' AND mti IN ('0220', '0221') ORDER BY created_at_ms, id LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [],
    );
    return rows.map((row) => attemptRows.fromRow(row));
  }

  /** Newest first: the console shows the latest actions. Served by audit_log_at_idx (at_ms DESC, id DESC). */
  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const values: SqlValue[] = [];
    if (query.before !== undefined) {
      where.push('(at_ms < ? OR (at_ms = ? AND id < ?))');
      values.push(query.before.atMs, query.before.atMs, query.before.id);
    }
    if (query.action !== undefined) {
      where.push('action = ?');
      values.push(query.action);
    }
    if (query.actor !== undefined) {
      where.push('actor = ?');
      values.push(query.actor);
    }
    if (query.fromMs !== undefined) {
      where.push('at_ms >= ?');
      values.push(query.fromMs);
    }
    if (query.toMs !== undefined) {
      where.push('at_ms < ?');
      values.push(query.toMs);
    }
    const rows = await this.db.all(
      `SELECT ${columnsOf(auditRows)} FROM audit_log${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY at_ms DESC, id DESC LIMIT ${checkedLimit(query.limit, readLimits.listRowsMax)}`,
      values,
    );
    return rows.map((row) => auditRows.fromRow(row));
  }

  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | null> {
    return this.one(apiKeyRows, 'secret_hash = ?', [secretHash]);
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.unpaged(apiKeyRows, '1 = 1', [], 'created_at_ms, id');
  }
}

// The alerts-and-webhooks reads (notification-sql.ts) are written apart and mixed in here.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface SqlStoreReader extends NotificationStoreReader {}
Object.assign(SqlStoreReader.prototype, notificationReaderMethods);
