// Writes the pending payouts into one bank transfer file (RSWPAY v1, docs/payouts.md) and marks them
// `sent` with the file's id, in one store write, before the text is handed to anyone: a payout is
// never in two files. If the caller then fails to save the text, the same file is rendered again,
// byte for byte, from the store with `reswipe payouts export --file-id` (renderTransferFile).
import { randomBytes } from 'node:crypto';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { businessDateOf } from '../../core/fees/business-date.ts';
import { expectedArrivalDate } from '../../core/payouts/expected-arrival.ts';
import { markPayoutSent } from '../../core/payouts/payout-state.ts';
import type { PayoutRecord } from '../../core/ports/store.ts';
import { transferFileLinesMax, writeTransferFile } from '../../adapters/payouts/bank-transfer-file.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { openAccountNumber, type PayoutDeps } from './payout-deps.ts';

export interface TransferFileExport {
  readonly fileId: string;
  readonly text: string;
  readonly payouts: readonly PayoutRecord[];
  readonly totalMinor: number;
}

/** `pf_20261207T013000Z_1a2b3c`: when it was made and a random tail, so two exports never share an id. */
export function newTransferFileId(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `pf_${stamp}_${randomBytes(3).toString('hex')}`;
}

/** Null when nothing is pending (for the filters given). */
export async function exportPayoutFile(deps: PayoutDeps, nowMs: number, filter: { merchantId?: string; businessDate?: string } = {}): Promise<TransferFileExport | null> {
  const pending = (
    await deps.store.listPayouts({
      state: 'pending',
      ...(filter.merchantId === undefined ? {} : { merchantId: filter.merchantId }),
      ...(filter.businessDate === undefined ? {} : { fromDate: filter.businessDate, toDate: filter.businessDate }),
    })
  ).slice(0, transferFileLinesMax);
  if (pending.length === 0) return null;
  const fileId = newTransferFileId(nowMs);
  // Every account number must open before anything changes: a key problem stops the export whole.
  for (const payout of pending) openAccountNumber(deps.vault, payout.accountNumberSealed, payout.merchantId);
  const sentDate = businessDateOf(nowMs, deps.timeZone, '00:00');
  const sent = await deps.store.write(async (tx) => {
    const marked: PayoutRecord[] = [];
    for (const payout of pending) {
      const next = markPayoutSent(payout, fileId, nowMs, expectedArrivalDate(payout.businessDate, payout.settleMode, deps.calendar, sentDate));
      // Another export took it meanwhile: refuse the whole file rather than send a payout twice.
      if (!(await tx.updatePayout(payout, next))) throw new ReswipeError('RSW_STORE_CONFLICT', { constraint: 'payouts.version', field: 'state' });
      marked.push(next);
    }
    const totalMinor = marked.reduce((sum, payout) => sum + payout.amountMinor, 0);
    await recordAudit(tx, { actor: deps.actor, action: 'payout.export', subjectId: fileId, detail: { payouts: marked.length, totalMinor }, atMs: nowMs });
    for (const payout of marked) await tx.appendEvent({ type: 'payout.sent', subjectId: payout.id, payload: { fileId, amountMinor: payout.amountMinor, expectedArrivalDate: payout.expectedArrivalDate }, atMs: nowMs });
    return marked;
  });
  return renderFromPayouts(deps, fileId, sent);
}

/** The transfer file `fileId` again, from the stored payouts it holds (same bytes as the first time). */
export async function renderTransferFile(deps: Pick<PayoutDeps, 'store' | 'vault'>, fileId: string): Promise<TransferFileExport> {
  const payouts = await deps.store.listPayouts({ fileId });
  if (payouts.length === 0) throw new ReswipeError('RSW_PAYOUT_FILE_NOT_FOUND', { fileId, field: 'fileId' });
  return renderFromPayouts(deps, fileId, payouts);
}

function renderFromPayouts(deps: Pick<PayoutDeps, 'vault'>, fileId: string, payouts: readonly PayoutRecord[]): TransferFileExport {
  const ordered = [...payouts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sentAtMs = ordered[0]?.sentAtMs;
  if (sentAtMs == null) throw new Error(`broken invariant: payouts of file ${fileId} have no sent time`);
  const text = writeTransferFile(
    fileId,
    sentAtMs,
    ordered.map((payout) => ({
      payoutId: payout.id,
      bankCode: payout.bankCode,
      accountNumber: openAccountNumber(deps.vault, payout.accountNumberSealed, payout.merchantId),
      accountName: payout.accountName,
      amountMinor: payout.amountMinor,
      merchantId: payout.merchantId,
      businessDate: payout.businessDate,
    })),
  );
  return { fileId, text, payouts: ordered, totalMinor: ordered.reduce((sum, payout) => sum + payout.amountMinor, 0) };
}
