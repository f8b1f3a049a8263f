// The payment use cases as the adapters see them: what a sale, a terminal's reversal and a follow-up
// ask and answer, and the interfaces the terminal link and the HTTP API call. The use cases in src/app
// implement them; the composition root hands them to the adapters, so adapters import only core.
import type { CardNumber } from '../cards/pan.ts';
import type { Diagnosis } from '../declines/index.ts';
import type { BatchTotals, SettlementVerdict } from '../payments/batch-totals.ts';
import type { FollowUpOperation } from '../payments/follow-up-request.ts';
import type { PaymentView } from '../payments/payment-view.ts';
import type { TxnRefusal } from '../payments/txn-rule-result.ts';
import type { EntryMode } from '../vocabulary.ts';
import type { FeeLineRecord, MerchantRecord, Page, PaymentKind, PaymentQuery, PaymentRecord, StoreTx } from './store.ts';

export interface SaleRequest {
  intake: 'iso' | 'http';
  merchantId: string;
  terminalId: string | null;
  amountMinor: number;
  currency: string;
  card: { number: CardNumber; expiry?: string; cvv?: string; entryMode: EntryMode; track2?: string; pinBlock?: Uint8Array; iccData?: Uint8Array };
  /** False asks for a pre-authorization (0100, DE 3 `030000`). */
  capture: boolean;
  reference: string | null;
  /**
   * http: scope `http:<merchantId>`, key = Idempotency-Key, hash of the canonical body (card fingerprint, never the PAN).
   * iso: scope `iso:<terminalId>`, key `<DE11>:<DE7>`, hash of the canonical request fields (same rule).
   */
  idempotency: {
    scope: string;
    key: string;
    requestHash: string;
    /** The same hash with the card fingerprinted under each retired key: a retransmission that straddles a key rotation is still a replay. */
    requestHashesRetired?: readonly string[];
  };
  terminalStan?: string;
  terminalTransmittedAt?: string;
  /** Absolute instant (ms) by which the client must have its answer; default now + engine.terminalTimeoutMs. */
  deadlineMs?: number;
}

export type SaleResult =
  | { kind: 'completed'; view: PaymentView; diagnosis: Diagnosis }
  | { kind: 'replayed'; view: PaymentView; diagnosis: Diagnosis; responseStatus: number | null; responseBody: string | null }
  | { kind: 'in_progress'; paymentId: string | null }
  | { kind: 'idempotency_mismatch' };

export interface TerminalReversalInput {
  terminalId: string;
  originalStan: string;
  /** DE 7 of the original request, MMDDhhmmss; null when the terminal named the original by STAN (and date) only. */
  originalTransmittedAt: string | null;
  /** MMDD of the original (cups-pos DE 61.3: the terminal's local date), narrowing a STAN-only lookup. */
  originalDateMmdd?: string;
  /** DE 42 of the 0400: must be the sale's merchant. */
  merchantId: string;
  /** DE 4 of the 0400 in minor units, null when absent: must be the sale's amount. */
  amountMinor: number | null;
  /** DE 39 of the terminal's 0400: `98`, `96`, `A0` or `06` (anything else is forwarded as `06`). */
  reasonCode: string;
}

export interface EngineChannelSettings {
  name: string;
  /** 1 is tried first. */
  priority: number;
  disabled: boolean;
  acquirerId: string;
  timeoutMs: number;
  /** The channel's ISO 8583 dialect (a built-in name or a dialect file); iso87-ascii when absent. Decides the layout of a UnionPay QR sale. */
  dialect?: string;
}

/** The engine's own settings, derived from ReswipeConfig by engineSettingsFromConfig (simulations may build them directly). */
export interface EngineSettings {
  terminalTimeoutMs: number;
  /** The engine answers this long before the client's deadline, to leave time to write and send the answer. */
  replyMarginMs: number;
  autoRetriesMax: number;
  inFlightPerTerminalMax: number;
  queuePerTerminalMax: number;
  /** Payments in flight in the whole engine. */
  inFlightMax: number;
  /** No attempt starts with less time than this left before the reply deadline. */
  attemptMinMs: number;
  strictLuhn: boolean;
  strictBin: boolean;
  /** The current card-fingerprint key: every new fingerprint is made under it. */
  panKey: string;
  /** Stored with every new fingerprint; derived from panKey when absent (panKeyIdOf). */
  panKeyId?: string;
  /** Earlier keys (a rotation in progress, docs/card-data.md): lookups by card also compute the fingerprint under each. */
  panKeysRetired?: ReadonlyArray<{ readonly id: string; readonly key: string }>;
  retryRuleEdition?: string;
  /** DE 41 sent upstream for HTTP sales that name no terminal. */
  httpTerminalId: string;
  /** Minutes east of UTC for DE 12/13 and the day/month limit windows. */
  localOffsetMinutes: number;
  channels: readonly EngineChannelSettings[];
  /** Most pending payments one recovery pass handles. */
  recoveryBatchMax: number;
  /** How long close() waits for in-flight payments. */
  closeWaitMs: number;
  /** Window of the re-swipe guard and of double-approval detection; 0 or absent turns both off. */
  reswipeGuardWindowMs?: number;
  /** How long after its sale a terminal's own 0400 is honoured (and never after the sale's batch is settled); 24 h when absent. */
  terminalReversalWindowMs?: number;
  /** The business time zone (`fees.settlementTimeZone`): the local date a cups-pos 0400's DE 61.3 names; Asia/Shanghai when absent. */
  businessTimeZone?: string;
}

