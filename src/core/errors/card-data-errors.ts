import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the card-data area (docs/card-data.md). Codes are stable: add new ones, never rename or reuse. */
export const cardDataErrors = defineErrors([
  {
    code: 'RSW_CARD_NUMBER_IN_TEXT',
    messageTemplate: '{field} looks like it holds a card number; card numbers go only in card.number',
    httpStatus: 422,
    description:
      'A free-text field (reference, Idempotency-Key, a name, any text reswipe would store) holds 13 to 19 digits, alone or grouped by spaces or dashes, that pass the Luhn check. Nothing was stored; send the text without the card number (docs/card-data.md).',
  },
] as const);
