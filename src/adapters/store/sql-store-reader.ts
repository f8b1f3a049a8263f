// Every read of the store port, written once in the SQL both databases accept. The adapters give
// it an executor: the read connection (or pool) outside a unit of work, the unit's transaction inside.
import type {
  ApiKeyRecord,
  AttemptRecord,
  AuditQuery,
  AuditRecord,
  DrillReportRecord,
  ChannelHealthRecord,
  ManualResolutionRecord,
  MerchantStandingFactsRecord,
  ChannelRecord,
  FeePlanRecord,
  EventRecord,
  FeeLineRecord,
  IdempotencyRecord,
  MerchantRecord,
  Page,
  PaymentKind,
  PaymentQuery,
  PaymentRecord,
  ReswipeCandidate,
  ReswipeMatch,
  ReversalRecord,
  QrFollowUpRecord,
  SettlementBatchRecord,
  PayoutAccountRecord,
  PayoutQuery,
  PayoutRecord,
  StoreReader,
  DiscrepancyActionRecord,
  DiscrepancyQuery,
  DiscrepancyRecord,
  ReconLineRecord,
  ReconRunRecord,
  SettlementAdjustmentRecord,
  TerminalKeyRecord,
  TerminalRecord,
} from '../../core/ports/store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { cardBrands, type CardBrand } from '../../core/vocabulary.ts';
import { paymentKinds } from '../../core/payments/payment-view.ts';
import { inListSlices, whereIf, type SqlExecutor, type SqlRow, type SqlValue } from './sql-executor.ts';
import type { ConfigCache } from './config-cache.ts';
import { decodePaymentCursor, encodePaymentCursor } from './payment-cursor.ts';
import { approvedSumSql, currentPaymentParts, paymentQueryTerms, type PaymentAlias } from './current-payments-sql.ts';
import type { JournalEntry } from '../../core/reconciliation/journal-entry.ts';
import { discrepancyActionRows, discrepancyRows, journalEntryOf, journalSelectSql, reconLineRows, reconRunRows, settlementAdjustmentRows } from './recon-rows.ts';
import { notificationReaderMethods } from './notification-sql.ts';
import { consoleAccessReaderMethods } from './console-access-sql.ts';
import type { ConsoleAccessStoreReader } from '../../core/ports/console-access-store.ts';
import { clusterReaderMethods } from './cluster-sql.ts';
import type { ClusterStoreReader } from '../../core/ports/cluster-store.ts';
import type { NotificationStoreReader } from '../../core/ports/notification-store.ts';
import { analyticsReaderMethods } from './analytics-sql.ts';
import type { AnalyticsStoreReader } from '../../core/ports/analytics-store.ts';
import {
  apiKeyRows,
  attemptRows,
  auditRows,
  drillReportRows,
  channelHealthRows,
  manualResolutionRows,
  channelRows,
  feePlanRows,
  eventRows,
  feeLineRows,
  idempotencyRows,
  merchantRows,
  paymentRows,
  readInteger,
  readText,
  readTextOrNull,
  reversalRows,
  qrFollowUpRows,
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

/** Bounds on one merchant standing read (merchantStandingFacts): payments counted per period, declines listed. */
export const standingReadLimits = Object.freeze({
  /** Sales and pre-authorizations of the period counted (newest first); a busier month is `truncated`. */
  paymentsMax: 200_000,
  /** Payments of the period and the 30 days before it searched for declines (newest first). */
  declineSearchPaymentsMax: 400_000,
  /** Declines returned (newest first). */
  declinesMax: 20_000,
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

/** A payment kind as an SQL string literal: only the kinds of the vocabulary, so nothing else reaches the SQL text. */
function paymentKindLiteral(kind: PaymentKind): string {
  if (!paymentKinds.includes(kind)) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'kind', reason: 'not a payment kind' });
  return `'${kind}'`;
}

function checkedLimit(limit: number, max: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'limit', reason: 'must be a positive integer' });
  return Math.min(limit, max);
}

