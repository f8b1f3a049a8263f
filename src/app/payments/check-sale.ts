// The load-and-check step of a sale: everything read before the first write (merchant, terminal, the
// day and month totals, the card's recent declines, an unsettled twin, the route) and the pure checks
// run on it (local checks, re-swipe guard, scheme retry budget). Ends with the payment row as the
// intent unit will write it: `pending`, or `declined` with the first decline found.
import { fingerprintPan } from '../../core/cards/pan.ts';
import { panKeyIdOf } from '../../core/config/pan-key.ts';
import type { Diagnosis } from '../../core/declines/index.ts';
import { checkRetryBudget, classifyOutcome, classifyResponseCode, runLocalChecks, unionPayQrCardInfo, type LocalCheckInput } from '../../core/declines/index.ts';
import { historyEntriesMax } from '../../core/declines/check-retry-budget.ts';
import { reswipeWaitDiagnosis } from '../../core/payments/reswipe-guard.ts';
import { buildSalePayment, cardInfoOrUnknown, checkedTerminal, type SalePaymentInput } from '../../core/payments/sale-record.ts';
import { unionPayQrDialectOf } from '../../core/payments/unionpay-qr-request.ts';
import type { SaleRequest } from '../../core/ports/payments.ts';
import type { MerchantRecord, PaymentRecord, Store, TerminalRecord } from '../../core/ports/store.ts';
import type { RouteInput } from '../../core/routing/choose-route.ts';
import { newTimeOrderedId } from '../../core/time/random.ts';
import { localWindows } from '../../core/time/local-windows.ts';
import { channelOrder } from './channel-order.ts';
import { findUnsettledTwin } from './find-unsettled-twin.ts';
import type { SaleServices } from './sale-deps.ts';

/** The longest window a retry budget counts declines in (Visa's 30 days). */
const retryHistoryWindowMs = 30 * 86_400_000;

const zeroTotals = { merchantDayMinor: 0, merchantMonthMinor: 0, terminalDayMinor: 0, terminalMonthMinor: 0 };

export type CheckedSale =
  /** No merchant or terminal row to attach a payment to: a local decline that is answered but not stored. */
  | { kind: 'no_party'; payment: PaymentRecord; decline: Diagnosis }
  | {
      kind: 'checked';
      payment: PaymentRecord;
      merchant: MerchantRecord;
      /** The first decline found, or null: the sale may go upstream. */
      decline: Diagnosis | null;
      /** The earlier payment the re-swipe guard answered WAIT for. */
      reswipeBlockedBy: string | null;
      budgetAllowed: boolean;
      /** The channels to try, best first, and what chose them. */
      route: string[];
      routeInput: RouteInput;
    };

export async function checkSale(deps: SaleServices, request: SaleRequest, nowMs: number): Promise<CheckedSale> {
  const { store, settings } = deps;
  const pan = request.card.number.reveal();
  // Kept by the card number: a terminal sale already worked it out for its request hash.
  const panFingerprint = request.card.number.fingerprint(settings.panKey);
  // The same card under every configured key, current first: history made before a key rotation still counts.
  const cardFingerprints = [panFingerprint, ...(settings.panKeysRetired ?? []).map((retired) => fingerprintPan(pan, retired.key))];
  const merchant = await store.getMerchant(request.merchantId);
  const terminal = request.terminalId === null ? null : await store.getTerminal(request.terminalId);
  const terminalKnown = request.terminalId === null || (terminal !== null && merchant !== null && terminal.merchantId === merchant.id);

  const checkInput: LocalCheckInput = {
    pan,
    entryMode: request.card.entryMode,
    amountMinor: request.amountMinor,
    merchant: merchant === null ? null : { id: merchant.id, accepts: merchant.accepts, limits: merchant.limits, disabled: merchant.disabled },
    terminal: checkedTerminal(request, terminal, terminalKnown),
    // A merchant and terminal without day or month limits (the usual case) read no totals and wait for none.
    totals: merchant === null || !hasTotalLimits(merchant, terminalKnown ? terminal : null) ? zeroTotals : await approvedTotals(store, settings.localOffsetMinutes, merchant, terminalKnown ? terminal : null, nowMs),
    nowMs,
    strict: { luhn: settings.strictLuhn, bin: settings.strictBin },
  };
  // Set only when presented (an absent field is not `undefined` to the checks' types).
  if (request.card.expiry !== undefined) checkInput.expiry = request.card.expiry;
  if (request.card.cvv !== undefined) checkInput.cvv = request.card.cvv;
  const checked = runLocalChecks(checkInput, deps.binTable);
  const isQr = request.card.entryMode === 'qr';
  const card = checked.card ?? (isQr ? unionPayQrCardInfo(pan) : cardInfoOrUnknown(pan, deps.binTable));
  let decline: Diagnosis | null = checked.ok ? null : checked.diagnosis;
  if (decline === null && (merchant === null || !terminalKnown)) {
    // The checks should have caught these; the standard codes still apply if they did not.
    decline = classifyResponseCode(merchant === null ? '03' : '97');
  }
  // Drawn here, before the router may draw: a seeded simulation sees the same ids run after run.
  const paymentId = newTimeOrderedId(deps.random, 'pay', nowMs);
  // Built where it is returned rather than by a closure: tsx (esbuild keepNames) names every closure bound
  // to a const with Object.defineProperty, a slow call on every sale. Its decline is set before it is built.
  const paymentInput: SalePaymentInput = { id: paymentId, request, decline, panFingerprint, panKeyId: settings.panKeyId ?? panKeyIdOf(settings.panKey), card, nowMs };

  if (merchant === null || !terminalKnown) {
    const declined = decline ?? classifyResponseCode('97');
    return { kind: 'no_party', payment: buildSalePayment(paymentInput), decline: declined };
  }

  // The re-swipe guard runs before anything else may send: an unsettled twin means WAIT, not a second charge.
  let reswipeBlockedBy: string | null = null;
  if (decline === null) {
    reswipeBlockedBy = await findUnsettledTwin(deps, cardFingerprints, request, request.capture ? 'sale' : 'preauth', nowMs);
    if (reswipeBlockedBy !== null) decline = reswipeWaitDiagnosis(reswipeBlockedBy);
  }

  let budgetAllowed = true;
  if (decline === null) {
    // The budgets count upstream declines only: read the card's newest declines, not all its attempts.
    const history = await listCardDeclines(store, cardFingerprints, nowMs - retryHistoryWindowMs);
    const budget = checkRetryBudget({
      brand: card.brand,
      history: history.map((entry) => ({
        atMs: entry.sentAtMs ?? entry.createdAtMs,
        responseCode: entry.responseCode,
        outcome: entry.outcome === 'pending' ? 'unknown' : entry.outcome,
        brand: card.brand,
        merchantId: entry.merchantId,
        amountMinor: entry.amountMinor,
      })),
      nowMs,
      ...(settings.retryRuleEdition === undefined ? {} : { edition: settings.retryRuleEdition }),
      merchantId: request.merchantId,
      amountMinor: request.amountMinor,
    });
    if (!budget.allowed) decline = budget.diagnosis;
    budgetAllowed = budget.allowed;
  }
  const routeInput: RouteInput = { brand: card.brand, cardType: card.type, bin: pan.slice(0, 8), amountMinor: request.amountMinor, merchantId: merchant.id, mcc: merchant.mcc };
  // A UnionPay QR sale goes only to channels whose dialect has a QR layout (docs/qr-unionpay.md).
  const ordered = channelOrder(deps, routeInput);
  const route = isQr ? ordered.filter((name) => unionPayQrDialectOf(deps.settings.channels.find((channel) => channel.name === name)?.dialect) !== null) : ordered;
  if (decline === null && route.length === 0) decline = classifyOutcome('not_sent');
  paymentInput.decline = decline;
  return { kind: 'checked', payment: buildSalePayment(paymentInput), merchant, decline, reswipeBlockedBy, budgetAllowed, route, routeInput };
}

