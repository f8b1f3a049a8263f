// Why a bank refused a transfer, as stable codes with texts for people in zh-CN and en and who must
// act. The bank's answer file carries one of these codes and its own text; a code reswipe does not
// know is kept as `other` with the bank's text, never dropped (docs/payouts.md).

export const payoutReasonCodes = [
  'account_name_mismatch',
  'account_not_found',
  'account_closed',
  'account_frozen',
  'bank_code_invalid',
  'amount_over_limit',
  'bank_system_error',
  'other',
] as const;

export type PayoutReasonCode = (typeof payoutReasonCodes)[number];

export interface PayoutReason {
  readonly code: PayoutReasonCode;
  readonly zh: string;
  readonly en: string;
  /** Who must act before the money can be sent again: the merchant fixes its account data, the operator asks the bank. */
  readonly party: 'merchant' | 'operator';
}

export const payoutReasons: Readonly<Record<PayoutReasonCode, PayoutReason>> = Object.freeze({
  account_name_mismatch: { code: 'account_name_mismatch', zh: '账户名不符', en: 'the account name does not match the account number', party: 'merchant' },
  account_not_found: { code: 'account_not_found', zh: '账号不存在', en: 'the account number does not exist at this bank', party: 'merchant' },
  account_closed: { code: 'account_closed', zh: '账户已销户', en: 'the account is closed', party: 'merchant' },
  account_frozen: { code: 'account_frozen', zh: '账户冻结或止付', en: 'the account is frozen or blocked for credits', party: 'merchant' },
  bank_code_invalid: { code: 'bank_code_invalid', zh: '开户行联行号错误', en: 'the bank code (CNAPS) is wrong', party: 'merchant' },
  amount_over_limit: { code: 'amount_over_limit', zh: '超过单笔或当日限额', en: 'the amount is over the per-transfer or daily limit', party: 'operator' },
  bank_system_error: { code: 'bank_system_error', zh: '银行系统异常', en: 'the bank could not process the transfer (system error)', party: 'operator' },
  other: { code: 'other', zh: '其他原因', en: 'another reason (see the bank text)', party: 'operator' },
} satisfies Record<PayoutReasonCode, PayoutReason>);

/** The reason for a code as the bank wrote it (case-insensitive); unknown codes are `other`. */
export function payoutReasonOf(code: string): PayoutReason {
  const normalized = code.trim().toLowerCase();
  return (payoutReasonCodes as readonly string[]).includes(normalized) ? payoutReasons[normalized as PayoutReasonCode] : payoutReasons.other;
}
