// Row mapping of the reconciliation tables (migration 0015, docs/reconciliation.md) and the journal
// join that gives a clearing line its attempt. Shared by both adapters like store-rows.ts.
import type {
  DiscrepancyActionRecord,
  DiscrepancyRecord,
  ReconLineRecord,
  ReconRunRecord,
  SettlementAdjustmentRecord,
} from '../../core/ports/store.ts';
import type { JournalEntry } from '../../core/reconciliation/journal-entry.ts';
import type { SqlRow } from './sql-executor.ts';
import { integerOrNull, integerValue, readInteger, readIntegerOrNull, readText, readTextOrNull, type TableMapping } from './store-rows.ts';

export const reconRunRows: TableMapping<ReconRunRecord> = {
  table: 'recon_runs',
  columns: ['id', 'channel', 'business_date', 'layout', 'file_name', 'file_sha256', 'state', 'lines_total', 'lines_matched', 'discrepancies', 'theirs_minor', 'ours_minor', 'actor', 'started_at_ms', 'finished_at_ms', 'error'],
  keyColumns: ['id'],
  toValues: (r) => [
    r.id,
    r.channel,
    r.businessDate,
    r.layout,
    r.fileName,
    r.fileSha256,
    r.state,
    integerValue(r.linesTotal, 'linesTotal'),
    integerValue(r.linesMatched, 'linesMatched'),
    integerValue(r.discrepancies, 'discrepancies'),
    integerValue(r.theirsMinor, 'theirsMinor'),
    integerValue(r.oursMinor, 'oursMinor'),
    r.actor,
    integerValue(r.startedAtMs, 'startedAtMs'),
    integerOrNull(r.finishedAtMs, 'finishedAtMs'),
    r.error,
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    channel: readText(r.channel, 'channel'),
    businessDate: readText(r.business_date, 'business_date'),
    layout: readText(r.layout, 'layout'),
    fileName: readText(r.file_name, 'file_name'),
    fileSha256: readText(r.file_sha256, 'file_sha256'),
    state: readText(r.state, 'state') as ReconRunRecord['state'],
    linesTotal: readInteger(r.lines_total, 'lines_total'),
    linesMatched: readInteger(r.lines_matched, 'lines_matched'),
    discrepancies: readInteger(r.discrepancies, 'discrepancies'),
    theirsMinor: readInteger(r.theirs_minor, 'theirs_minor'),
    oursMinor: readInteger(r.ours_minor, 'ours_minor'),
    actor: readText(r.actor, 'actor'),
    startedAtMs: readInteger(r.started_at_ms, 'started_at_ms'),
    finishedAtMs: readIntegerOrNull(r.finished_at_ms, 'finished_at_ms'),
    error: readTextOrNull(r.error, 'error'),
  }),
};

export const reconLineRows: TableMapping<ReconLineRecord> = {
  table: 'recon_lines',
  columns: ['run_id', 'line_no', 'rrn', 'stan', 'terminal_id', 'transmitted_at', 'line_date', 'auth_code', 'kind', 'status', 'amount_minor', 'fee_minor', 'card_masked', 'attempt_id', 'payment_id', 'result'],
  keyColumns: ['run_id', 'line_no'],
  toValues: (l) => [
    l.runId,
    integerValue(l.lineNo, 'lineNo'),
    l.rrn,
    l.stan,
    l.terminalId,
    l.transmittedAt,
    l.lineDate,
    l.authCode,
    l.kind,
    l.status,
    integerValue(l.amountMinor, 'amountMinor'),
    integerOrNull(l.feeMinor, 'feeMinor'),
    l.cardMasked,
    l.attemptId,
    l.paymentId,
    l.result,
  ],
  fromRow: (r) => ({
    runId: readText(r.run_id, 'run_id'),
    lineNo: readInteger(r.line_no, 'line_no'),
    rrn: readTextOrNull(r.rrn, 'rrn'),
    stan: readTextOrNull(r.stan, 'stan'),
    terminalId: readTextOrNull(r.terminal_id, 'terminal_id'),
    transmittedAt: readTextOrNull(r.transmitted_at, 'transmitted_at'),
    lineDate: readTextOrNull(r.line_date, 'line_date'),
    authCode: readTextOrNull(r.auth_code, 'auth_code'),
    kind: readText(r.kind, 'kind') as ReconLineRecord['kind'],
    status: readText(r.status, 'status') as ReconLineRecord['status'],
    amountMinor: readInteger(r.amount_minor, 'amount_minor'),
    feeMinor: readIntegerOrNull(r.fee_minor, 'fee_minor'),
    cardMasked: readTextOrNull(r.card_masked, 'card_masked'),
    attemptId: readTextOrNull(r.attempt_id, 'attempt_id'),
    paymentId: readTextOrNull(r.payment_id, 'payment_id'),
    result: readText(r.result, 'result') as ReconLineRecord['result'],
  }),
};