/** Whether any day or month limit applies, so that approved totals must be read. */
function hasTotalLimits(merchant: MerchantRecord, terminal: TerminalRecord | null): boolean {
  const { perDayMinor, perMonthMinor } = merchant.limits;
  if (perDayMinor !== undefined || perMonthMinor !== undefined) return true;
  return terminal !== null && (terminal.limits.perDayMinor !== undefined || terminal.limits.perMonthMinor !== undefined);
}

/** Approved totals for the day/month limits; only the limits that exist are summed (each sum scans a day or a month of sales). */
async function approvedTotals(store: Store, localOffsetMinutes: number, merchant: MerchantRecord, terminal: TerminalRecord | null, nowMs: number) {
  const { dayStartMs, monthStartMs } = localWindows(nowMs, localOffsetMinutes);
  const endMs = nowMs + 1;
  const merchantId = merchant.id;
  const [merchantDayMinor, merchantMonthMinor, terminalDayMinor, terminalMonthMinor] = await Promise.all([
    approvedSumIfLimited(store, merchant.limits.perDayMinor, { merchantId }, dayStartMs, endMs),
    approvedSumIfLimited(store, merchant.limits.perMonthMinor, { merchantId }, monthStartMs, endMs),
    terminal === null ? Promise.resolve(0) : approvedSumIfLimited(store, terminal.limits.perDayMinor, { merchantId, terminalId: terminal.id }, dayStartMs, endMs),
    terminal === null ? Promise.resolve(0) : approvedSumIfLimited(store, terminal.limits.perMonthMinor, { merchantId, terminalId: terminal.id }, monthStartMs, endMs),
  ]);
  return { merchantDayMinor, merchantMonthMinor, terminalDayMinor, terminalMonthMinor };
}

/** The approved sum for a limit, or 0 without reading when there is no such limit (a module function: see paymentInput). */
function approvedSumIfLimited(store: Store, limit: number | undefined, scope: { merchantId: string; terminalId?: string }, fromMs: number, endMs: number): Promise<number> {
  return limit === undefined ? Promise.resolve(0) : store.sumApprovedMinor(scope, fromMs, endMs);
}

/** The card's newest upstream declines under every configured key, newest first, as one list (one key: one read, as before rotation). */
function listCardDeclines(store: Store, cardFingerprints: readonly string[], sinceMs: number): Promise<Awaited<ReturnType<Store['listCardDeclines']>>> {
  // One key (no rotation yet): the store's own read, not one more async frame around it.
  if (cardFingerprints.length === 1) return store.listCardDeclines(cardFingerprints[0] ?? '', sinceMs, historyEntriesMax);
  return listCardDeclinesUnderKeys(store, cardFingerprints, sinceMs);
}

async function listCardDeclinesUnderKeys(store: Store, cardFingerprints: readonly string[], sinceMs: number): Promise<Awaited<ReturnType<Store['listCardDeclines']>>> {
  const lists = [];
  for (const panFingerprint of cardFingerprints) lists.push(await store.listCardDeclines(panFingerprint, sinceMs, historyEntriesMax));
  if (lists.length === 1) return lists[0] ?? [];
  return lists
    .flat()
    .sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, historyEntriesMax);
}
