// The store port: everything durable goes through this interface. Two adapters implement it
// (src/adapters/store/sqlite-store.ts, src/adapters/store/postgres-store.ts) and one behaviour
// suite (test/adapters/store/store-behaviour.ts) runs unchanged against both.
//
// Card data: no record here may hold a full PAN, CVV, track data or PIN block. A card is a keyed
// fingerprint (HMAC-SHA-256) plus a masked PAN (first 6, last 4).
import type {
  AttemptOutcome,
  CardBrand,
  CardType,
  CauseCategory,
  PaymentStatus,
  RetryVerdict,
} from '../vocabulary.ts';

export interface MerchantRecord {
  id: string;
  name: string;
  mcc: string;
  /** Card types and payment methods it may accept (`debit`, `credit`, `wechat`, ...). */
  accepts: string[];
  /** Amount limits in minor units; absent means no limit. */
  limits: { perSaleMinor?: number; perDayMinor?: number; perMonthMinor?: number };
  feePlan: string;
  disabled: boolean;
  createdAtMs: number;
  updatedAtMs: number;
}

export type TerminalState = 'registered' | 'active' | 'disabled';

export interface TerminalRecord {
  id: string;
  merchantId: string;
  state: TerminalState;
  signedOn: boolean;
  batchNo: string;
  limits: { perSaleMinor?: number; perDayMinor?: number; perMonthMinor?: number };
  lastSeenAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface ChannelRecord {
  name: string;
  host: string;
  port: number;
  dialect: string;
  timeoutMs: number;
  priority: number;
  disabled: boolean;
  createdAtMs: number;
  updatedAtMs: number;
}

/** What kind of money movement a payment is. Sales first; the rest arrive with the full transaction set. */
export type PaymentKind = 'sale' | 'preauth' | 'completion' | 'void' | 'refund' | 'preauth_cancel' | 'completion_void' | 'balance_inquiry';

/** The diagnosis stored with a payment that is not approved (the shape `reswipe explain --json` prints). */
export interface StoredDecline {
  code: string;
  category: CauseCategory;
  party: string;
  verdict: RetryVerdict;
  waitSeconds: number | null;
  advice: { cashier: { zh: string; en: string }; customer: { zh: string; en: string } };
}

export interface PaymentRecord {
  id: string;
  kind: PaymentKind;
  status: PaymentStatus;
  intake: 'iso' | 'http';
  merchantId: string;
  terminalId: string | null;
  amountMinor: number;
  currency: string;
  panFingerprint: string;
  /** Id of the key the fingerprint was made under (security.panKey, docs/card-data.md); absent on records written before key ids. */
  panKeyId?: string;
  panMasked: string;
  cardBrand: CardBrand;
  cardType: CardType;
  cardIssuer: string | null;
  entryMode: string;
  /** Terminal STAN (DE 11) and transmission time (DE 7) for ISO intake; null over HTTP. */
  terminalStan: string | null;
  terminalTransmittedAt: string | null;
  reference: string | null;
  originalPaymentId: string | null;
  responseCode: string | null;
  authCode: string | null;
  rrn: string | null;
  decline: StoredDecline | null;
  createdAtMs: number;
  updatedAtMs: number;
  /** Bumped on every update; updates name the version they read (optimistic concurrency). */
  version: number;
  /**
   * When a reversal of this payment was dead-lettered and the payment handed to an operator; absent
   * (or null) when not flagged, so records written before migration 0004 read the same. Set once by the engine,
   * in the transaction that dead-letters the reversal; recovery skips flagged payments.
   */
  manualHandlingSinceMs?: number | null;
}

/** `pending` while the attempt is in flight; the others are final except `unknown`, which ends as `reversed` or in manual handling. */
export type AttemptState = AttemptOutcome | 'pending';

export interface AttemptRecord {
  id: string;
  paymentId: string;
  seq: number;
  channel: string;
  mti: string;
  /** Upstream STAN (DE 11), unique per channel and day. */
  stan: string;
  /** Upstream DE 7, MMDDhhmmss UTC. */
  transmittedAt: string;
  /** DE 3 and DE 41 as sent upstream: a reversal must name the same terminal and processing code. */
  processingCode: string;
  upstreamTerminalId: string;
  outcome: AttemptState;
  responseCode: string | null;
  authCode: string | null;
  rrn: string | null;
  latencyMs: number | null;
  sentAtMs: number | null;
  completedAtMs: number | null;
  createdAtMs: number;
}

export type ReversalState = 'pending' | 'done' | 'dead';

export interface ReversalRecord {
  id: string;
  attemptId: string;
  paymentId: string;
  channel: string;
  /** DE 39 reason in the 0400: `98` no reply, `96` terminal failed after approval, `A0` bad MAC, `06` other. */
  reasonCode: string;
  /** The 0400's own STAN and DE 7, fixed at the first try so every 0401 repeat is identical but for the MTI. */
  stan: string;
  transmittedAt: string;
  state: ReversalState;
  tries: number;
  nextAtMs: number;
  lastError: string | null;
  createdAtMs: number;
  completedAtMs: number | null;
}

/** A request's duplicate-detection record: same scope + key + hash replays; same key, other hash is an error. */
export interface IdempotencyRecord {
  /** `http:<merchantId>` or `iso:<terminalId>`. */
  scope: string;
  /** The Idempotency-Key, or `<stan>:<de7>` for ISO. */
  key: string;
  requestHash: string;
  paymentId: string | null;
  state: 'in_progress' | 'done';
  /** The stored answer (HTTP status and body, or the ISO reply fields) replayed to duplicates. */
  responseStatus: number | null;
  responseBody: string | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface FeeLineRecord {
  id: string;
  paymentId: string;
  merchantId: string;
  kind: 'fee' | 'fee_refund' | 'fee_removed';
  method: string;
  plan: string;
  rule: string;
  amountMinor: number;
  feeMinor: number;
  rateBps: number;
  businessDate: string;
  createdAtMs: number;
}

export interface SettlementBatchRecord {
  id: string;
  merchantId: string;
  businessDate: string;
  grossMinor: number;
  refundsMinor: number;
  feesMinor: number;
  netMinor: number;
  payoutDate: string;
  settleMode: 't1' | 'd0';
  state: 'open' | 'closed' | 'paid';
  createdAtMs: number;
}

export interface EventRecord {
  /** Monotonic position in the stream; the cursor of `GET /v1/events`. */
  seq: number;
  type: string;
  subjectId: string | null;
  payload: Record<string, unknown>;
  atMs: number;
}

export interface AuditRecord {
  id: string;
  actor: string;
  action: string;
  subjectId: string | null;
  detail: Record<string, unknown>;
  atMs: number;
}

/** How a payment flagged for manual handling ended: what the bank told an operator, or a retried reversal the bank confirmed. */
export type ManualResolutionOutcome = 'charged' | 'not-charged' | 'reversed';

/** The one resolution of a flagged payment (docs/reversals.md); inserted once, never changed. */
export interface ManualResolutionRecord {
  paymentId: string;
  outcome: ManualResolutionOutcome;
  /** What the operator learned and from whom (never card data); for `reversed`, the confirmation the worker got. */
  note: string;
  /** `key:<id>` (HTTP), `cli:<os user>`, or `reversal-worker` for a confirmed retried reversal. */
  actor: string;
  atMs: number;
}

export interface ApiKeyRecord {
  id: string;
  /** SHA-256 of the secret; the secret itself is shown once and never stored. */
  secretHash: string;
  scope: 'admin' | 'merchant';
  merchantId: string | null;
  label: string;
  createdAtMs: number;
  revokedAtMs: number | null;
}

export interface PaymentQuery {
  limit: number;
  /** Opaque cursor from an earlier page. */
  cursor?: string;
  fromMs?: number;
  toMs?: number;
  status?: PaymentStatus;
  merchantId?: string;
  terminalId?: string;
  responseCode?: string;
  category?: string;
  last4?: string;
  rrn?: string;
  stan?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Writes available inside one unit of work. Every method runs inside the surrounding transaction.
 * Inserts that break a unique constraint throw ReswipeError `RSW_STORE_CONFLICT` naming the constraint;
 * that is how duplicate detection stays race-free across several gateway nodes.
 */
export interface StoreTx extends StoreReader {
  upsertMerchant(merchant: MerchantRecord): Promise<void>;
  upsertTerminal(terminal: TerminalRecord): Promise<void>;
  /** Moves a terminal's `lastSeenAtMs` forward to `seenAtMs` (never back) and touches nothing else; false when the terminal is unknown or was seen later already. */
  touchTerminal(id: string, seenAtMs: number): Promise<boolean>;
  upsertChannel(channel: ChannelRecord): Promise<void>;

