// The simulation's auditor. It trusts none of the engine's own bookkeeping: it puts side by side
// (a) what every client was told (collected by the harness), (b) the money the issuer actually
// moved (the IssuerBook's ledger, mapped to payments by their unique amount; for WeChat Pay and Alipay
// sales the providers' books, checked in qr-audit.ts; UnionPay QR sales are card sales on the issuer's
// ledger, with their codes checked one by one in unionpay-qr-audit.ts), (c) what the store holds, (d) the
// raw bytes of the SQLite files and (e) what the gateway logged, and checks the five money-safety
// invariants of docs/vocabulary.md. Every breach is reported with the payment it concerns.
import { terminalRrnOf } from '../../src/core/payments/terminal-rrn.ts';
import type { AttemptRecord, PaymentRecord, ReversalRecord, Store } from '../../src/core/ports/store.ts';
import type { IssuerBook } from '../../src/sim/issuer/issuer-book.ts';
import { auditQrPayment, emptyQrCounts, indexQrBooks, type QrCounts, type QrProviderBooks } from './qr-audit.ts';
import type { UnionPayQrPresentation } from './sim-network.ts';
import { auditUnionPayQrCodes, emptyUnionPayQrCounts, type UnionPayQrCounts } from './unionpay-qr-audit.ts';

/**
 * How a sale is paid: a card or a UnionPay QR code (the issuer's ledger has its money), or a WeChat Pay or
 * Alipay code (the provider's book has it).
 */
export type SimMethod = 'card' | 'unionpay-qr' | 'wechat' | 'alipay';

/** One answer a client received for a payment (first try, resend or duplicate copy). */
export interface ClientAnswer {
  atMs: number;
  kind: 'completed' | 'replayed' | 'in_progress' | 'mismatch' | 'error' | 'refused';
  /** DE 39 the client saw; null for an HTTP "in progress" (the client keeps waiting). */
  code: string | null;
  verdict: string | null;
  /** The payment the answer names (HTTP); null over ISO, where a terminal is never told it. */
  paymentId: string | null;
  status: string | null;
  /** DE 37 of an ISO answer, when it carried one. */
  rrn?: string | null;
  tryNumber?: number;
  /** Arrived after the client had given up on the sale (a real terminal ignores it). */
  afterGiveUp?: boolean;
}

/** A void or refund a client sent for its own approved sale (FollowUps.followUp). */
export interface SimFollowUp {
  operation: 'void' | 'refund';
  /** The sale's amount for a void; for a refund, distinct among the sale's refunds and below the sale's amount. */
  amountMinor: number;
  answers: ClientAnswer[];
  /** The answer the client acted on (the first one with a code), or null if it gave up. */
  told: ClientAnswer | null;
  sends: number;
  gaveUp: boolean;
}

/** One logical sale as the harness's client knows it. */
export interface SimPayment {
  index: number;
  client: number;
  intake: 'iso' | 'http';
  terminalId: string | null;
  method: SimMethod;
  /** The card number; empty for a QR sale (UnionPay QR included). */
  pan: string;
  /** The customer's scanned code of a QR sale; null for a card sale. */
  authCode: string | null;
  /** Unique within a run: the issuer's ledger maps back to the payment by DE 4. */
  amountMinor: number;
  stan: string | null;
  transmittedAt: string | null;
  answers: ClientAnswer[];
  /** The answer the client acted on (the first one with a code), or null if it gave up. */
  told: ClientAnswer | null;
  sends: number;
  gaveUp: boolean;
  /** The terminal sent its own 0400 after giving up. */
  reversalSent: boolean;
  /** DE 39 of the 0410 the terminal got (00 reversed, 25 original not found), null if none came. */
  reversalCode: string | null;
  /** Voids and refunds of this sale the client sent after it was told 00, in order. */
  followUps: SimFollowUp[];
}

export type InvariantNumber = 1 | 2 | 3 | 4 | 5;

