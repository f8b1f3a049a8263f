import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the engine area. Codes are stable: add new ones, never rename or reuse. */
export const engineErrors = defineErrors([
  {
    code: 'RSW_REVERSAL_CURRENCY_UNKNOWN',
    messageTemplate: 'cannot build the reversal: currency {currency} has no ISO 4217 numeric code known to reswipe',
    httpStatus: 500,
    description: 'A queued reversal names a currency DE 49 cannot carry; the reversal keeps failing until dead-lettered, so fix the payment currency or add the code.',
  },
  {
    code: 'RSW_REVERSAL_ACQUIRER_ID_INVALID',
    messageTemplate: 'cannot build the reversal: the acquirer id for DE 32/90 must be 1 to 11 digits',
    httpStatus: 500,
    description: 'The configured acquirer id of a channel is not 1-11 digits, so DE 90 of a reversal cannot be built; fix the channel configuration.',
  },
  {
    code: 'RSW_CHANNEL_OPTIONS_INVALID',
    messageTemplate: 'upstream channel option {field}: {reason}',
    httpStatus: 500,
    description: 'An upstream channel was configured with an impossible pool size, limit, backoff or port; fix the named option.',
  },
] as const);
