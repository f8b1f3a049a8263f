// Reads of payments as they are NOW whose filters are served by payment_list (migration 0027), the
// projection the payment projector upserts off the answer's path (docs/projector.md, "The payment list").
// The payments are read in three disjoint parts, in ONE statement, so from one snapshot:
//   - projected: payment_list rows found by its indexes, joined to their payment, when the payment did not
//     change after it was projected: its journal seq is at or below the projector's checkpoint (no seq:
//     written before the journal existed). payment_list and the checkpoint move in one unit, so such a
//     row is the payment's current state;
//   - journalled after the checkpoint: read from payments by payments_journal_key, as many rows as the
//     projector lags behind (under a second's worth when it keeps up);
//   - in flight: pending payments never journalled (a sale between its intent and its outcome), read by
//     the partial payments_pending_idx.
// So a list shows every payment already written, whatever the projector's lag (read-your-writes),
// on every node of one database alike; the projector's lag only moves rows from the second part to the first.
import { paymentProjectorName, type PaymentQuery } from '../../core/ports/store.ts';
import type { SqlValue } from './sql-executor.ts';

/** Which part a term is written for: `l` is payment_list (the projected part), `p` is payments. */
export type PaymentAlias = 'l' | 'p';

export interface PaymentTerms {
  /** Conditions on the columns payment_list and payments share, ANDed; written for one alias. */
  sql(alias: PaymentAlias): string[];
  params: SqlValue[];
}

const checkpointSql = `COALESCE((SELECT seq FROM projector_checkpoints WHERE name = '${paymentProjectorName}'), 0)`;

/**
 * The three parts as a list of SELECTs (of `select`, written over alias `p`), each filtered by `terms`,
 * ordered newest first and cut at `orderLimit` rows, so a page never reads more than three pages of rows.
 */
export function currentPaymentParts(select: string, terms: PaymentTerms, orderLimit: number): { sql: string; params: SqlValue[] } {
  const and = (alias: PaymentAlias): string => terms.sql(alias).map((term) => ` AND ${term}`).join('');
  const order = (alias: PaymentAlias): string => ` ORDER BY ${alias}.created_at_ms DESC, ${alias}.id DESC LIMIT ${orderLimit}`;
  // COALESCE keeps payments_journal_key out of the projected part's plan: payment_list drives it.
  const parts = [
    `SELECT ${select} FROM payment_list l JOIN payments p ON p.id = l.id WHERE COALESCE(p.journal_seq, 0) <= ${checkpointSql}${and('l')}${order('l')}`,
    `SELECT ${select} FROM payments p WHERE p.journal_seq > ${checkpointSql}${and('p')}${order('p')}`,
    `SELECT ${select} FROM payments p WHERE p.status = 'pending' AND p.journal_seq IS NULL${and('p')}${order('p')}`,
  ];
  return {
    sql: parts.map((part, index) => `SELECT * FROM (${part}) part${index}`).join(' UNION ALL '),
    params: parts.flatMap(() => terms.params),
  };
}

/**
 * The approved sum of a merchant (or one of its terminals) over [fromMs, toMs), exactly as the three parts
 * above would count it without the sales in flight, but read as three terms that never join a projected
 * row to its payment (that join, one payments row per approved sale of the window, made a month limit cost
 * a month of sales; docs/local-checks.md, "What a limit's total costs"):
 *   + every approved payment_list row of the window, read from the partial covering index of migration 0028
 *     (index entries only: the merchant, time and amount are in the index);
 *   - the same rows of the payments journalled after the checkpoint (their row may be stale), found from the
 *     journal's side (the tail: payments_journal_key, as many as the projector lags) and their list row by its key;
 *   + those payments as they are now (the same tail).
 * The first two together are the projected part of currentPaymentParts (a row whose payment did not move
 * past the checkpoint is its current state), the third its journalled part; one statement, one snapshot.
 * `status = 'approved'` is a literal so that both databases match the partial indexes' predicate.
 */