export interface Violation {
  /** docs/vocabulary.md invariant 1..5, or 0 for a harness-level failure (an engine assertion, a stuck run). */
  invariant: InvariantNumber | 0;
  payment: number | null;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  violations: Violation[];
  /**
   * Reported without failing the run: `pendingFlagged` counts payments left `pending` with a
   * dead-lettered reversal and the durable manual-handling flag (the accepted end state; a missing
   * flag is a violation). `sweepEventsMax` is the most `payment.unknown` events of one payment; with
   * `strict` more than 20 fail the run (a flagged payment re-swept by recovery at every pass).
   */
  findings: {
    pendingFlagged: number;
    sweepEventsMax: number;
    /**
     * Known engine gaps found by the void/refund simulation, violations only with `strict`:
     * `refundsReversed`, refunds told accepted that the gateway later REVERSED at the issuer (a late
     * 0230 reaches Payments.handleUnmatchedReply (handle-late-reply.ts), which queues a reversal for the pending
     * advice attempt as for a sale); `voidedSalesReopened`, sales stored `approved` again though their
     * approved void gave the money back (the settlement of an earlier attempt's reversal recomputes
     * the sale's status from its attempts and overwrites `voided`). Money checks still run on both.
     */
    refundsReversed: number;
    voidedSalesReopened: number;
  };
  counts: {
    payments: number;
    toldApproved: number;
    toldDeclined: number;
    toldWait: number;
    gaveUp: number;
    terminalReversals: number;
    duplicateSends: number;
    storePayments: number;
    attempts: number;
    reversalsDone: number;
    reversalsDead: number;
    manualHandling: number;
    issuerCharges: number;
    issuerChargesReversed: number;
    voidsSent: number;
    voidsApproved: number;
    refundsSent: number;
    refundsAccepted: number;
    followUpsManual: number;
    issuerRefunds: number;
    /** Sales with a good card (one the issuer approves when nothing goes wrong). */
    goodCardSales: number;
    /** Of those, the sales the client was told approved (00): the gateway's recovery at work. */
    goodCardApproved: number;
    /** Sales told approved whose approval came after a failed attempt (not sent, declined or reversed). */
    recoveredSales: number;
    /** Sales by method and intake (`card-iso`, `wechat-http`, ...). */
    byKind: Record<string, number>;
  } & QrCounts &
    UnionPayQrCounts;
}

export interface AuditInput {
  payments: readonly SimPayment[];
  book: IssuerBook;
  /** The QR providers' books: their trades and every pay that reached them. */
  qr: QrProviderBooks;
  /** Every sale request with a UnionPay-QR-shaped DE 2 the issuer processed (SimUpstream.unionPayQrPresentations). */
  unionPayQr?: readonly UnionPayQrPresentation[];
  /** Card numbers and QR codes found in the gateway's log lines (LogSecretScan.found), with the message of the line. */
  loggedSecrets?: ReadonlyMap<string, string>;
  store: Store;
  /** Card numbers and QR codes that must never be in the database in full. */
  pans: readonly string[];
  databaseBytes: ReadonlyArray<{ file: string; bytes: Buffer }>;
  engineErrors: readonly string[];
  /** Treat the known gaps (see AuditReport.findings) as violations. */
  strict?: boolean;
  /** Cards the issuer approves when nothing goes wrong: the recovery counts are about their sales. */
  goodPans?: readonly string[];
}

const finalOutcomes: ReadonlySet<string> = new Set(['approved', 'declined', 'not_sent', 'reversed']);
const pageMax = 500;
const pagesMax = 10_000;