  insertIdempotency(record: IdempotencyRecord): Promise<void>;
  updateIdempotency(scope: string, key: string, change: Pick<IdempotencyRecord, 'paymentId' | 'state' | 'responseStatus' | 'responseBody' | 'updatedAtMs'>): Promise<void>;

  /**
   * Reads a payment and holds it until the unit's transaction ends, so a decision that reads the payment
   * and its follow-ups (a void, refund, completion or cancel against this original) cannot interleave
   * with the same decision on another gateway node: the second waits, then reads the first's follow-up.
   * PostgreSQL: `SELECT ... FOR UPDATE`. SQLite: a plain read, since its one writer connection already
   * runs units one after another. Null when the payment does not exist.
   */
  lockPaymentForUpdate(id: string): Promise<PaymentRecord | null>;
  insertPayment(payment: PaymentRecord): Promise<void>;
  /**
   * Compare-and-set: if the stored version is still `before.version`, writes the fields in which `after`
   * differs from `before` and sets the version to `before.version + 1` (`after.version` is ignored).
   * False when another writer got there first. `before` must be the row as read at that version.
   */
  updatePayment(before: PaymentRecord, after: PaymentRecord): Promise<boolean>;

  insertAttempt(attempt: AttemptRecord): Promise<void>;
  updateAttempt(attempt: AttemptRecord): Promise<void>;
  /** The next upstream STAN for a channel, 000001-999999, wrapping; atomic across nodes. */
  nextStan(channel: string): Promise<string>;
  /** Sets a channel's counter so the next `nextStan` returns `lastStan + 1` (wrapping): for taking over a channel mid-day without reusing its STANs. */
  setStanCounter?(channel: string, lastStan: number): Promise<void>;

