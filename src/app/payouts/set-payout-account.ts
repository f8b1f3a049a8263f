// Records (or replaces) a merchant's payout account: validated, the number sealed and masked, the
// change audited with the masked number only. Payouts already made keep the account they were made with.
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { maskAccountNumber, validatePayoutAccount, type PayoutAccountInput } from '../../core/payouts/payout-account.ts';
import type { PayoutAccountRecord } from '../../core/ports/store.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { sealAccountNumber, type PayoutDeps } from './payout-deps.ts';

export interface PayoutAccountView {
  merchantId: string;
  bankCode: string;
  accountName: string;
  accountNumberMasked: string;
  updatedAt: string;
}

export function toPayoutAccountView(account: PayoutAccountRecord): PayoutAccountView {
  return {
    merchantId: account.merchantId,
    bankCode: account.bankCode,
    accountName: account.accountName,
    accountNumberMasked: account.accountNumberMasked,
    updatedAt: new Date(account.updatedAtMs).toISOString(),
  };
}

export async function setPayoutAccount(deps: Pick<PayoutDeps, 'store' | 'vault' | 'actor'>, merchantId: string, input: PayoutAccountInput, nowMs: number): Promise<PayoutAccountView> {
  const account = validatePayoutAccount(input);
  const sealed = sealAccountNumber(deps.vault, account.accountNumber, merchantId);
  return deps.store.write(async (tx) => {
    if ((await tx.getMerchant(merchantId)) === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'merchant', id: merchantId, field: 'merchantId' });
    const before = await tx.getPayoutAccount(merchantId);
    const record: PayoutAccountRecord = {
      merchantId,
      bankCode: account.bankCode,
      accountName: account.accountName,
      accountNumberSealed: sealed,
      accountNumberMasked: maskAccountNumber(account.accountNumber),
      createdAtMs: before?.createdAtMs ?? nowMs,
      updatedAtMs: nowMs,
    };
    await tx.upsertPayoutAccount(record);
    await recordAudit(tx, {
      actor: deps.actor,
      action: 'payout_account.set',
      subjectId: merchantId,
      detail: { bankCode: record.bankCode, accountName: record.accountName, accountNumberMasked: record.accountNumberMasked, replaced: before !== null },
      atMs: nowMs,
    });
    return toPayoutAccountView(record);
  });
}