export async function auditRun(input: AuditInput): Promise<AuditReport> {
  const violations: Violation[] = [];
  const add = (invariant: Violation['invariant'], payment: number | null, message: string): void => {
    if (violations.length < 200) violations.push({ invariant, payment, message });
  };
  for (const error of input.engineErrors) add(0, null, error);

  // (b) The issuer's money, by amount.
  const charges = new Map<number, { live: number; reversed: number }>();
  // When each charge of a sale was live at the issuer, for the "never two live charges at once" check.
  const chargeIntervals = new Map<number, Array<{ fromMs: number; toMs: number }>>();
  // Refunds and voids (a void gives the named charge back as a refund does), by the key of the charge they name.
  const chargeKeys = new Map<number, string[]>();
  const refundsOf = new Map<string, Array<{ amountMinor: number; live: boolean }>>();
  let issuerRefunds = 0;
  let issuerCharges = 0;
  let issuerChargesReversed = 0;
  const amounts = new Set(input.payments.map((payment) => payment.amountMinor));
  for (const record of input.book.records.values()) {
    const entry = record.entry;
    if (entry === null) continue;
    if (entry.money.kind === 'refund' && entry.money.refundOfKey !== null) {
      const list = refundsOf.get(entry.money.refundOfKey) ?? [];
      list.push({ amountMinor: entry.money.amountMinor, live: entry.reversedAtMs === null });
      refundsOf.set(entry.money.refundOfKey, list);
      issuerRefunds += 1;
      continue;
    }
    if (entry.money.kind !== 'charge') {
      add(4, null, `the issuer moved money of kind ${entry.money.kind}${entry.money.kind === 'refund' ? ' naming no sale' : ''} though the clients only sell, void and refund`);
      continue;
    }
    chargeKeys.set(entry.money.amountMinor, [...(chargeKeys.get(entry.money.amountMinor) ?? []), entry.key]);
    const amount = entry.money.amountMinor;
    if (!amounts.has(amount)) add(4, null, `the issuer charged ${amount} fen for no payment any client made`);
    const tally = charges.get(amount) ?? { live: 0, reversed: 0 };
    chargeIntervals.set(amount, [...(chargeIntervals.get(amount) ?? []), { fromMs: entry.atMs, toMs: entry.reversedAtMs ?? Number.POSITIVE_INFINITY }]);
    if (entry.reversedAtMs === null) tally.live += 1;
    else tally.reversed += 1;
    issuerCharges += 1;
    if (entry.reversedAtMs !== null) issuerChargesReversed += 1;
    charges.set(amount, tally);
  }
  if (input.book.recordsEvicted > 0) add(0, null, `the issuer forgot ${input.book.recordsEvicted} records; raise recordsMax so the ledger is complete`);

  // (b') The QR providers' money, by amount.
  const qrIndex = indexQrBooks(input.qr, new Set(input.payments.filter((payment) => payment.method === 'wechat' || payment.method === 'alipay').map((payment) => payment.amountMinor)), add);
  const qrCounts = emptyQrCounts();
  // (b'') The UnionPay QR codes the issuer saw, code by code.
  const unionPayQrCounts = emptyUnionPayQrCounts();
  auditUnionPayQrCodes(input.payments, input.unionPayQr ?? [], input.book, unionPayQrCounts, add);
  const byKind: Record<string, number> = {};

  // (c) The store.
  const storePayments: PaymentRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < pagesMax; page++) {
    const result = await input.store.listPayments({ limit: pageMax, ...(cursor === undefined ? {} : { cursor }) });
    storePayments.push(...result.data);
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  const deadLettered = new Set<string>();
  let afterSeq = 0;
  for (let page = 0; page < pagesMax; page++) {
    const events = await input.store.listEvents(afterSeq, pageMax, 'reversal.dead_letter');
    for (const event of events) {
      const reversalId = event.payload.reversalId;
      if (typeof reversalId === 'string') deadLettered.add(reversalId);
      afterSeq = Math.max(afterSeq, event.seq);
    }
    if (events.length < pageMax) break;
  }
  // How often recovery re-announced each payment as unknown: a bounded process re-announces a few times at most.
  const unknownEvents = new Map<string, number>();
  afterSeq = 0;
  for (let page = 0; page < pagesMax; page++) {
    const events = await input.store.listEvents(afterSeq, pageMax, 'payment.unknown');
    for (const event of events) {
      if (event.subjectId !== null) unknownEvents.set(event.subjectId, (unknownEvents.get(event.subjectId) ?? 0) + 1);
      afterSeq = Math.max(afterSeq, event.seq);
    }
    if (events.length < pageMax) break;
  }
  // Follow-ups handed to an operator: a refund advice that expired or was refused after acceptance, a dead reversal.
  const manualEvents = new Set<string>();
  afterSeq = 0;
  for (let page = 0; page < pagesMax; page++) {
    const events = await input.store.listEvents(afterSeq, pageMax, 'payment.manual_handling');
    for (const event of events) {
      if (event.subjectId !== null) manualEvents.add(event.subjectId);
      afterSeq = Math.max(afterSeq, event.seq);
    }
    if (events.length < pageMax) break;
  }
  const sweepEventsMax = Math.max(0, ...unknownEvents.values());
  const sweepEventsAllowed = 20;
  if (input.strict === true && sweepEventsMax > sweepEventsAllowed) add(3, null, `recovery announced one payment unknown ${sweepEventsMax} times (a dead-lettered payment is re-swept forever)`);
  let pendingFlagged = 0;
  const byAmount = new Map<number, PaymentRecord[]>();
  const followUpRows = new Map<string, PaymentRecord[]>();
  for (const payment of storePayments) {
    if (payment.originalPaymentId !== null) {
      followUpRows.set(payment.originalPaymentId, [...(followUpRows.get(payment.originalPaymentId) ?? []), payment]);
      if (payment.kind !== 'void' && payment.kind !== 'refund') add(2, null, `the store has a ${payment.kind} ${payment.id} though the clients only void and refund`);
      continue;
    }
    const list = byAmount.get(payment.amountMinor) ?? [];
    list.push(payment);
    byAmount.set(payment.amountMinor, list);
    if (!amounts.has(payment.amountMinor)) add(2, null, `the store has payment ${payment.id} of ${payment.amountMinor} fen that no client asked for`);
  }
  let attemptsCount = 0;
  let reversalsDone = 0;
  let reversalsDead = 0;
  let manualHandling = 0;
  const detail = new Map<string, { attempts: AttemptRecord[]; reversals: Map<string, ReversalRecord> }>();
  for (const payment of storePayments) {
    const attempts = await input.store.listAttempts(payment.id);
    const reversals = new Map<string, ReversalRecord>();
    for (const attempt of attempts) {
      const reversal = await input.store.getReversal(`rev_${attempt.id}`);
      if (reversal !== null) reversals.set(attempt.id, reversal);
    }
    attemptsCount += attempts.length;
    detail.set(payment.id, { attempts, reversals });
  }

  // The checks, payment by payment.
  let toldApproved = 0;
  let toldDeclined = 0;
  let toldWait = 0;
  let gaveUp = 0;
  let terminalReversals = 0;
  let duplicateSends = 0;
  let voidsSent = 0;
  let voidsApproved = 0;
  let refundsSent = 0;
  let refundsAccepted = 0;
  let followUpsManual = 0;
  let refundsReversed = 0;
  let voidedSalesReopened = 0;
  // Invariant 2 across sales: no two payments of one party are named by one RRN in the answers (DE 37 names one sale).
  const paymentOfRrn = new Map<string, string>();
  let goodCardSales = 0;
  let goodCardApproved = 0;
  let recoveredSales = 0;
  const goodPans = new Set(input.goodPans ?? []);
  for (const payment of input.payments) {
    const who = payment.index;
    const rows = byAmount.get(payment.amountMinor) ?? [];
    const tally = charges.get(payment.amountMinor) ?? { live: 0, reversed: 0 };
    if (payment.gaveUp) gaveUp += 1;
    if (payment.reversalSent) terminalReversals += 1;
    duplicateSends += Math.max(0, payment.sends - 1);
    const told = payment.told;
    if (told?.code === '00') toldApproved += 1;
    else if (told?.verdict === 'wait') toldWait += 1;
    else if (told !== null) toldDeclined += 1;

    // Invariant 2: one payment per logical sale whatever was resent; every answer names that payment.
    if (rows.length > 1) add(2, who, `${rows.length} stored payments (${rows.map((row) => row.id).join(', ')}) for one sale sent ${payment.sends} times`);
    const row = rows[0];
    for (const answer of payment.answers) {
      if (answer.paymentId !== null && answer.paymentId !== row?.id) add(2, who, `an answer named payment ${answer.paymentId}, the store has ${row?.id ?? 'none'}`);
      // A terminal is told no payment id; the RRN its answer carries must be the stored payment's (a QR
      // trade number's last 12 characters: src/core/payments/terminal-rrn.ts), and no other payment's.
      if ((answer.rrn ?? null) === null) continue;
      const stored = row?.rrn ?? null;
      if (stored === null || answer.rrn !== terminalRrnOf(stored).trim()) add(2, who, `an answer carried RRN ${answer.rrn}, the store has ${stored ?? 'none'}`);
      // Per party that assigned it: the sandboxes number their trades from 1 each, where real WeChat Pay and Alipay numbers differ in their prefixes.
      // The issuer numbers card and UnionPay QR sales alike.
      const rrnKey = `${payment.method === 'unionpay-qr' ? 'card' : payment.method}:${answer.rrn ?? ''}`;
      const named = paymentOfRrn.get(rrnKey);
      if (named !== undefined && row !== undefined && named !== row.id) add(2, who, `an answer carried RRN ${answer.rrn}, which another ${payment.method} answer gave payment ${named}: it names no one sale`);
      if (row !== undefined) paymentOfRrn.set(rrnKey, row.id);
    }
    // Answers that came after the terminal gave up and reversed the sale are void for it: it reversed.
    const heeded = payment.reversalSent ? payment.answers.filter((answer) => answer.afterGiveUp !== true) : payment.answers;
    const approvedAnswers = heeded.filter((answer) => answer.code === '00');
    const definiteRefusals = heeded.filter((answer) => answer.code !== null && answer.code !== '00' && answer.verdict !== 'wait');
    if (approvedAnswers.length > 0 && definiteRefusals.length > 0) {
      add(2, who, `the client was told both 00 and ${definiteRefusals.map((answer) => `${answer.code}(${answer.kind})`).join(',')}`);
    }
    byKind[`${payment.method}-${payment.intake}`] = (byKind[`${payment.method}-${payment.intake}`] ?? 0) + 1;
    if (payment.method === 'wechat' || payment.method === 'alipay') {
      const following = row === undefined ? [] : (followUpRows.get(row.id) ?? []);
      const followUps = payment.followUps.map((followUp) => {
        const stored = following.filter((candidate) => candidate.kind === followUp.operation && candidate.amountMinor === followUp.amountMinor);
        if (stored.length > 1) add(2, who, `${stored.length} stored ${followUp.operation}s of ${followUp.amountMinor} fen for one request sent ${followUp.sends} times`);
        const fuRow = stored[0];
        return { followUp, row: fuRow, manual: fuRow !== undefined && ((fuRow.manualHandlingSinceMs ?? null) !== null || manualEvents.has(fuRow.id)) };
      });
      auditQrPayment(qrIndex, { payment, row, approvedAnswers, definiteRefusals, followUps }, qrCounts, add);
      continue;
    }

    const info = row === undefined ? undefined : detail.get(row.id);
    const attempts = info?.attempts ?? [];
    const reversals = info?.reversals ?? new Map<string, ReversalRecord>();
    let manual = false;
    let approvedAttempts = 0;
    for (const attempt of attempts) {
      const reversal = reversals.get(attempt.id);
      if (reversal?.state === 'done') reversalsDone += 1;
      if (reversal?.state === 'dead') {
        reversalsDead += 1;
        manual = true;
        // Invariant 3: a dead letter is only acceptable with its alert event.
        if (!deadLettered.has(reversal.id)) add(3, who, `reversal ${reversal.id} is dead without a reversal.dead_letter event`);
      }
      if (reversal?.state === 'pending') add(3, who, `reversal ${reversal.id} still pending ${reversal.tries} tries after the drain`);
      if (attempt.outcome === 'approved') approvedAttempts += 1;
      if (!finalOutcomes.has(attempt.outcome) && reversal?.state !== 'dead') {
        add(3, who, `attempt ${attempt.seq} on ${attempt.channel} is ${attempt.outcome} after the drain with ${reversal === undefined ? 'no reversal' : `a ${reversal.state} reversal`}`);
      }
    }
    if (manual) manualHandling += 1;
    if (payment.method === 'unionpay-qr') {
      unionPayQrCounts.unionPayQrSales += 1;
      if (told?.code === '00') unionPayQrCounts.unionPayQrToldApproved += 1;
      if (payment.reversalSent) unionPayQrCounts.unionPayQrTerminalReversals += 1;
      unionPayQrCounts.unionPayQrFollowUps += payment.followUps.length;
      for (const reversal of reversals.values()) {
        if (reversal.state === 'done') unionPayQrCounts.unionPayQrReversalsDone += 1;
        if (reversal.state === 'dead') unionPayQrCounts.unionPayQrReversalsDead += 1;
      }
    }
    // Invariant 3: a dead letter hands its payment to an operator through the durable flag, whatever the payment's status.
    if (manual && row !== undefined && (row.manualHandlingSinceMs ?? null) === null) add(3, who, `payment ${row.id} has a dead-lettered reversal but no manual handling flag`);
    if (row !== undefined && row.status === 'pending') {
      if (!manual) add(3, who, `payment ${row.id} still pending after the drain`);
      // Pending and flagged is the accepted end state (money may have moved; an operator resolves it).
      else pendingFlagged += 1;
    }

    // Invariant 1: at most one approved, unreversed attempt, in the store and in the money.
    if (approvedAttempts > 1) add(1, who, `${approvedAttempts} approved attempts in the store`);
    if (tally.live > 1 && !manual) add(1, who, `charged ${tally.live} times at the issuer`);
    // Invariant 1 at every instant, not only after the drain: a new attempt approved while an earlier one was
    // still charged (its reversal not yet settled) charged the customer twice for a while.
    const intervals = [...(chargeIntervals.get(payment.amountMinor) ?? [])].sort((a, b) => a.fromMs - b.fromMs);
    let standing: { fromMs: number; toMs: number } | null = null;
    for (const interval of intervals) {
      if (standing !== null && interval.fromMs < standing.toMs) {
        add(1, who, `charged twice at once at the issuer: a charge at ${interval.fromMs} while the one from ${standing.fromMs} stood until ${Number.isFinite(standing.toMs) ? standing.toMs : 'the end'}`);
        break;
      }
      if (standing === null || interval.toMs > standing.toMs) standing = interval;
    }
    // Recovery: how many good-card sales end approved, and how many of those needed more than one try.
    if (goodPans.has(payment.pan)) {
      goodCardSales += 1;
      if (told?.code === '00') goodCardApproved += 1;
    }
    if (told?.code === '00' && attempts.some((attempt) => attempt.outcome === 'not_sent' || attempt.outcome === 'declined' || attempt.outcome === 'reversed')) recoveredSales += 1;

    // Invariant 4: told approved => charged exactly once; told a refusal => not charged; the store agrees with the money.
    if (approvedAnswers.length > 0 && !(tally.live === 1 || (manual && tally.live >= 1))) add(4, who, `told approved but charged ${tally.live} times`);
    if (definiteRefusals.length > 0 && tally.live !== 0 && !manual) {
      add(4, who, `told ${definiteRefusals[0]?.code} (${definiteRefusals[0]?.kind}) but charged ${tally.live} times`);
    }
    // The terminal's own reversal, acknowledged (00, or 25: the original never got in and never will): not charged.
    if (payment.reversalCode !== null && (payment.reversalCode === '00' || payment.reversalCode === '25') && tally.live !== 0 && !manual) {
      add(4, who, `the terminal's reversal was answered ${payment.reversalCode} but the sale is charged ${tally.live} times`);
    }
    // Voids and refunds, from the issuer's ledger: what came back on this sale's charge(s).
    const givenAll = (chargeKeys.get(payment.amountMinor) ?? []).flatMap((key) => refundsOf.get(key) ?? []);
    const given = (chargeKeys.get(payment.amountMinor) ?? []).flatMap((key) => refundsOf.get(key) ?? []).filter((refund) => refund.live);
    const givenMinor = given.reduce((sum, refund) => sum + refund.amountMinor, 0);
    const voidsLive = given.filter((refund) => refund.amountMinor === payment.amountMinor).length;
    const rowsFollowing = row === undefined ? [] : (followUpRows.get(row.id) ?? []);
    let followUpManual = false;
    const followUpDetail: Array<{ followUp: SimFollowUp; row: PaymentRecord | undefined; manual: boolean }> = [];
    for (const followUp of payment.followUps) {
      const stored = rowsFollowing.filter((candidate) => candidate.kind === followUp.operation && candidate.amountMinor === followUp.amountMinor);
      // Invariant 2 for follow-ups: one stored void or refund however often it was resent.
      if (stored.length > 1) add(2, who, `${stored.length} stored ${followUp.operation}s of ${followUp.amountMinor} fen for one request sent ${followUp.sends} times`);
      const fuRow = stored[0];
      let fuManual = fuRow !== undefined && ((fuRow.manualHandlingSinceMs ?? null) !== null || manualEvents.has(fuRow.id));
      for (const attempt of fuRow === undefined ? [] : (detail.get(fuRow.id)?.attempts ?? [])) {
        const reversal = detail.get(fuRow?.id ?? '')?.reversals.get(attempt.id);
        if (reversal?.state === 'dead') {
          fuManual = true;
          if (!deadLettered.has(reversal.id)) add(3, who, `${followUp.operation} reversal ${reversal.id} is dead without a reversal.dead_letter event`);
        }
        if (reversal?.state === 'pending') add(3, who, `${followUp.operation} reversal ${reversal.id} still pending after the drain`);
        // Invariant 3: a refund advice is acknowledged (or handed to an operator); a void attempt ends final.
        if (!fuManual && !finalOutcomes.has(attempt.outcome)) add(3, who, `${followUp.operation} ${fuRow?.id} attempt is ${attempt.outcome} after the drain`);
      }
      if (fuRow !== undefined && fuRow.status === 'pending' && !fuManual) add(3, who, `${followUp.operation} ${fuRow.id} still pending after the drain`);
      if (fuManual) followUpManual = true;
      followUpDetail.push({ followUp, row: fuRow, manual: fuManual });
    }
    if (followUpManual) followUpsManual += 1;
    const excused = manual || followUpManual;
    // Money never goes below zero on a sale, and refunds never give back more than it charged.
    if (!excused && givenMinor > tally.live * payment.amountMinor) add(4, who, `the issuer gave back ${givenMinor} fen on a sale charged ${tally.live * payment.amountMinor}`);
    if (givenMinor > payment.amountMinor) add(4, who, `refunds and voids gave back ${givenMinor} fen, more than the sale's ${payment.amountMinor}`);
    for (const { followUp, manual: fuManual } of followUpDetail) {
      const told = followUp.told;
      const credited = given.filter((refund) => refund.amountMinor === followUp.amountMinor).length;
      const refusal = told !== null && told.code !== '00' && told.verdict !== 'wait';
      if (followUp.operation === 'void') {
        voidsSent += 1;
        if (told?.code === '00') voidsApproved += 1;
        if (fuManual || manual) continue;
        // A void told approved leaves the sale uncharged once reversals settled; a refused one moved nothing.
        if (told?.code === '00' && !(tally.live === 1 && credited === 1)) add(4, who, `void told approved but the sale is charged ${tally.live} times and given back ${credited} times`);
        if (refusal && credited !== 0) add(4, who, `void told ${told.code} (${told.kind}) but the sale was given back ${credited} times`);
        if (credited > 1) add(1, who, `the sale was voided ${credited} times at the issuer`);
      } else {
        refundsSent += 1;
        if (told?.code === '00') refundsAccepted += 1;
        if (fuManual || manual) continue;
        // A refund told accepted is credited exactly once (store and forward); a refused one never.
        const reversedCredits = givenAll.filter((refund) => !refund.live && refund.amountMinor === followUp.amountMinor).length;
        if (told?.code === '00' && credited === 0 && reversedCredits > 0) {
          refundsReversed += 1;
          add(4, who, `refund of ${followUp.amountMinor} fen told accepted was credited, then reversed by the gateway`);
        } else if (told?.code === '00' && credited !== 1) add(4, who, `refund of ${followUp.amountMinor} fen told accepted but credited ${credited} times`);
        if (refusal && credited !== 0) add(4, who, `refund told ${told.code} (${told.kind}) but credited ${credited} times`);
        if (credited > 1) add(1, who, `refund of ${followUp.amountMinor} fen credited ${credited} times`);
      }
    }
    if (row === undefined) {
      if (tally.live > 0) add(4, who, `charged ${tally.live} times with no payment in the store`);
      if (given.length > 0) add(4, who, `given back ${given.length} times with no payment in the store`);
    } else if (!excused) {
      const voidApproved = followUpDetail.some(({ followUp, row: fuRow }) => followUp.operation === 'void' && fuRow?.status === 'approved');
      if (row.status === 'approved' && tally.live === 1 && voidsLive === 1 && voidApproved) {
        voidedSalesReopened += 1;
        add(4, who, `stored approved again though its approved void gave the money back`);
      } else if (row.status === 'approved' && (tally.live !== 1 || voidsLive !== 0)) add(4, who, `stored approved but charged ${tally.live} times and voided ${voidsLive} times`);
      if (row.status === 'voided' && (tally.live !== 1 || voidsLive !== 1)) add(4, who, `stored voided but charged ${tally.live} times and voided ${voidsLive} times`);
      if (row.status !== 'approved' && row.status !== 'voided' && tally.live !== 0) add(4, who, `stored ${row.status} but charged ${tally.live} times`);
      for (const { followUp, row: fuRow } of followUpDetail) {
        if (fuRow === undefined) continue;
        const credited = given.filter((refund) => refund.amountMinor === followUp.amountMinor).length;
        // The store agrees with the money: an approved (accepted) follow-up moved it once, any other none.
        if (fuRow.status === 'approved' && credited !== 1) add(4, who, `${followUp.operation} ${fuRow.id} stored approved but given back ${credited} times`);
        if (fuRow.status !== 'approved' && credited !== 0) add(4, who, `${followUp.operation} ${fuRow.id} stored ${fuRow.status} but given back ${credited} times`);
      }
    }
  }

  // Invariant 5: no PAN (nor QR code) in the bytes of the database, its WAL or shared memory.
  // One pass per file over its runs of 13 or more digits, whatever the number of secrets.
  for (const { file, bytes } of input.databaseBytes) {
    const found = new Set<string>();
    for (const run of bytes.toString('latin1').matchAll(/[0-9]{13,}/g)) {
      for (const pan of input.pans) if (run[0].includes(pan)) found.add(pan);
    }
    for (const pan of found) add(5, null, `a full card number or QR code ${pan.slice(0, 6)}…${pan.slice(-4)} is in ${file.split('/').pop()}`);
  }
  // Invariant 5 on the logs: no PAN nor QR code in any line the gateway logged, as its logger writes it.
  for (const [secret, message] of input.loggedSecrets ?? new Map<string, string>()) add(5, null, `a full card number or QR code ${secret.slice(0, 6)}…${secret.slice(-4)} was logged (line "${message}")`);

  return {
    ok: violations.length === 0,
    violations,
    findings: { pendingFlagged, sweepEventsMax, refundsReversed, voidedSalesReopened },
    counts: {
      payments: input.payments.length,
      toldApproved,
      toldDeclined,
      toldWait,
      gaveUp,
      terminalReversals,
      duplicateSends,
      storePayments: storePayments.length,
      attempts: attemptsCount,
      reversalsDone,
      reversalsDead,
      manualHandling,
      issuerCharges,
      issuerChargesReversed,
      voidsSent,
      voidsApproved,
      refundsSent,
      refundsAccepted,
      followUpsManual,
      issuerRefunds,
      goodCardSales,
      goodCardApproved,
      recoveredSales,
      byKind,
      ...qrCounts,
      ...unionPayQrCounts,
    },
  };
}

/** Human-readable lines for a failed audit. */
export function describeViolations(report: AuditReport, max = 20): string {
  return report.violations
    .slice(0, max)
    .map((violation) => `  invariant ${violation.invariant === 0 ? '-' : violation.invariant}${violation.payment === null ? '' : ` payment #${violation.payment}`}: ${violation.message}`)
    .join('\n');
}
