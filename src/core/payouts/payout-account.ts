// A merchant's payout account (结算账户): bank code, account name and account number, validated.
// The account number is sensitive (docs/payouts.md): it is shown only masked (last four digits),
// and stored only sealed; this module validates and masks, the sealing is an adapter.
import { ReswipeError } from '../errors/reswipe-error.ts';

export interface PayoutAccountInput {
  /** The CNAPS bank code (联行号) of the receiving branch: 12 digits. */
  readonly bankCode: string;
  /** The account holder's name as the bank has it (户名); must match, or the bank refuses (账户名不符). */
  readonly accountName: string;
  /** 8 to 32 digits (bank card or corporate account number). */
  readonly accountNumber: string;
}

export const accountNameCharsMax = 60;
const bankCodePattern = /^\d{12}$/;
const accountNumberPattern = /^\d{8,32}$/;
// Control characters and the transfer file's separator would break a line of the file.
const forbiddenInName = /[\u0000-\u001f\u007f|]/;

/** Checks the three fields; spaces inside the number are dropped (people copy `6222 0200 ...`). */
export function validatePayoutAccount(input: PayoutAccountInput): PayoutAccountInput {
  const bankCode = input.bankCode.trim();
  if (!bankCodePattern.test(bankCode)) throw new ReswipeError('RSW_PAYOUT_ACCOUNT_INVALID', { field: 'bankCode', reason: 'must be the 12-digit CNAPS code (联行号)' });
  const accountName = input.accountName.trim();
  if (accountName.length === 0 || [...accountName].length > accountNameCharsMax) {
    throw new ReswipeError('RSW_PAYOUT_ACCOUNT_INVALID', { field: 'accountName', reason: `must be 1 to ${accountNameCharsMax} characters` });
  }
  if (forbiddenInName.test(accountName)) throw new ReswipeError('RSW_PAYOUT_ACCOUNT_INVALID', { field: 'accountName', reason: 'must not hold control characters or |' });
  const accountNumber = input.accountNumber.replace(/[ -]/g, '');
  // The number itself never goes into the message: only its shape is described.
  if (!accountNumberPattern.test(accountNumber)) throw new ReswipeError('RSW_PAYOUT_ACCOUNT_INVALID', { field: 'accountNumber', reason: 'must be 8 to 32 digits' });
  return { bankCode, accountName, accountNumber };
}

/** `6222020200112233445` → `****3445`: only the last four digits are ever shown. */
export function maskAccountNumber(accountNumber: string): string {
  return `****${accountNumber.slice(-4)}`;
}