/** Fee bookkeeping, called inside the write that approves or un-approves a payment. */
export interface FeeHooks {
  /** Records the fee of an approved sale or completion; returns its fee line, null when none could be recorded. `merchant`: the caller's copy, read when absent. */
  recordApproved(tx: StoreTx, payment: PaymentRecord, merchant?: MerchantRecord): Promise<FeeLineRecord | null>;
  removeForPayment(tx: StoreTx, payment: PaymentRecord): Promise<void>;
}

/**
 * Fee bookkeeping of follow-ups, called inside the write that changes the money: the sale's hooks
 * (a completion is priced like a sale; a void or cancel removes the original's fees) plus refunds.
 */
export interface FollowUpFeeHooks extends FeeHooks {
  /** A refund was accepted: the proportional fee comes back. */
  recordRefund(tx: StoreTx, refund: PaymentRecord): Promise<void>;
}

export interface FollowUpRequest {
  operation: FollowUpOperation;
  intake: 'iso' | 'http';
  /** The merchant acting: an original of another merchant is "not found". */
  merchantId: string;
  originalPaymentId: string;
  /** The terminal asking (ISO), or null over HTTP (which acts for the original's terminal). */
  terminalId: string | null;
  /** Null means the original's full amount. */
  amountMinor: number | null;
  currency: string | null;
  reference: string | null;
  idempotency: { scope: string; key: string; requestHash: string };
  terminalStan?: string;
  terminalTransmittedAt?: string;
  /** Card data the terminal presented again (passed upstream, never stored). */
  card?: { pan?: string; expiry?: string; track2?: string };
  deadlineMs?: number;
}

/** A payment view plus what a follow-up is: the kind and the original it names. */
export type TxnView = PaymentView & { kind: PaymentKind; originalPaymentId: string | null };

export type FollowUpResult =
  | { kind: 'completed'; view: TxnView; diagnosis: Diagnosis }
  | { kind: 'refused'; refusal: TxnRefusal }
  | { kind: 'replayed'; view: TxnView; responseStatus: number | null; responseBody: string | null }
  | { kind: 'in_progress' }
  | { kind: 'idempotency_mismatch' };

export interface BalanceRequest {
  merchantId: string;
  terminalId: string | null;
  card: { pan?: string; expiry?: string; track2?: string; entryMode?: string };
  currency: string;
  deadlineMs?: number;
}

export type BalanceResult =
  | { kind: 'answered'; responseCode: string; balanceMinor: number | null; de54: string | null; diagnosis: Diagnosis }
  | { kind: 'failed'; diagnosis: Diagnosis };

export interface SettlementRequest {
  terminalId: string;
  batchNo: string;
  totals: BatchTotals;
}

export interface SettlementResult {
  responseCode: '00' | '95';
  verdict: SettlementVerdict;
  journal: BatchTotals;
}

/** What the terminal link and the HTTP API call for sales, pre-authorizations and a terminal's own reversal. */
export interface SaleUseCases {
  readonly settings: EngineSettings;
  authorize(request: SaleRequest): Promise<SaleResult>;
  /** Resolves once the request under (scope, key) has its answer stored, or at untilMs. */
  waitUntilAnswered(scope: string, key: string, untilMs: number): Promise<void>;
  reverseByTerminal(input: TerminalReversalInput): Promise<{ responseCode: string; refusal?: TxnRefusal }>;
  getPayment(id: string, scope?: { merchantId?: string }): Promise<PaymentView | null>;
  listPayments(query: PaymentQuery): Promise<Page<PaymentView>>;
}

/** One transaction of a terminal's batch upload (0320). */
export interface BatchUploadEntry {
  terminalId: string;
  batchNo: string;
  stan: string;
  amountMinor: number;
  processingCode: string;
}

/** How a terminal names an original: its RRN (DE 37), or its STAN with the local date (DE 61.3, MMDD) or the whole DE 7 (DE 90). */
export interface OriginalReference {
  rrn?: string;
  stan?: string;
  dateMmdd?: string;
  transmittedAt?: string;
}

/** What the terminal link and the HTTP API call for follow-ups, balance inquiries and batch settlement. */
export interface FollowUpUseCases {
  businessDateOf(atMs: number): string;
  followUp(request: FollowUpRequest): Promise<FollowUpResult>;
  balanceInquiry(request: BalanceRequest): Promise<BalanceResult>;
  settleBatch(request: SettlementRequest): Promise<SettlementResult>;
  uploadBatchEntry(input: BatchUploadEntry): Promise<{ responseCode: '00'; matched: boolean }>;
  findOriginalForTerminal(terminalId: string, by: OriginalReference, merchantId?: string): Promise<PaymentRecord | null>;
}

export type { FollowUpOperation };
