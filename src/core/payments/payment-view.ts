// The client-facing JSON of a payment (docs/contracts/http-api.md), built from the stored records alone.
// Internal states never leak: an attempt still in flight shows as `unknown` (its outcome is not known yet).
import type { AttemptRecord, PaymentKind, PaymentRecord, StoredDecline } from '../ports/store.ts';
import type { AttemptOutcome, BilingualText, CardBrand, CardType, PaymentStatus } from '../vocabulary.ts';
import { describeRecovery } from './recovery-text.ts';
import type { QrMethod } from '../ports/qr-channel.ts';

/** Every payment kind once, for schemas and validators; the Record makes a new kind a compile error here. */
const paymentKindSet: Readonly<Record<PaymentKind, true>> = {
  sale: true,
  preauth: true,
  completion: true,
  void: true,
  refund: true,
  preauth_cancel: true,
  completion_void: true,
  balance_inquiry: true,
};
export const paymentKinds: readonly PaymentKind[] = Object.freeze(Object.keys(paymentKindSet) as PaymentKind[]);

export interface PaymentAttemptView {
  channel: string;
  stan: string;
  outcome: AttemptOutcome;
  responseCode: string | null;
  latencyMs: number | null;
  sentAt: string | null;
}

export interface PaymentFeeView {
  feeMinor: number;
  rateBps: number;
  plan: string;
}

export interface PaymentView {
  id: string;
  /** What kind of money movement it is: `sale`, `preauth`, `void`, `refund`, ... */
  kind: PaymentKind;
  status: PaymentStatus;
  amountMinor: number;
  currency: string;
  merchantId: string;
  terminalId: string | null;
  card: { masked: string; brand: CardBrand; type: CardType; issuer: string | null };
  responseCode: string | null;
  authCode: string | null;
  rrn: string | null;
  decline: StoredDecline | null;
  attempts: PaymentAttemptView[];
  fee: PaymentFeeView | null;
  createdAt: string;
  reference: string | null;
  /** The payment a follow-up (void, refund, completion, cancel, completion void) names; null for a sale, a pre-authorization or a balance inquiry. */
  originalPaymentId: string | null;
  /** How the tries of a payment with more than one attempt ended ("approved on the second try; the first try was reversed"); null with one attempt. */
  recovery: BilingualText | null;
  /** QR payments only (absent for cards): the method; `card.masked` is then the masked code and `rrn` the provider's trade number (DE 37 for UnionPay QR, which rides the host link). */
  method?: QrMethod;
}

/** The view of one payment; attempts in the order they were made. */
export function toPaymentView(payment: PaymentRecord, attempts: readonly AttemptRecord[], fee: PaymentFeeView | null = null): PaymentView {
  const ordered = [...attempts].sort((a, b) => a.seq - b.seq);
  return {
    id: payment.id,
    kind: payment.kind,
    status: payment.status,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    merchantId: payment.merchantId,
    terminalId: payment.terminalId,
    card: { masked: payment.panMasked, brand: payment.cardBrand, type: payment.cardType, issuer: payment.cardIssuer },
    responseCode: payment.responseCode,
    authCode: payment.authCode,
    rrn: payment.rrn,
    decline: payment.status === 'approved' ? null : payment.decline,
    attempts: ordered.map((attempt) => ({
      channel: attempt.channel,
      stan: attempt.stan,
      outcome: attempt.outcome === 'pending' ? 'unknown' : attempt.outcome,
      responseCode: attempt.responseCode,
      latencyMs: attempt.latencyMs,
      sentAt: attempt.sentAtMs === null ? null : new Date(attempt.sentAtMs).toISOString(),
    })),
    fee,
    createdAt: new Date(payment.createdAtMs).toISOString(),
    reference: payment.reference,
    originalPaymentId: payment.originalPaymentId,
    recovery: describeRecovery(ordered.map((attempt) => ({ seq: attempt.seq, outcome: attempt.outcome === 'pending' ? 'unknown' : attempt.outcome }))),
    ...(payment.method === undefined || payment.method === 'card' ? {} : { method: payment.method }),
  };
}