  insertReversal(reversal: ReversalRecord): Promise<void>;
  updateReversal(reversal: ReversalRecord): Promise<void>;

  insertFeeLine(line: FeeLineRecord): Promise<void>;
  upsertSettlementBatch(batch: SettlementBatchRecord): Promise<void>;

  /** Appends to the event stream; returns the event's seq. */
  appendEvent(event: Omit<EventRecord, 'seq'>): Promise<number>;
  appendAudit(record: AuditRecord): Promise<void>;
  /** Records the resolution of a flagged payment; a second one for the same payment throws `RSW_STORE_CONFLICT` (manual_resolutions_pkey). */
  insertManualResolution(record: ManualResolutionRecord): Promise<void>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  revokeApiKey(id: string, atMs: number): Promise<boolean>;
}

export interface StoreReader {
  getMerchant(id: string): Promise<MerchantRecord | null>;
  listMerchants(): Promise<MerchantRecord[]>;
  getTerminal(id: string): Promise<TerminalRecord | null>;
  listTerminals(merchantId?: string): Promise<TerminalRecord[]>;
  getChannel(name: string): Promise<ChannelRecord | null>;
  listChannels(): Promise<ChannelRecord[]>;

  getIdempotency(scope: string, key: string): Promise<IdempotencyRecord | null>;

  getPayment(id: string): Promise<PaymentRecord | null>;
  listPayments(query: PaymentQuery): Promise<Page<PaymentRecord>>;
  /** Payments still `pending` and older than the given instant: the work list after a restart. */
  listPendingPayments(createdBeforeMs: number, limit: number): Promise<PaymentRecord[]>;
  /**
   * Payments flagged for manual handling (a dead-lettered reversal) and not resolved yet, whatever their
   * status, most recently flagged first: the operators' work list.
   */
  listManualHandlingPayments(limit: number): Promise<PaymentRecord[]>;
  /** The resolution of a flagged payment, or null while it waits (or was never flagged). */
  getManualResolution(paymentId: string): Promise<ManualResolutionRecord | null>;
  /** Sum of approved amounts for a merchant (and terminal, when given) created in [fromMs, toMs). */
  sumApprovedMinor(scope: { merchantId: string; terminalId?: string }, fromMs: number, toMs: number): Promise<number>;

