// The filters of GET /v1/payments, shared by the JSON list and the CSV export so both read a
// query string the same way.
import { ReswipeError } from '../../../core/errors/reswipe-error.ts';
import type { PaymentQuery } from '../../../core/ports/store.ts';
import type { PaymentStatus } from '../../../core/vocabulary.ts';

export interface PaymentFilterParams {
  from?: string;
  to?: string;
  status?: PaymentStatus;
  terminalId?: string;
  responseCode?: string;
  category?: string;
  last4?: string;
  rrn?: string;
  stan?: string;
  cardType?: string;
  brand?: string;
  amountMin?: number;
  amountMax?: number;
  reference?: string;
  batch?: string;
}

/** The merchants a payment list may show. */
export type PaymentMerchantScope = { merchantId?: string; merchantIds?: readonly string[] };

/**
 * The merchant part of a payment list: the caller's merchants (`own`, null for all) narrowed by the
 * merchantId the query names; 'none' when it names a merchant the caller does not see (an empty page,
 * answered like a merchant without payments).
 */
export function paymentMerchantScope(own: readonly string[] | null, named: string | undefined): PaymentMerchantScope | 'none' {
  if (own === null) return named === undefined ? {} : { merchantId: named };
  if (named !== undefined) return own.includes(named) ? { merchantId: named } : 'none';
  const [only] = own;
  return own.length === 1 && only !== undefined ? { merchantId: only } : { merchantIds: own };
}

/** The store filter for a request's query string, limited to the caller's merchants. */
export function paymentFilterOf(query: PaymentFilterParams, scope: PaymentMerchantScope): Omit<PaymentQuery, 'limit' | 'cursor'> {
  return {
    ...(query.from === undefined ? {} : { fromMs: instantMs(query.from, 'from') }),
    ...(query.to === undefined ? {} : { toMs: instantMs(query.to, 'to') }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(scope.merchantId === undefined ? {} : { merchantId: scope.merchantId }),
    ...(scope.merchantIds === undefined ? {} : { merchantIds: scope.merchantIds }),
    ...(query.terminalId === undefined ? {} : { terminalId: query.terminalId }),
    ...(query.responseCode === undefined ? {} : { responseCode: query.responseCode }),
    ...(query.category === undefined ? {} : { category: query.category }),
    ...(query.last4 === undefined ? {} : { last4: query.last4 }),
    ...(query.rrn === undefined ? {} : { rrn: query.rrn }),
    ...(query.stan === undefined ? {} : { stan: query.stan }),
    ...(query.cardType === undefined ? {} : { cardType: query.cardType }),
    ...(query.brand === undefined ? {} : { brand: query.brand }),
    ...(query.amountMin === undefined ? {} : { amountMinMinor: query.amountMin }),
    ...(query.amountMax === undefined ? {} : { amountMaxMinor: query.amountMax }),
    ...(query.reference === undefined ? {} : { reference: query.reference }),
    ...(query.batch === undefined ? {} : { settlementBatchId: query.batch }),
  };
}

function instantMs(text: string, field: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new ReswipeError('RSW_HTTP_VALIDATION', { field, reason: 'is not a valid ISO 8601 instant' });
  return ms;
}
