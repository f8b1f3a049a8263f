import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the fee area. Codes are stable: add new ones, never rename or reuse. */
export const feeErrors = defineErrors([
  {
    code: 'RSW_FEE_UNKNOWN_METHOD',
    messageTemplate: 'unknown payment method {method}; known: {known}',
    httpStatus: 400,
    description: 'A fee quote or plan names a payment method reswipe does not know; use one of debit, credit, quasi-credit, prepaid, wechat, alipay, unionpay-qr, digital-rmb.',
  },
  {
    code: 'RSW_FEE_UNKNOWN_PLAN',
    messageTemplate: 'unknown fee plan {plan}; known: {known}',
    httpStatus: 404,
    description: 'A quote, comparison or merchant names a fee plan that is not loaded; check the plan name or load the plan file that defines it.',
  },
  {
    code: 'RSW_FEE_METHOD_NOT_PRICED',
    messageTemplate: 'fee plan {plan} has no price for method {method}',
    httpStatus: 422,
    description: 'The fee plan does not price this payment method; add the method to the plan or use another plan.',
  },
  {
    code: 'RSW_FEE_BAD_AMOUNT',
    messageTemplate: '{field} {reason}',
    httpStatus: 400,
    description: 'An amount is negative, not a whole number of fen, has more than two decimals in yuan, or is above the 12-digit limit of ISO 8583 DE 4.',
  },
  {
    code: 'RSW_FEE_PLAN_INVALID',
    messageTemplate: 'fee plan {source} is invalid at {field}: {reason}',
    httpStatus: 422,
    description: 'A fee plan document breaks the plan format (wrong type, unknown key, bad rate, bad MCC, bad time window); the message gives the path of the bad entry. Nothing of the document is applied.',
  },
  {
    code: 'RSW_FEE_PROMOTIONS_OVERLAP',
    messageTemplate: 'fee plan {source}: promotion at {field} overlaps promotion {other} for method {method}',
    httpStatus: 422,
    description: 'Two promotions of one plan price the same method for the same merchants at the same time, so the price would be ambiguous; shorten one window or narrow its methods or MCCs.',
  },
  {
    code: 'RSW_FEE_CAP_BELOW_MINIMUM',
    messageTemplate: 'fee plan {source}: cap {capMinor} is below minimum {minMinor} at {field}',
    httpStatus: 422,
    description: 'A fee rate has a cap lower than its minimum fee, which no fee can satisfy; raise the cap or lower the minimum.',
  },
  {
    code: 'RSW_FEE_BAD_TIERS',
    messageTemplate: 'fee plan {source}: bad amount tiers at {field}: {reason}',
    httpStatus: 422,
    description: 'Amount tiers must rise strictly by upToMinor and end with one open tier (no upToMinor) that covers every larger amount.',
  },
  {
    code: 'RSW_FEE_PLAN_FILE_UNREADABLE',
    messageTemplate: 'cannot read fee data file {file}: {reason}',
    httpStatus: 500,
    description: 'A fee plan file or holiday calendar file does not exist, cannot be read or is not valid JSON.',
  },
  {
    code: 'RSW_FEE_CALENDAR_INVALID',
    messageTemplate: 'holiday calendar {source} is invalid at {field}: {reason}',
    httpStatus: 500,
    description: 'A holiday calendar file breaks its format (bad date, a day both holiday and working day, a date outside its coverage).',
  },
  {
    code: 'RSW_FEE_CALENDAR_OUT_OF_RANGE',
    messageTemplate: 'holiday calendar {calendar} covers {from} to {to}; cannot decide whether {date} is a working day',
    httpStatus: 500,
    description: 'A T+1 payout date falls outside the years the holiday calendar covers; install the calendar for the new year (it is data updated yearly).',
  },
  {
    code: 'RSW_FEE_BAD_DATE',
    messageTemplate: '{field} {reason}',
    httpStatus: 400,
    description: 'A business date, ISO time, time zone or cut-off time is malformed; dates are YYYY-MM-DD, times ISO 8601 with a zone, cut-offs HH:MM.',
  },
  {
    code: 'RSW_FEE_REFUND_EXCEEDS_ORIGINAL',
    messageTemplate: 'refunds of payment {paymentId} would total {refundedMinor}, more than its amount {originalMinor}',
    httpStatus: 422,
    description: 'The refunds of one payment add up to more than the payment itself, so no fee can be refunded for the excess.',
  },
  {
    code: 'RSW_FEE_ORIGINAL_NOT_FOUND',
    messageTemplate: 'refund {paymentId} names original payment {originalPaymentId}, which has no fee line',
    httpStatus: 422,
    description: 'A refund is being priced but its original payment is unknown or was never charged a fee; check originalPaymentId.',
  },
  {
    code: 'RSW_FEE_BATCH_PAID',
    messageTemplate: 'settlement batch {merchantId} {businessDate} is already paid and is not recomputed',
    httpStatus: 409,
    description: 'A paid settlement batch is final; corrections belong in a later batch.',
  },
  {
    code: 'RSW_FEE_BATCH_NOT_FOUND',
    messageTemplate: 'no settlement batch for merchant {merchantId} on {businessDate}',
    httpStatus: 404,
    description: 'The settlement batch has not been built yet; run `reswipe settle run --date D` first.',
  },
  {
    code: 'RSW_FEE_TOO_MANY_ROWS',
    messageTemplate: '{what} has more than {limit} rows; narrow the query',
    httpStatus: 422,
    description: 'A settlement run, statement or comparison would read more rows than its bound; split the period or the merchants.',
  },
  {
    code: 'RSW_FEE_BATCH_MISMATCH',
    messageTemplate: 'settlement batch {merchantId} {businessDate} no longer matches its payments ({detail}); run `reswipe settle run --date {businessDate}` again',
    httpStatus: 409,
    description: 'Payments or fee lines changed after the batch was built (a late void, a missing fee line), so its statement would not add up; re-run settlement for the day.',
  },
] as const);
