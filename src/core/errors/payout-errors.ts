import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the payout area (docs/payouts.md). Codes are stable: add new ones, never rename or reuse. */
export const payoutErrors = defineErrors([
  {
    code: 'RSW_PAYOUT_ACCOUNT_INVALID',
    messageTemplate: 'payout account {field} {reason}',
    httpStatus: 400,
    description: 'A payout account field is malformed: the bank code is not the 12-digit CNAPS code, the account name is empty, too long or holds control characters or |, or the account number is not 8 to 32 digits. The account number itself is never echoed.',
  },
  {
    code: 'RSW_PAYOUT_ACCOUNT_MISSING',
    messageTemplate: 'merchant {merchantId} has no payout account; set one with `reswipe payouts account set`',
    httpStatus: 409,
    description: 'A payout was asked for a merchant whose bank account is not recorded; record it first (`reswipe payouts account set` or PUT /v1/merchants/{id}/payout-account). Nothing was created.',
  },
  {
    code: 'RSW_PAYOUT_NOT_FOUND',
    messageTemplate: 'no payout {id}',
    httpStatus: 404,
    description: 'The payout id does not exist (or belongs to another merchant than the key\'s).',
  },
  {
    code: 'RSW_PAYOUT_FILE_INVALID',
    messageTemplate: 'payout file {source} line {line}: {reason}',
    httpStatus: 400,
    description: 'A bank answer file does not follow the format of docs/payouts.md (header, detail and trailer lines, counts, amounts, known file id) or is over its bounds; nothing of it was applied.',
  },
  {
    code: 'RSW_PAYOUT_FILE_NOT_FOUND',
    messageTemplate: 'no payouts were sent in transfer file {fileId}',
    httpStatus: 404,
    description: 'An answer file or an export names a transfer file id reswipe never wrote; check that the answer belongs to this gateway.',
  },
  {
    code: 'RSW_PAYOUT_BATCH_IN_PAYOUT',
    messageTemplate: 'settlement batch {merchantId} {businessDate} has payout {payoutId} ({state}) and is not recomputed',
    httpStatus: 409,
    description: 'The batch\'s net amount is already in a payout instruction that is pending, sent or paid, so the batch may not change under it; corrections belong in a later batch. A failed payout does not block.',
  },
  {
    code: 'RSW_PAYOUT_ACCOUNT_UNSEALABLE',
    messageTemplate: 'the payout account number of merchant {merchantId} cannot be opened with this local master key',
    httpStatus: 500,
    description: 'The sealed account number was sealed under another local master key (security.terminalMasterKey) or altered; configure the key it was sealed under, or record the account again.',
  },
  {
    code: 'RSW_PAYOUT_BAD_MONTH',
    messageTemplate: '{field} {reason}',
    httpStatus: 400,
    description: 'A monthly statement or a merchant standing was asked for a month that is not YYYY-MM.',
  },
]);
