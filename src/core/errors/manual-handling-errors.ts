import { defineErrors } from './error-definition.ts';

/**
 * Errors of the operators' manual-handling actions (retry a dead reversal now, resolve a flagged payment
 * as charged or not charged): docs/reversals.md, "Manual handling". Codes are stable: add new ones,
 * never rename or reuse. Every refusal leaves the payment, its attempts and its reversals untouched.
 */
export const manualHandlingErrors = defineErrors([
  {
    code: 'RSW_MANUAL_PAYMENT_NOT_FOUND',
    messageTemplate: 'no payment {paymentId}',
    httpStatus: 404,
    description: 'A manual-handling action or view names a payment the store does not have; check the id in `reswipe manual-handling`.',
  },
  {
    code: 'RSW_MANUAL_NOT_FLAGGED',
    messageTemplate: 'payment {paymentId} is not flagged for manual handling',
    httpStatus: 409,
    description: 'Only a payment whose reversal was dead-lettered can be retried or resolved by hand; every other payment reaches its final state on its own.',
  },
  {
    code: 'RSW_MANUAL_ALREADY_RESOLVED',
    messageTemplate: 'payment {paymentId} was already resolved as {outcome}',
    httpStatus: 409,
    description: 'A flagged payment is resolved once (by an operator, or by a retried reversal the bank confirmed); the resolution stands and is in the audit log.',
  },
  {
    code: 'RSW_MANUAL_REVERSAL_IN_PROGRESS',
    messageTemplate: 'a reversal of payment {paymentId} is queued or being sent; wait for its outcome',
    httpStatus: 409,
    description: 'A reversal of this payment is pending in the reversal queue (for example after a retry): wait until it is confirmed (the payment resolves itself as reversed, with an event) or dead-lettered again.',
  },
  {
    code: 'RSW_MANUAL_NO_DEAD_REVERSAL',
    messageTemplate: 'payment {paymentId} has no dead-lettered reversal',
    httpStatus: 409,
    description: 'Retry and resolve act on a dead-lettered reversal; this flagged payment has none (a refund advice that was never acknowledged is settled with the channel, not here).',
  },
  {
    code: 'RSW_MANUAL_SEVERAL_DEAD_REVERSALS',
    messageTemplate: 'payment {paymentId} has {count} dead-lettered reversals; it cannot be resolved as charged',
    httpStatus: 409,
    description: 'With more than one attempt whose reversal died, "charged" does not say which attempt took the money; retry the reversals instead, or resolve as not charged when the bank confirms none did.',
  },
  {
    code: 'RSW_MANUAL_OTHER_APPROVAL',
    messageTemplate: 'payment {paymentId}: {reason}',
    httpStatus: 409,
    description: 'The resolution contradicts another attempt of the same payment that is already approved (charged would be a second charge; not charged would hide the first); retry the reversal or refund the payment instead.',
  },
  {
    code: 'RSW_MANUAL_NOT_RESOLVABLE',
    messageTemplate: 'payment {paymentId} cannot be resolved by hand: {reason}',
    httpStatus: 409,
    description: 'Only sales, pre-authorizations and completions that are pending or approved are resolved by hand; a follow-up (void, refund, cancel) or a voided payment is settled with the channel and corrected by a new follow-up.',
  },
  {
    code: 'RSW_MANUAL_BATCH_PAID',
    messageTemplate: 'payment {paymentId}: the settlement batch of {businessDate} is already paid',
    httpStatus: 409,
    description: 'Resolving would change the money of a settlement batch that was paid out, which is final; record the correction in a later batch with the acquirer instead.',
  },
  {
    code: 'RSW_MANUAL_NOTE_INVALID',
    messageTemplate: 'note: {reason}',
    httpStatus: 400,
    description: 'A resolution needs a note of 1 to 500 printable characters on one line saying what the bank said (who, when, reference); a note holding a card number is refused with RSW_CARD_NUMBER_IN_TEXT instead.',
  },
] as const);