/** The one row of `mapping` matching `where`, or null. */
async function selectOne<T>(db: SqlExecutor, mapping: TableMapping<T>, where: string, params: readonly SqlValue[]): Promise<T | null> {
  const rows = await db.all(`SELECT ${columnsOf(mapping)} FROM ${mapping.table} WHERE ${where}`, params);
  const row = rows[0];
  return row === undefined ? null : mapping.fromRow(row);
}

// The loaders of the cached reads (every sale reads its terminal and merchant): module functions, not
// closures made per read, which tsx's keepNames would name each time (config-cache.ts, `read`).
function merchantById(db: SqlExecutor, id: string): Promise<MerchantRecord | null> {
  return selectOne(db, merchantRows, 'id = ?', [id]);
}

function terminalById(db: SqlExecutor, id: string): Promise<TerminalRecord | null> {
  return selectOne(db, terminalRows, 'id = ?', [id]);
}

function channelByName(db: SqlExecutor, name: string): Promise<ChannelRecord | null> {
  return selectOne(db, channelRows, 'name = ?', [name]);
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface below names the methods mixed in with Object.assign
export class SqlStoreReader implements StoreReader {
  protected readonly db: SqlExecutor;
  /** Set on the store's own reader (reads outside units); a unit's tx reads the database. */
  protected readonly configCache: ConfigCache | null;

  constructor(db: SqlExecutor, configCache: ConfigCache | null = null) {
    this.db = db;
    this.configCache = configCache;
  }

  protected one<T>(mapping: TableMapping<T>, where: string, params: readonly SqlValue[]): Promise<T | null> {
    return selectOne(this.db, mapping, where, params);
  }

  /** An unpaged list: reads one row past the bound so that growing past it fails loudly. */
  protected async unpaged<T>(mapping: TableMapping<T>, where: string, params: readonly SqlValue[], orderBy: string): Promise<T[]> {
    const rowsMax = readLimits.unpagedRowsMax;
    const rows = await this.db.all(`SELECT ${columnsOf(mapping)} FROM ${mapping.table} WHERE ${where} ORDER BY ${orderBy} LIMIT ${rowsMax + 1}`, params);
    if (rows.length > rowsMax) throw new ReswipeError('RSW_STORE_RESULT_TOO_LARGE', { rowsMax, record: mapping.table });
    return rows.map((row) => mapping.fromRow(row));
  }

  getMerchant(id: string): Promise<MerchantRecord | null> {
    return this.configCache === null ? merchantById(this.db, id) : this.configCache.read('merchant', id, this.db, merchantById);
  }

  listMerchants(): Promise<MerchantRecord[]> {
    return this.unpaged(merchantRows, '1 = 1', [], 'id');
  }

  getTerminal(id: string): Promise<TerminalRecord | null> {
    return this.configCache === null ? terminalById(this.db, id) : this.configCache.read('terminal', id, this.db, terminalById);
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
    return this.configCache === null ? channelByName(this.db, name) : this.configCache.read('channel', name, this.db, channelByName);
  }

  listChannels(): Promise<ChannelRecord[]> {
    return this.unpaged(channelRows, '1 = 1', [], 'priority, name');
  }

  // Fee plans are not cached here: each node holds the parsed set itself and re-reads it on a change notice (src/app/fees/live-fee-plans.ts).
  getFeePlanRecord(name: string): Promise<FeePlanRecord | null> {
    return this.one(feePlanRows, 'name = ?', [name]);
  }

  listFeePlanRecords(): Promise<FeePlanRecord[]> {
    return this.unpaged(feePlanRows, '1 = 1', [], 'name');
  }

  listChannelHealth(): Promise<ChannelHealthRecord[]> {
    return this.unpaged(channelHealthRows, '1 = 1', [], 'node_id, channel');
  }

  getIdempotency(scope: string, key: string): Promise<IdempotencyRecord | null> {
    return this.one(idempotencyRows, 'scope = ? AND idempotency_key = ?', [scope, key]);
  }

  getPayment(id: string): Promise<PaymentRecord | null> {
    return this.one(paymentRows, 'id = ?', [id]);
  }

  async listPayments(query: PaymentQuery): Promise<Page<PaymentRecord>> {
    const limit = checkedLimit(query.limit, readLimits.paymentPageRowsMax);
    const cursor = query.cursor === undefined ? undefined : decodePaymentCursor(query.cursor);
    // One row more than asked tells whether another page exists without a second query.
    const parts = currentPaymentParts(columnsOf(paymentRows, 'p'), paymentQueryTerms(query, cursor), limit + 1);
    const rows = await this.db.all(`SELECT ${columnsOf(paymentRows)} FROM (${parts.sql}) current_payments ORDER BY created_at_ms DESC, id DESC LIMIT ${limit + 1}`, parts.params);
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
    // Exact, as the limits need: the projected approvals plus those after the projector's checkpoint.
    const sum = approvedSumSql(scope, fromMs, toMs);
    const rows = await this.db.all(sum.sql, sum.params);
    return readInteger(rows[0]?.total ?? 0, 'total');
  }

  async findReswipeCandidates(match: ReswipeMatch, sinceMs: number, limit: number): Promise<ReswipeCandidate[]> {
    // Served by payments_reswipe_idx (migration 0006): card, amount and terminal by equality, then the window
    // newest first; the few other terms filter the handful of rows left.
    // `merchant_id || ''` keeps SQLite's planner (no statistics, and it rates IS NULL as unselective) from
    // taking an index that leads with the merchant (payments_merchant_idx until migration 0027), which would
    // read every sale of the merchant in the window.
    const place = match.terminalId === null ? "terminal_id IS NULL AND merchant_id || '' = ?" : 'terminal_id = ?';
    // The kind is written as a literal, not bound: `kind` is in the WHERE of a partial index
    // (payments_open_holds_idx, kind = 'preauth'), and SQLite re-prepares a statement whose bound value
    // decided whether a partial index applies every time that value is bound again, i.e. on every call:
    // 20-30 us a read instead of 2-3 (docs/reswipe-guard.md, "What the guard's reads cost").
    const rows = await this.db.all(
      `SELECT id, kind, status, merchant_id, terminal_id, amount_minor, currency, created_at_ms, updated_at_ms FROM payments
        WHERE pan_fingerprint = ? AND amount_minor = ? AND created_at_ms >= ? AND currency = ? AND kind = ${paymentKindLiteral(match.kind)} AND ${place}
        ORDER BY created_at_ms DESC, id DESC LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [match.panFingerprint, match.amountMinor, sinceMs, match.currency, match.terminalId ?? match.merchantId],
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

  async listAttemptsOfPayments(paymentIds: readonly string[]): Promise<AttemptRecord[]> {
    if (paymentIds.length === 0) return [];
    if (paymentIds.length > 1000) throw new Error('broken invariant: at most 1000 payment ids per read');
    // Padded to a power of two (inListSlices): a few statement texts, whatever the batch's size.
    const [ids = []] = inListSlices(paymentIds);
    const rows = await this.db.all(`SELECT ${columnsOf(attemptRows)} FROM attempts WHERE payment_id IN (${ids.map(() => '?').join(', ')}) ORDER BY payment_id, seq`, ids);
    return rows.map((row) => attemptRows.fromRow(row));
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

  async merchantStandingFacts(merchantId: string, fromMs: number, toMs: number, declinesFromMs: number): Promise<MerchantStandingFactsRecord> {
    // Every read takes the merchant's newest payments of the period, bounded by a LIMIT, as they are now
    // (payment_list_merchant_idx for the projected ones, current-payments-sql.ts), and reaches attempts by
    // attempts_payment_seq_key (payment_id, seq): bounded work.
    const newestOfPeriod = (select: string, from: number, rowsMax: number, salesOnly: boolean): { sql: string; params: SqlValue[] } => {
      const base = paymentQueryTerms({ limit: 1, merchantId, fromMs: from, toMs }, undefined);
      const terms = { sql: (alias: PaymentAlias) => [...base.sql(alias), ...(salesOnly ? [`${alias}.kind IN ('sale', 'preauth')`] : [])], params: base.params };
      const parts = currentPaymentParts(`${select}, p.created_at_ms AS created_at_ms`, terms, rowsMax);
      return { sql: `SELECT * FROM (${parts.sql}) current_payments ORDER BY created_at_ms DESC, id DESC LIMIT ${rowsMax}`, params: parts.params };
    };
    const period = newestOfPeriod('p.id AS id, p.entry_mode AS entry_mode', fromMs, standingReadLimits.paymentsMax, true);
    const periodPayments = period.sql;
    const entryRows = await this.db.all(`SELECT entry_mode, CAST(COUNT(*) AS BIGINT) AS n FROM (${periodPayments}) p GROUP BY entry_mode`, period.params);
    const entries: Record<string, number> = {};
    let payments = 0;
    for (const row of entryRows) {
      const count = readInteger(row.n, 'n');
      entries[readText(row.entry_mode, 'entry_mode')] = count;
      payments += count;
    }
    const outcomeRows = await this.db.all(
      `SELECT a.outcome AS outcome, CAST(COUNT(*) AS BIGINT) AS n FROM (${periodPayments}) p JOIN attempts a ON a.payment_id = p.id
        WHERE a.outcome IN ('approved', 'declined', 'unknown', 'reversed') GROUP BY a.outcome`,
      period.params,
    );
    const upstream = { attempted: 0, approved: 0, declined: 0 };
    for (const row of outcomeRows) {
      const count = readInteger(row.n, 'n');
      upstream.attempted += count;
      const outcome = readText(row.outcome, 'outcome');
      if (outcome === 'approved') upstream.approved = count;
      if (outcome === 'declined') upstream.declined = count;
    }
    const declineSearch = newestOfPeriod(
      'p.id AS id, p.pan_fingerprint AS pan_fingerprint, p.card_brand AS card_brand, p.amount_minor AS amount_minor',
      declinesFromMs,
      standingReadLimits.declineSearchPaymentsMax,
      false,
    );
    const declineRows = await this.db.all(
      `SELECT p.pan_fingerprint AS pan_fingerprint, p.card_brand AS card_brand, p.amount_minor AS amount_minor, a.response_code AS response_code, a.created_at_ms AS created_at_ms
         FROM (${declineSearch.sql}) p
         JOIN attempts a ON a.payment_id = p.id
        WHERE a.outcome = 'declined'
        ORDER BY p.created_at_ms DESC, a.created_at_ms DESC, a.id DESC LIMIT ${standingReadLimits.declinesMax + 1}`,
      declineSearch.params,
    );
    const declines = declineRows.slice(0, standingReadLimits.declinesMax).map((row) => {
      const brand = readText(row.card_brand, 'card_brand');
      return {
        panFingerprint: readText(row.pan_fingerprint, 'pan_fingerprint'),
        cardBrand: ((cardBrands as readonly string[]).includes(brand) ? brand : 'unknown') as CardBrand,
        amountMinor: readInteger(row.amount_minor, 'amount_minor'),
        responseCode: readTextOrNull(row.response_code, 'response_code'),
        atMs: readInteger(row.created_at_ms, 'created_at_ms'),
      };
    });
    // The decline search is bounded by payments too; reaching that bound is only known by counting them,
    // which costs as much as the search: a month with more payments than the bound is truncated anyway.
    const truncated = payments >= standingReadLimits.paymentsMax || declineRows.length > standingReadLimits.declinesMax;
    return { upstream, entries, declines, truncated };
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

  async listDueQrFollowUps(dueAtMs: number, limit: number): Promise<QrFollowUpRecord[]> {
    const rows = await this.db.all(
      `SELECT ${columnsOf(qrFollowUpRows)} FROM qr_follow_ups WHERE state = 'pending' AND next_at_ms <= ? ORDER BY next_at_ms, created_at_ms, id LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [dueAtMs],
    );
    return rows.map((row) => qrFollowUpRows.fromRow(row));
  }

  getQrFollowUpOfPayment(paymentId: string): Promise<QrFollowUpRecord | null> {
    return this.one(qrFollowUpRows, 'payment_id = ?', [paymentId]);
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
    whereIf(conditions, params, query.merchantId, 'merchant_id = ?');
    whereIf(conditions, params, query.paymentId, 'payment_id = ?');
    whereIf(conditions, params, query.fromDate, 'business_date >= ?');
    whereIf(conditions, params, query.toDate, 'business_date <= ?');
    return this.unpaged(feeLineRows, conditions.join(' AND '), params, 'business_date, created_at_ms, id');
  }

  getSettlementBatch(merchantId: string, businessDate: string): Promise<SettlementBatchRecord | null> {
    return this.one(settlementBatchRows, 'merchant_id = ? AND business_date = ?', [merchantId, businessDate]);
  }

  listSettlementBatches(query: { merchantId?: string; fromDate?: string; toDate?: string }): Promise<SettlementBatchRecord[]> {
    const conditions = ['1 = 1'];
    const params: SqlValue[] = [];
    whereIf(conditions, params, query.merchantId, 'merchant_id = ?');
    whereIf(conditions, params, query.fromDate, 'business_date >= ?');
    whereIf(conditions, params, query.toDate, 'business_date <= ?');
    return this.unpaged(settlementBatchRows, conditions.join(' AND '), params, 'business_date, merchant_id, id');
  }

  async listPaymentJournal(afterSeq: number, limit: number): Promise<Array<{ seq: number; payment: PaymentRecord }>> {
    const rows = await this.db.all(
      `SELECT ${columnsOf(paymentRows)}, journal_seq FROM payments WHERE journal_seq > ? ORDER BY journal_seq LIMIT ${checkedLimit(limit, readLimits.listRowsMax)}`,
      [readInteger(afterSeq, 'afterSeq')],
    );
    return rows.map((row) => ({ seq: readInteger(row.journal_seq, 'journal_seq'), payment: paymentRows.fromRow(row) }));
  }

  async paymentJournalHead(): Promise<{ seq: number; atMs: number | null }> {
    const rows = await this.db.all('SELECT journal_seq, updated_at_ms FROM payments WHERE journal_seq IS NOT NULL ORDER BY journal_seq DESC LIMIT 1', []);
    const row = rows[0];
    return row === undefined ? { seq: 0, atMs: null } : { seq: readInteger(row.journal_seq, 'journal_seq'), atMs: readInteger(row.updated_at_ms, 'updated_at_ms') };
  }

  async getProjectorCheckpoint(name: string): Promise<number> {
    const rows = await this.db.all('SELECT seq FROM projector_checkpoints WHERE name = ?', [name]);
    return rows[0] === undefined ? 0 : readInteger(rows[0].seq, 'seq');
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
    whereIf(conditions, params, query.merchantId, 'merchant_id = ?');
    whereIf(conditions, params, query.batchId, 'batch_id = ?');
    whereIf(conditions, params, query.state, 'state = ?');
    whereIf(conditions, params, query.fileId, 'file_id = ?');
    whereIf(conditions, params, query.fromDate, 'business_date >= ?');
    whereIf(conditions, params, query.toDate, 'business_date <= ?');
    return this.unpaged(payoutRows, conditions.join(' AND '), params, 'business_date, merchant_id, id');
  }

  /** Newest first, served by drill_reports_started_idx (started_at_ms DESC, id DESC). */
  async listDrillReports(query: { limit: number; scenario?: string; before?: { startedAtMs: number; id: string } }): Promise<DrillReportRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    whereIf(where, params, query.scenario, 'scenario = ?');
    if (query.before !== undefined) {
      where.push('(started_at_ms < ? OR (started_at_ms = ? AND id < ?))');
      params.push(query.before.startedAtMs, query.before.startedAtMs, query.before.id);
    }
    const rows = await this.db.all(
      `SELECT ${columnsOf(drillReportRows)} FROM drill_reports${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY started_at_ms DESC, id DESC LIMIT ${checkedLimit(query.limit, readLimits.listRowsMax)}`,
      params,
    );
    return rows.map((row) => drillReportRows.fromRow(row));
  }

  getDrillReport(id: string): Promise<DrillReportRecord | null> {
    return this.one(drillReportRows, 'id = ?', [id]);
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

  /** MAX of the primary key: one step down its B-tree, whatever the length of the history. */
  async latestEventSeq(): Promise<number> {
    const rows = await this.db.all('SELECT MAX(seq) AS seq FROM events', []);
    const seq = rows[0]?.seq;
    return seq === null || seq === undefined ? 0 : readInteger(seq, 'seq');
  }

  /** The newest event of a type about one subject (the last batch close of a terminal, ...). */
  async lastEventOf(type: string, subjectId: string): Promise<EventRecord | null> {
    const rows = await this.db.all(`SELECT seq, ${columnsOf(eventRows)} FROM events WHERE type = ? AND subject_id = ? ORDER BY seq DESC LIMIT 1`, [type, subjectId]);
    const row = rows[0];
    return row === undefined ? null : eventRows.fromStoredRow(row);
  }

  async subjectsWithEvent(type: string, subjectIds: readonly string[]): Promise<Set<string>> {
    // events_subject_type_idx (subject_id, type, seq): one seek per id, a few statements for any number of ids.
    const found = new Set<string>();
    for (const slice of inListSlices(subjectIds, 1)) {
      const rows = await this.db.all(`SELECT DISTINCT subject_id FROM events WHERE subject_id IN (${slice.map(() => '?').join(', ')}) AND type = ?`, [...slice, type]);
      for (const row of rows) found.add(readText(row.subject_id, 'subject_id'));
    }
    return found;
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
    whereIf(where, values, query.action, 'action = ?');
    whereIf(where, values, query.actor, 'actor = ?');
    whereIf(where, values, query.fromMs, 'at_ms >= ?');
    whereIf(where, values, query.toMs, 'at_ms < ?');
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

  getReconRun(id: string): Promise<ReconRunRecord | null> {
    return this.one(reconRunRows, 'id = ?', [id]);
  }

  findReconRun(channel: string, businessDate: string): Promise<ReconRunRecord | null> {
    return this.one(reconRunRows, "channel = ? AND business_date = ? AND state <> 'failed'", [channel, businessDate]);
  }

  async listReconRuns(query: { limit: number; channel?: string; fromDate?: string; toDate?: string }): Promise<ReconRunRecord[]> {
    const conditions = ['1 = 1'];
    const params: SqlValue[] = [];
    whereIf(conditions, params, query.channel, 'channel = ?');
    whereIf(conditions, params, query.fromDate, 'business_date >= ?');
    whereIf(conditions, params, query.toDate, 'business_date <= ?');
    const rows = await this.db.all(
      `SELECT ${columnsOf(reconRunRows)} FROM recon_runs WHERE ${conditions.join(' AND ')} ORDER BY business_date DESC, channel, started_at_ms DESC, id LIMIT ${checkedLimit(query.limit, readLimits.listRowsMax)}`,
      params,
    );
    return rows.map((row) => reconRunRows.fromRow(row));
  }

  async listReconLines(runId: string, query: { limit: number; afterLineNo?: number; result?: ReconLineRecord['result'] }): Promise<ReconLineRecord[]> {
    const params: SqlValue[] = [runId, query.afterLineNo ?? 0];
    const byResult = query.result === undefined ? '' : ' AND result = ?';
    if (query.result !== undefined) params.push(query.result);
    const rows = await this.db.all(
      `SELECT ${columnsOf(reconLineRows)} FROM recon_lines WHERE run_id = ? AND line_no > ?${byResult} ORDER BY line_no LIMIT ${checkedLimit(query.limit, readLimits.listRowsMax * 10)}`,
      params,
    );
    return rows.map((row) => reconLineRows.fromRow(row));
  }

  async findJournalEntries(runId: string, channel: string, keys: { rrns: readonly string[]; stanKeys: ReadonlyArray<{ stan: string; transmittedAt: string }> }): Promise<JournalEntry[]> {
    const entries: JournalEntry[] = [];
    // Bounded IN lists: a few hundred keys per statement keeps every driver's parameter limit far away.
    const chunk = 400;
    for (let i = 0; i < keys.rrns.length; i += chunk) {
      const rrns = keys.rrns.slice(i, i + chunk);
      const rows = await this.db.all(`${journalSelectSql} WHERE a.channel = ? AND a.rrn IS NOT NULL AND a.rrn IN (${rrns.map(() => '?').join(', ')})`, [runId, channel, ...rrns]);
      entries.push(...rows.map(journalEntryOf));
    }
    for (let i = 0; i < keys.stanKeys.length; i += chunk) {
      const pairs = keys.stanKeys.slice(i, i + chunk);
      const rows = await this.db.all(
        `${journalSelectSql} WHERE a.channel = ? AND (${pairs.map(() => '(a.stan = ? AND a.transmitted_at = ?)').join(' OR ')})`,
        [runId, channel, ...pairs.flatMap((pair) => [pair.stan, pair.transmittedAt])],
      );
      entries.push(...rows.map(journalEntryOf));
    }
    return entries;
  }

  async listUnmatchedJournal(runId: string, channel: string, window: { fromMs: number; toMs: number }, query: { limit: number; after?: { createdAtMs: number; attemptId: string } }): Promise<JournalEntry[]> {
    const params: SqlValue[] = [runId, window.fromMs, window.toMs, channel, runId];
    let after = '';
    if (query.after !== undefined) {
      after = ' AND (p.created_at_ms > ? OR (p.created_at_ms = ? AND a.id > ?))';
      params.push(query.after.createdAtMs, query.after.createdAtMs, query.after.attemptId);
    }
    const rows = await this.db.all(
      `${journalSelectSql} WHERE p.created_at_ms >= ? AND p.created_at_ms < ? AND a.channel = ? AND a.outcome = 'approved'
        AND NOT EXISTS (SELECT 1 FROM recon_lines m WHERE m.run_id = ? AND m.attempt_id = a.id)${after}
        ORDER BY p.created_at_ms, a.id LIMIT ${checkedLimit(query.limit, readLimits.listRowsMax * 10)}`,
      params,
    );
    return rows.map(journalEntryOf);
  }

  getDiscrepancy(id: string): Promise<DiscrepancyRecord | null> {
    return this.one(discrepancyRows, 'id = ?', [id]);
  }

  async listDiscrepancies(query: DiscrepancyQuery): Promise<DiscrepancyRecord[]> {
    const conditions = ['1 = 1'];
    const params: SqlValue[] = [];
    whereIf(conditions, params, query.runId, 'run_id = ?');
    whereIf(conditions, params, query.state, 'state = ?');
    whereIf(conditions, params, query.category, 'category = ?');
    whereIf(conditions, params, query.merchantId, 'merchant_id = ?');
    whereIf(conditions, params, query.createdBeforeMs, 'created_at_ms < ?');
    if (query.notOverdue === true) conditions.push('overdue_at_ms IS NULL');
    if (query.after !== undefined) {
      conditions.push('(created_at_ms > ? OR (created_at_ms = ? AND id > ?))');
      params.push(query.after.createdAtMs, query.after.createdAtMs, query.after.id);
    }
    const rows = await this.db.all(
      `SELECT ${columnsOf(discrepancyRows)} FROM recon_discrepancies WHERE ${conditions.join(' AND ')} ORDER BY created_at_ms, id LIMIT ${checkedLimit(query.limit, readLimits.listRowsMax)}`,
      params,
    );
    return rows.map((row) => discrepancyRows.fromRow(row));
  }

  listDiscrepancyActions(discrepancyId: string): Promise<DiscrepancyActionRecord[]> {
    return this.unpaged(discrepancyActionRows, 'discrepancy_id = ?', [discrepancyId], 'seq');
  }

  listSettlementAdjustments(query: { merchantId?: string; batchId?: string; discrepancyId?: string }): Promise<SettlementAdjustmentRecord[]> {
    const conditions = ['1 = 1'];
    const params: SqlValue[] = [];
    whereIf(conditions, params, query.merchantId, 'merchant_id = ?');
    whereIf(conditions, params, query.batchId, 'batch_id = ?');
    whereIf(conditions, params, query.discrepancyId, 'discrepancy_id = ?');
    return this.unpaged(settlementAdjustmentRows, conditions.join(' AND '), params, 'created_at_ms, id');
  }
}

// The alerts-and-webhooks reads (notification-sql.ts), the console's users and sessions
// (console-access-sql.ts) and the analytics rollup reads (analytics-sql.ts) are written apart and mixed in here.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface SqlStoreReader extends NotificationStoreReader, ConsoleAccessStoreReader, AnalyticsStoreReader, ClusterStoreReader {}
Object.assign(SqlStoreReader.prototype, notificationReaderMethods, consoleAccessReaderMethods, analyticsReaderMethods, clusterReaderMethods);
