// The QR payment use cases as the adapters (HTTP API, terminal link) see them. The use cases in
// src/app/qr-payments/ implement them; the composition root hands them to the adapters.
import type { QrMethod } from './qr-channel.ts';
import type { SaleResult } from './payments.ts';

/** A QR sale (付款码: the merchant scans the customer's code) from a till (HTTP) or a terminal (ISO 8583). */
export interface QrSaleRequest {
  intake: 'iso' | 'http';
  merchantId: string;
  terminalId: string | null;
  amountMinor: number;
  currency: string;
  method: Exclude<QrMethod, 'unionpay-qr'>;
  /** The scanned code: sent to the provider once, stored only masked and fingerprinted. */
  authCode: string;
  reference: string | null;
  /** Same rules as a card sale: scope `http:<merchantId>` + Idempotency-Key, or `iso:<terminal>` + `<DE 11>:<DE 7>`; the hash covers the code only as its keyed fingerprint. */
  idempotency: { scope: string; key: string; requestHash: string };
  terminalStan?: string;
  terminalTransmittedAt?: string;
  /** Absolute instant (ms) by which the client must have its answer; default now + engine.qr.budgetMs (HTTP) or terminalTimeoutMs (ISO). */
  deadlineMs?: number;
  clientIp?: string;
}

export interface QrSaleUseCases {
  /** Takes one QR sale to a durable answer: approved, declined, cancelled (not charged) or WAIT while its cancel runs in the background. */
  takeQrPayment(request: QrSaleRequest): Promise<SaleResult>;
}