export const discrepancyRows: TableMapping<DiscrepancyRecord> = {
  table: 'recon_discrepancies',
  columns: [
    'id', 'run_id', 'channel', 'business_date', 'category', 'line_no', 'attempt_id', 'payment_id', 'merchant_id', 'theirs_minor', 'ours_minor', 'difference_minor',
    'cause_code', 'cause_zh', 'cause_en', 'state', 'adjustment_minor', 'overdue_at_ms', 'created_at_ms', 'updated_at_ms', 'version',
  ],
  keyColumns: ['id'],
  toValues: (d) => [
    d.id,
    d.runId,
    d.channel,
    d.businessDate,
    d.category,
    integerOrNull(d.lineNo, 'lineNo'),
    d.attemptId,
    d.paymentId,
    d.merchantId,
    integerValue(d.theirsMinor, 'theirsMinor'),
    integerValue(d.oursMinor, 'oursMinor'),
    integerValue(d.differenceMinor, 'differenceMinor'),
    d.causeCode,
    d.causeZh,
    d.causeEn,
    d.state,
    integerOrNull(d.adjustmentMinor, 'adjustmentMinor'),
    integerOrNull(d.overdueAtMs, 'overdueAtMs'),
    integerValue(d.createdAtMs, 'createdAtMs'),
    integerValue(d.updatedAtMs, 'updatedAtMs'),
    integerValue(d.version, 'version'),
  ],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    runId: readText(r.run_id, 'run_id'),
    channel: readText(r.channel, 'channel'),
    businessDate: readText(r.business_date, 'business_date'),
    category: readText(r.category, 'category') as DiscrepancyRecord['category'],
    lineNo: readIntegerOrNull(r.line_no, 'line_no'),
    attemptId: readTextOrNull(r.attempt_id, 'attempt_id'),
    paymentId: readTextOrNull(r.payment_id, 'payment_id'),
    merchantId: readTextOrNull(r.merchant_id, 'merchant_id'),
    theirsMinor: readInteger(r.theirs_minor, 'theirs_minor'),
    oursMinor: readInteger(r.ours_minor, 'ours_minor'),
    differenceMinor: readInteger(r.difference_minor, 'difference_minor'),
    causeCode: readText(r.cause_code, 'cause_code'),
    causeZh: readText(r.cause_zh, 'cause_zh'),
    causeEn: readText(r.cause_en, 'cause_en'),
    state: readText(r.state, 'state') as DiscrepancyRecord['state'],
    adjustmentMinor: readIntegerOrNull(r.adjustment_minor, 'adjustment_minor'),
    overdueAtMs: readIntegerOrNull(r.overdue_at_ms, 'overdue_at_ms'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
    version: readInteger(r.version, 'version'),
  }),
};

export const discrepancyActionRows: TableMapping<DiscrepancyActionRecord> = {
  table: 'recon_discrepancy_actions',
  columns: ['discrepancy_id', 'seq', 'action', 'state_before', 'state_after', 'note', 'actor', 'adjustment_minor', 'at_ms'],
  keyColumns: ['discrepancy_id', 'seq'],
  toValues: (a) => [a.discrepancyId, integerValue(a.seq, 'seq'), a.action, a.stateBefore, a.stateAfter, a.note, a.actor, integerOrNull(a.adjustmentMinor, 'adjustmentMinor'), integerValue(a.atMs, 'atMs')],
  fromRow: (r) => ({
    discrepancyId: readText(r.discrepancy_id, 'discrepancy_id'),
    seq: readInteger(r.seq, 'seq'),
    action: readText(r.action, 'action') as DiscrepancyActionRecord['action'],
    stateBefore: readText(r.state_before, 'state_before') as DiscrepancyActionRecord['stateBefore'],
    stateAfter: readText(r.state_after, 'state_after') as DiscrepancyActionRecord['stateAfter'],
    note: readText(r.note, 'note'),
    actor: readText(r.actor, 'actor'),
    adjustmentMinor: readIntegerOrNull(r.adjustment_minor, 'adjustment_minor'),
    atMs: readInteger(r.at_ms, 'at_ms'),
  }),
};

