// A card number belongs in one field only, `card.number`, which is fingerprinted and masked and never
// stored. Any other text a client sends may end up stored and echoed (a payment reference, an
// Idempotency-Key, a merchant name, a fee plan name), so a request whose text holds something that looks
// like a PAN (findPanLikeRuns) is refused with 422 RSW_CARD_NUMBER_IN_TEXT naming the field, before any
// route handler runs: nothing of it is stored, and the answer never repeats the text.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasPanLikeRun } from '../../core/cards/find-pan-like-runs.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { problemOfError, sendProblem } from './problem.ts';

/**
 * Fields that are not free text: the PAN itself, and acquirer-assigned identifiers with a fixed format.
 * A DE 42 merchant id is 15 characters and often 15 digits, one in ten of which pass Luhn by chance.
 * `accountNumber` is a payout bank account (PUT /v1/merchants/{id}/payout-account), often a debit card
 * number: it is sealed before it is stored and shown masked (docs/payouts.md), like `card.number`.
 */
// `authCode` is a QR sale's scanned code (docs/qr-payments.md): digits that may pass Luhn, sent once to the provider, stored only masked.
const exemptFields: ReadonlySet<string> = new Set(['card.number', 'merchantId', 'id', 'accountNumber', 'authCode']);
/** Request headers that reswipe stores. */
const storedHeaders = ['idempotency-key'] as const;
/** Depth and item bounds of the walk; bodies are already bounded by the body size limit. */
const depthMax = 16;

/** The dotted path of the first string in `value` that holds a PAN-like run, or null. */
export function findCardNumberField(value: unknown, path = '', depth = 0): string | null {
  if (depth > depthMax) return null;
  if (typeof value === 'string') return exemptFields.has(path) || !hasPanLikeRun(value) ? null : path === '' ? 'body' : path;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findCardNumberField(item, `${path}[${index}]`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const found = findCardNumberField(child, path === '' ? key : `${path}.${key}`, depth + 1);
      if (found !== null) return found;
    }
  }
  return null;
}

/** A preHandler for the whole API: body, path parameters and stored headers are checked. */
export async function refuseCardNumbersInText(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  let field: string | null = null;
  for (const name of storedHeaders) {
    const value = request.headers[name];
    if (typeof value === 'string' && hasPanLikeRun(value)) field = name;
  }
  field ??= findCardNumberField(request.params);
  field ??= findCardNumberField(request.body);
  if (field === null) return undefined;
  return sendProblem(reply, { ...problemOfError(new ReswipeError('RSW_CARD_NUMBER_IN_TEXT', { field })), requestId: request.id });
}