export function approvedSumSql(scope: { merchantId: string; terminalId?: string }, fromMs: number, toMs: number): { sql: string; params: SqlValue[] } {
  const place = (alias: PaymentAlias | 't'): string => `${alias}.merchant_id = ?${scope.terminalId === undefined ? '' : ` AND ${alias}.terminal_id = ?`}`;
  const placeParams: SqlValue[] = scope.terminalId === undefined ? [scope.merchantId] : [scope.merchantId, scope.terminalId];
  const window = (alias: PaymentAlias | 't'): string => `${alias}.created_at_ms >= ? AND ${alias}.created_at_ms < ?`;
  const params: SqlValue[] = [...placeParams, fromMs, toMs];
  // The tail is read once, by payments_journal_key, and MATERIALIZED keeps it the driving side of the
  // middle term on both databases: PostgreSQL cannot estimate `journal_seq > (checkpoint)` (a third of
  // payments, by default) and would otherwise walk the window's list rows and probe a payment for each.
  const tail = `WITH tail AS MATERIALIZED (SELECT p.id, p.status, p.merchant_id, p.terminal_id, p.created_at_ms, p.amount_minor FROM payments p WHERE p.journal_seq > ${checkpointSql})`;
  const terms = [
    `SELECT l.amount_minor AS amount_minor FROM payment_list l WHERE l.status = 'approved' AND ${place('l')} AND ${window('l')}`,
    // CROSS JOIN: SQLite keeps the order as written, the tail outside; PostgreSQL reads it as an inner join.
    `SELECT -l.amount_minor AS amount_minor FROM tail t CROSS JOIN payment_list l WHERE l.id = t.id AND l.status = 'approved' AND ${place('l')} AND ${window('l')}`,
    `SELECT t.amount_minor AS amount_minor FROM tail t WHERE t.status = 'approved' AND ${place('t')} AND ${window('t')}`,
  ];
  // SUM of BIGINT is NUMERIC on PostgreSQL; the cast brings it back to an integer on both.
  return {
    sql: `${tail} SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS total FROM (${terms.map((term, index) => `SELECT * FROM (${term}) term${index}`).join(' UNION ALL ')}) approved_terms`,
    params: [...params, ...params, ...params],
  };
}

/** The terms of a PaymentQuery (every filter of GET /v1/payments and the console), cursor included. */
export function paymentQueryTerms(query: PaymentQuery, cursor: { createdAtMs: number; id: string } | undefined): PaymentTerms {
  const terms: Array<(alias: PaymentAlias) => string> = [];
  const params: SqlValue[] = [];
  const where = (term: (alias: PaymentAlias) => string, ...values: SqlValue[]): void => {
    terms.push(term);
    params.push(...values);
  };
  const equal = (column: string, value: SqlValue | undefined): void => {
    if (value !== undefined) where((a) => `${a}.${column} = ?`, value);
  };
  if (cursor !== undefined) where((a) => `(${a}.created_at_ms, ${a}.id) < (?, ?)`, cursor.createdAtMs, cursor.id);
  if (query.fromMs !== undefined) where((a) => `${a}.created_at_ms >= ?`, query.fromMs);
  if (query.toMs !== undefined) where((a) => `${a}.created_at_ms < ?`, query.toMs);
  // An RRN or a STAN finds a handful of rows by its own index; the merchant's or terminal's index would walk
  // their history in order. `|| ''` keeps SQLite's planner (no statistics) off the latter in payment_list.
  const byKey = query.rrn !== undefined || query.stan !== undefined;
  const place = (column: string, value: string | undefined): void => {
    if (value !== undefined) where((a) => (a === 'l' && byKey ? `${a}.${column} || '' = ?` : `${a}.${column} = ?`), value);
  };
  equal('status', query.status);
  place('merchant_id', query.merchantId);
  if (query.merchantIds !== undefined) {
    // An empty list matches nothing, never everything.
    const ids = query.merchantIds;
    if (ids.length === 0) where(() => '1 = 0');
    else where((a) => `${a}.merchant_id IN (${ids.map(() => '?').join(', ')})`, ...ids);
  }
  place('terminal_id', query.terminalId);
  equal('response_code', query.responseCode);
  equal('decline_category', query.category);
  equal('pan_last4', query.last4);
  equal('rrn', query.rrn);
  equal('terminal_stan', query.stan);
  equal('card_type', query.cardType);
  equal('card_brand', query.brand);
  if (query.amountMinMinor !== undefined) where((a) => `${a}.amount_minor >= ?`, query.amountMinMinor);
  if (query.amountMaxMinor !== undefined) where((a) => `${a}.amount_minor <= ?`, query.amountMaxMinor);
  equal('reference', query.reference);
  if (query.settlementBatchId !== undefined) {
    // One merchant-day of fee lines (fee_lines_merchant_date_idx): the payments the batch settles.
    where(
      (a) => `${a}.id IN (SELECT f.payment_id FROM fee_lines f JOIN settlement_batches b ON b.merchant_id = f.merchant_id AND b.business_date = f.business_date WHERE b.id = ?)`,
      query.settlementBatchId,
    );
  }
  return { sql: (alias) => terms.map((term) => term(alias)), params };
}
