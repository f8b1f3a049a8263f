// Applies the bank's answer file (RSWANS v1, docs/payouts.md): each answered payout becomes `paid`
// (its settlement batch too) or `failed` with the reason. All or nothing: the file is parsed and
// every line decided before one write applies them, and a line that cannot apply (unknown payout,
// amount differs, answer for another file, a contradiction of a final state) refuses the whole file.
// Importing the same file again changes nothing (the bank resends files).
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { decidePayoutAnswer } from '../../core/payouts/payout-state.ts';
import type { PayoutRecord } from '../../core/ports/store.ts';
import { parseAnswerFile } from '../../adapters/payouts/bank-answer-file.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { PayoutDeps } from './payout-deps.ts';

export interface AnswerImport {
  readonly fileId: string;
  readonly paid: number;
  readonly failed: number;
  /** Lines the payouts already had (a re-import). */
  readonly unchanged: number;
  readonly payouts: readonly PayoutRecord[];
}

export async function importPayoutAnswer(deps: Pick<PayoutDeps, 'store' | 'actor'>, text: string, nowMs: number, source = 'answer'): Promise<AnswerImport> {
  const file = parseAnswerFile(text, source);
  const refuse = (line: number, reason: string): never => {
    throw new ReswipeError('RSW_PAYOUT_FILE_INVALID', { source, line, reason, field: 'file' });
  };
  const ofFile = await deps.store.listPayouts({ fileId: file.fileId });
  if (ofFile.length === 0) throw new ReswipeError('RSW_PAYOUT_FILE_NOT_FOUND', { fileId: file.fileId, field: 'fileId' });
  const byId = new Map(ofFile.map((payout) => [payout.id, payout]));
  return deps.store.write(async (tx) => {
    let paid = 0;
    let failed = 0;
    let unchanged = 0;
    const results: PayoutRecord[] = [];
    for (const [index, answer] of file.answers.entries()) {
      const line = index + 2;
      if (!byId.has(answer.payoutId)) refuse(line, `payout ${answer.payoutId} was not sent in file ${file.fileId}`);
      // Read again inside the write: the state a concurrent import left is the one decided on.
      const payout = await tx.getPayout(answer.payoutId);
      if (payout === null) return refuse(line, `no payout ${answer.payoutId}`);
      const decision = decidePayoutAnswer(payout, answer, file.fileId, file.answeredAtMs);
      if (decision.kind === 'refused') return refuse(line, decision.detail);
      if (decision.kind === 'already') {
        unchanged += 1;
        results.push(decision.payout);
        continue;
      }
      const next = decision.next;
      if (!(await tx.updatePayout(payout, next))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payouts.version', field: 'state' });
      if (next.state === 'paid') {
        paid += 1;
        const batch = await tx.getSettlementBatch(next.merchantId, next.businessDate);
        if (batch === null || batch.id !== next.batchId) throw new Error(`broken invariant: payout ${next.id} has no batch ${next.batchId}`);
        await tx.upsertSettlementBatch({ ...batch, state: 'paid' });
      } else {
        failed += 1;
      }
      await tx.appendEvent({
        type: next.state === 'paid' ? 'payout.paid' : 'payout.failed',
        subjectId: next.id,
        payload: { fileId: file.fileId, merchantId: next.merchantId, amountMinor: next.amountMinor, reasonCode: next.reasonCode, reasonText: next.reasonText },
        atMs: nowMs,
      });
      results.push(next);
    }
    await recordAudit(tx, { actor: deps.actor, action: 'payout.answer_import', subjectId: file.fileId, detail: { paid, failed, unchanged, lines: file.answers.length }, atMs: nowMs });
    return { fileId: file.fileId, paid, failed, unchanged, payouts: results };
  });
}