export const settlementAdjustmentRows: TableMapping<SettlementAdjustmentRecord> = {
  table: 'settlement_adjustments',
  columns: ['id', 'discrepancy_id', 'merchant_id', 'amount_minor', 'business_date', 'reason', 'batch_id', 'created_at_ms'],
  keyColumns: ['id'],
  toValues: (a) => [a.id, a.discrepancyId, a.merchantId, integerValue(a.amountMinor, 'amountMinor'), a.businessDate, a.reason, a.batchId, integerValue(a.createdAtMs, 'createdAtMs')],
  fromRow: (r) => ({
    id: readText(r.id, 'id'),
    discrepancyId: readText(r.discrepancy_id, 'discrepancy_id'),
    merchantId: readText(r.merchant_id, 'merchant_id'),
    amountMinor: readInteger(r.amount_minor, 'amount_minor'),
    businessDate: readText(r.business_date, 'business_date'),
    reason: readText(r.reason, 'reason'),
    batchId: readTextOrNull(r.batch_id, 'batch_id'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
  }),
};

/**
 * The journal join: an attempt, its payment, the sum of its fee lines, its reversal and the line of a
 * run already matched to it. The first placeholder is the run id; callers append their WHERE.
 */
export const journalSelectSql = `SELECT a.id AS attempt_id, a.payment_id, p.merchant_id, p.terminal_id, p.kind, p.status AS payment_status, a.outcome,
  a.channel, a.stan, a.transmitted_at, a.upstream_terminal_id, a.rrn, a.auth_code, p.amount_minor, p.currency,
  (SELECT SUM(f.fee_minor) FROM fee_lines f WHERE f.payment_id = p.id) AS fee_minor,
  p.created_at_ms, a.completed_at_ms, p.manual_handling_since_ms,
  r.state AS reversal_state, r.reason_code AS reversal_reason, r.created_at_ms AS reversal_created_at_ms, r.completed_at_ms AS reversal_completed_at_ms,
  (SELECT l.line_no FROM recon_lines l WHERE l.run_id = ? AND l.attempt_id = a.id LIMIT 1) AS matched_line_no
FROM attempts a JOIN payments p ON p.id = a.payment_id LEFT JOIN reversals r ON r.attempt_id = a.id`;

export function journalEntryOf(r: SqlRow): JournalEntry {
  const reversalState = readTextOrNull(r.reversal_state, 'reversal_state');
  return {
    attemptId: readText(r.attempt_id, 'attempt_id'),
    paymentId: readText(r.payment_id, 'payment_id'),
    merchantId: readText(r.merchant_id, 'merchant_id'),
    terminalId: readTextOrNull(r.terminal_id, 'terminal_id'),
    kind: readText(r.kind, 'kind') as JournalEntry['kind'],
    paymentStatus: readText(r.payment_status, 'payment_status') as JournalEntry['paymentStatus'],
    attemptOutcome: readText(r.outcome, 'outcome') as JournalEntry['attemptOutcome'],
    channel: readText(r.channel, 'channel'),
    stan: readText(r.stan, 'stan'),
    transmittedAt: readText(r.transmitted_at, 'transmitted_at'),
    upstreamTerminalId: readText(r.upstream_terminal_id, 'upstream_terminal_id'),
    rrn: readTextOrNull(r.rrn, 'rrn'),
    authCode: readTextOrNull(r.auth_code, 'auth_code'),
    amountMinor: readInteger(r.amount_minor, 'amount_minor'),
    currency: readText(r.currency, 'currency'),
    feeMinor: readIntegerOrNull(r.fee_minor, 'fee_minor'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    completedAtMs: readIntegerOrNull(r.completed_at_ms, 'completed_at_ms'),
    manualHandlingSinceMs: readIntegerOrNull(r.manual_handling_since_ms, 'manual_handling_since_ms'),
    reversal:
      reversalState === null
        ? null
        : {
            state: reversalState as NonNullable<JournalEntry['reversal']>['state'],
            reasonCode: readText(r.reversal_reason, 'reversal_reason'),
            createdAtMs: readInteger(r.reversal_created_at_ms, 'reversal_created_at_ms'),
            completedAtMs: readIntegerOrNull(r.reversal_completed_at_ms, 'reversal_completed_at_ms'),
          },
    matchedLineNo: readIntegerOrNull(r.matched_line_no, 'matched_line_no'),
  };
}
