// Batch upload (0320): one transaction of the terminal's batch, checked against the journal. The
// answer is always 00 (received); a transaction the journal does not have, or has differently, is
// recorded as `batch.upload_mismatch` for the reconciliation report.
import type { BatchUploadEntry } from '../../core/ports/payments.ts';
import type { FollowUpContext } from './follow-up-context.ts';

export async function uploadBatchEntry(context: FollowUpContext, input: BatchUploadEntry): Promise<{ responseCode: '00'; matched: boolean }> {
  const { store, clock } = context;
  const page = await store.listPayments({ limit: 20, terminalId: input.terminalId, stan: input.stan });
  const match = page.data.find((payment) => payment.terminalStan === input.stan && payment.amountMinor === input.amountMinor && payment.status === 'approved');
  const nowMs = clock.nowMs();
  await store.write((tx) =>
    tx.appendEvent({
      type: match === undefined ? 'batch.upload_mismatch' : 'batch.upload_matched',
      subjectId: input.terminalId,
      payload: { batchNo: input.batchNo, stan: input.stan, amountMinor: input.amountMinor, processingCode: input.processingCode, paymentId: match?.id ?? null },
      atMs: nowMs,
    }),
  );
  return { responseCode: '00', matched: match !== undefined };
}
