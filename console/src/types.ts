// The shapes of the /v1 answers the pages read (docs/http-api.md); only the fields the console shows.
import type { BilingualText } from '../../src/core/vocabulary.ts';

export interface PaymentAttempt {
  channel: string;
  stan: string | null;
  outcome: string;
  responseCode: string | null;
  latencyMs: number | null;
  sentAt: string | null;
  [key: string]: unknown;
}

export interface PaymentView {
  id: string;
  kind: string;
  status: string;
  amountMinor: number;
  currency: string;
  merchantId: string;
  terminalId: string | null;
  card: { masked: string; brand: string; type: string; issuer: string | null } | null;
  responseCode: string | null;
  authCode: string | null;
  rrn: string | null;
  decline: { code: string; category: string; party: string; verdict: string; waitSeconds: number | null; advice: { cashier: BilingualText; customer: BilingualText } } | null;
  attempts: PaymentAttempt[];
  fee: Record<string, unknown> | null;
  createdAt: string;
  reference: string | null;
  originalPaymentId: string | null;
  recovery: BilingualText | null;
  [key: string]: unknown;
}

export interface Page<T> {
  data: T[];
  nextCursor?: string | null;
}