  /**
   * Payments created at or after `sinceMs` that the re-swipe guard and the double-approval check compare
   * with a sale: same card fingerprint, amount, currency and kind, and the same terminal (or, for a sale
   * without one, no terminal and the same merchant), newest first: the rows `isReswipeTwin` accepts.
   * Indexed by card and amount, so its cost follows the twins returned, not the card's other sales.
   */
  findReswipeCandidates(match: ReswipeMatch, sinceMs: number, limit: number): Promise<ReswipeCandidate[]>;
  listAttempts(paymentId: string): Promise<AttemptRecord[]>;
  /**
   * Upstream declines (outcome `declined`) of one card fingerprint created at or after `sinceMs`: the
   * newest `limit` of them, newest first, with their payment's merchant and amount. The input of the
   * scheme retry budgets, which count declines only; indexed by card, so its cost follows the number
   * of declines returned, not the card's approvals.
   */
  listCardDeclines(panFingerprint: string, sinceMs: number, limit: number): Promise<Array<AttemptRecord & { merchantId: string; amountMinor: number }>>;
  /** Finds an attempt by the upstream keys a reply carries (channel, STAN, DE 7). */
  findAttemptByUpstreamKey(channel: string, stan: string, transmittedAt: string): Promise<AttemptRecord | null>;

  getReversal(id: string): Promise<ReversalRecord | null>;
  /** Pending reversals whose next try is due at or before `dueAtMs`, oldest first. */
  listDueReversals(dueAtMs: number, limit: number): Promise<ReversalRecord[]>;
  reversalQueueStats(): Promise<{ pending: number; dead: number; oldestPendingCreatedAtMs: number | null }>;

  listFeeLines(query: { merchantId?: string; paymentId?: string; fromDate?: string; toDate?: string }): Promise<FeeLineRecord[]>;
  getSettlementBatch(merchantId: string, businessDate: string): Promise<SettlementBatchRecord | null>;
  listSettlementBatches(query: { merchantId?: string; fromDate?: string; toDate?: string }): Promise<SettlementBatchRecord[]>;

  /** Events after a seq (exclusive), oldest first. */
  listEvents(afterSeq: number, limit: number, type?: string): Promise<EventRecord[]>;
  listAudit(limit: number): Promise<AuditRecord[]>;

  /** The newest event of a type about one subject, or null: e.g. `batch.settled` for a terminal. */
  lastEventOf(type: string, subjectId: string): Promise<EventRecord | null>;
  /** Payments naming this one as their original (voids, refunds, completions, cancels), oldest first. */
  listFollowUps(originalPaymentId: string): Promise<PaymentRecord[]>;
  /** Approved pre-authorizations created before the instant, oldest first: the holds to release at expiry. */
  listExpiredHolds(createdBeforeMs: number, limit: number): Promise<PaymentRecord[]>;
  /** Refund advices (0220/0221 attempts) not yet acknowledged upstream, oldest first: the store-and-forward queue. */
  listPendingAdvices(limit: number): Promise<AttemptRecord[]>;

  findApiKeyByHash(secretHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
}

export interface MigrationReport {
  applied: string[];
  current: string;
}

export interface Store extends StoreReader {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending versioned migrations; safe to call from several nodes at once. */
  migrate(): Promise<MigrationReport>;
  /**
   * Runs a unit of work atomically. Units submitted close together share one database
   * transaction and one disk flush (group commit); each unit sits in its own savepoint, so a unit
   * that throws rolls back alone and its caller gets the error. Resolves only after the commit is durable.
   */
  write<T>(unit: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Group-commit counters since open: database commits and units committed or rolled back in them. */
  stats?(): StoreStats;
  /** Resolves when the database answers a trivial query; for `/readyz`. */
  ping?(): Promise<void>;
  /**
   * Why every write fails now and will until the store is reopened (a sticky fault such as a failed WAL
   * fdatasync, or a closed store), or null when writes are accepted; for `/readyz`. Never throws.
   */
  writeFault?(): string | null;
  close(): Promise<void>;
}

export interface StoreStats {
  /** Write transactions committed (one per group-commit batch). */
  commits: number;
  /** Units run in batches, including units that threw and were rolled back. */
  units: number;
}

/** What a sale is matched on by the re-swipe guard. */
export type ReswipeMatch = Pick<PaymentRecord, 'panFingerprint' | 'amountMinor' | 'currency' | 'kind' | 'merchantId' | 'terminalId'>;
/** A payment reduced to what the re-swipe guard and the double-approval check compare. */
export type ReswipeCandidate = Pick<PaymentRecord, 'id' | 'kind' | 'status' | 'merchantId' | 'terminalId' | 'amountMinor' | 'currency' | 'createdAtMs' | 'updatedAtMs'>;
