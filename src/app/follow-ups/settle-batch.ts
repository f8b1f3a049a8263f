// Batch settlement (0500): the terminal's totals against the journal of its open batch (everything
// since its last balanced settlement; src/core/payments/batch-totals.ts decides). Balanced closes the
// batch (`batch.settled`, after which voids of its payments are refused) and moves the terminal to the
// next batch number; unbalanced answers 95 and leaves the batch open for a 0320 upload.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { computeBatchTotals, decideSettlement, nextBatchNo } from '../../core/payments/batch-totals.ts';
import type { SettlementRequest, SettlementResult } from '../../core/ports/payments.ts';
import type { PaymentRecord } from '../../core/ports/store.ts';
import type { FollowUpContext } from './follow-up-context.ts';

export async function settleBatch(context: FollowUpContext, request: SettlementRequest): Promise<SettlementResult> {
  const { store, clock } = context;
  if (!/^[0-9]{6}$/.test(request.batchNo)) throw new ReswipeError('RSW_TXN_BATCH_NO_INVALID', { field: '60.2', batchNo: request.batchNo.replace(/[^0-9A-Za-z]/g, '?').slice(0, 12) });
  const nowMs = clock.nowMs();
  const last = await store.lastEventOf('batch.settled', request.terminalId);
  const fromMs = last === null ? 0 : last.atMs + 1;
  const journal = computeBatchTotals(await journalOf(context, request.terminalId, fromMs, nowMs + 1));
  const verdict = decideSettlement(request.totals, journal);
  await store.write(async (tx) => {
    if (verdict.kind === 'balanced') {
      const terminal = await tx.getTerminal(request.terminalId);
      if (terminal !== null) await tx.upsertTerminal({ ...terminal, batchNo: nextBatchNo(request.batchNo), updatedAtMs: nowMs });
      await tx.appendEvent({ type: 'batch.settled', subjectId: request.terminalId, payload: { batchNo: request.batchNo, ...journal }, atMs: nowMs });
    } else {
      await tx.appendEvent({ type: 'batch.unbalanced', subjectId: request.terminalId, payload: { batchNo: request.batchNo, terminal: { ...request.totals }, journal: { ...journal } }, atMs: nowMs });
    }
  });
  return { responseCode: verdict.kind === 'balanced' ? '00' : '95', verdict, journal };
}

/** The terminal's payments in [fromMs, toMs), page by page, never more than `batchRowsMax`. */
async function journalOf(context: FollowUpContext, terminalId: string, fromMs: number, toMs: number): Promise<PaymentRecord[]> {
  const rows: PaymentRecord[] = [];
  let cursor: string | undefined;
  const pageRows = 500;
  for (let page = 0; page * pageRows < context.settings.batchRowsMax; page++) {
    const result = await context.store.listPayments({ limit: pageRows, terminalId, fromMs, toMs, ...(cursor === undefined ? {} : { cursor }) });
    rows.push(...result.data);
    if (result.nextCursor === null) return rows;
    cursor = result.nextCursor;
  }
  throw new ReswipeError('RSW_STORE_RESULT_TOO_LARGE', { rowsMax: context.settings.batchRowsMax, record: 'payments' });
}
