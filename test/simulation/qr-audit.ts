// The auditor's checks of QR payments (WeChat Pay, Alipay), against the providers' books instead of the
// issuer's ledger: the money-safety invariants as a QR provider sees them. For every QR sale: at most one
// order (out_trade_no) and one pay reached the provider (an unknown is resolved by query and cancel, never
// by a new pay); told approved means exactly one paid trade; told declined, failed or reversed means
// nothing left paid once cancels settled; refunds and cancels never give back more than was paid; the
// store's status agrees with the book; nothing stays pending without the manual-handling flag. Trades map
// to sales by amount (unique per run), as the issuer's ledger does for cards.
import type { PaymentRecord } from '../../src/core/ports/store.ts';
import type { ClientAnswer, InvariantNumber, SimFollowUp, SimPayment } from './auditor.ts';
import type { QrLedgerTrade, QrPayDelivered } from './sim-qr-providers.ts';

/** What the QR providers hold after the run (SimQrProviders.ledger() and .pays). */
export interface QrProviderBooks {
  trades: readonly QrLedgerTrade[];
  pays: readonly QrPayDelivered[];
}

type Add = (invariant: InvariantNumber | 0, payment: number | null, message: string) => void;

export interface QrLedgerIndex {
  tradesByAmount: Map<number, QrLedgerTrade[]>;
  paysByAmount: Map<number, number>;
  trades: number;
}

/**
 * Indexes the books by amount. The placeholder a cancel of an unknown out_trade_no leaves (nothing paid,
 * an amount of 0 or 1 fen, so a late pay of that order is refused) belongs to no sale; any other trade
 * must be a QR sale's.
 */
export function indexQrBooks(books: QrProviderBooks, qrAmounts: ReadonlySet<number>, add: Add): QrLedgerIndex {
  const tradesByAmount = new Map<number, QrLedgerTrade[]>();
  let trades = 0;
  for (const trade of books.trades) {
    if (trade.paidMinor === 0 && trade.amountMinor <= 1) continue;
    trades += 1;
    if (!qrAmounts.has(trade.amountMinor)) {
      add(4, null, `${trade.provider} holds order ${trade.outTradeNo} of ${trade.amountMinor} fen (${trade.state}) for no QR sale any client made`);
      continue;
    }
    tradesByAmount.set(trade.amountMinor, [...(tradesByAmount.get(trade.amountMinor) ?? []), trade]);
  }
  const paysByAmount = new Map<number, number>();
  for (const pay of books.pays) paysByAmount.set(pay.amountMinor, (paysByAmount.get(pay.amountMinor) ?? 0) + 1);
  return { tradesByAmount, paysByAmount, trades };
}

export interface QrPaymentFacts {
  payment: SimPayment;
  row: PaymentRecord | undefined;
  /** The answers the client heeded (those after a terminal gave up and reversed are void for it). */
  approvedAnswers: readonly ClientAnswer[];
  definiteRefusals: readonly ClientAnswer[];
  /** The client's voids and refunds with their stored rows and whether an operator has them. */
  followUps: ReadonlyArray<{ followUp: SimFollowUp; row: PaymentRecord | undefined; manual: boolean }>;
}

export interface QrCounts {
  qrSales: number;
  qrToldApproved: number;
  qrPaidTrades: number;
  /** Paid trades given back by a cancel (a system error or no answer after the money moved, a crash, a void). */
  qrCancelledAfterPaid: number;
  qrManual: number;
  qrVoidsApproved: number;
  qrRefundsAccepted: number;
  qrPaysDelivered: number;
}

export function emptyQrCounts(): QrCounts {
  return { qrSales: 0, qrToldApproved: 0, qrPaidTrades: 0, qrCancelledAfterPaid: 0, qrManual: 0, qrVoidsApproved: 0, qrRefundsAccepted: 0, qrPaysDelivered: 0 };
}

/** Checks one QR sale against its provider's book; adds to `counts`. */
export function auditQrPayment(index: QrLedgerIndex, facts: QrPaymentFacts, counts: QrCounts, add: Add): void {
  const { payment, row } = facts;
  const who = payment.index;
  const amount = payment.amountMinor;
  const trades = index.tradesByAmount.get(amount) ?? [];
  const paidTrades = trades.filter((trade) => trade.paidMinor > 0);
  const pays = index.paysByAmount.get(amount) ?? 0;
  counts.qrSales += 1;
  counts.qrPaidTrades += paidTrades.length;
  counts.qrPaysDelivered += pays;
  if (facts.approvedAnswers.length > 0) counts.qrToldApproved += 1;

  // Never a second order, never a second pay: an unknown outcome is queried, then cancelled.
  if (trades.length > 1) add(1, who, `${trades.length} orders at the provider for one QR sale (${trades.map((trade) => `${trade.provider} ${trade.outTradeNo} ${trade.state}`).join(', ')})`);
  if (pays > 1) add(1, who, `the pay reached the provider ${pays} times for one QR sale: an unknown must be queried or cancelled, never paid again`);
  for (const trade of trades) {
    if (trade.provider !== payment.method) add(4, who, `a ${payment.method} sale has an order at ${trade.provider}`);
    if (row !== undefined && trade.outTradeNo !== row.id) add(2, who, `order ${trade.outTradeNo} at the provider is not the stored payment ${row.id}`);
    const givenBackMinor = trade.reversedMinor + trade.refundsMinor.reduce((sum, refund) => sum + refund, 0);
    if (givenBackMinor > trade.paidMinor) add(4, who, `order ${trade.outTradeNo} gave back ${givenBackMinor} fen of the ${trade.paidMinor} it took`);
  }
  const paidMinor = trades.reduce((sum, trade) => sum + trade.paidMinor, 0);
  const reversedMinor = trades.reduce((sum, trade) => sum + trade.reversedMinor, 0);
  const refunds = trades.flatMap((trade) => trade.refundsMinor);
  const heldMinor = paidMinor - reversedMinor - refunds.reduce((sum, refund) => sum + refund, 0);
  if (reversedMinor > 0 && !facts.followUps.some(({ followUp }) => followUp.operation === 'void')) counts.qrCancelledAfterPaid += 1;

  const manual = (row?.manualHandlingSinceMs ?? null) !== null || facts.followUps.some((entry) => entry.manual);
  if (manual) counts.qrManual += 1;
  if (paidMinor - reversedMinor > amount) add(4, who, `the provider holds ${paidMinor - reversedMinor} fen for a sale of ${amount}`);
  if (manual) return;

  // What the client was told agrees with the book.
  if (facts.approvedAnswers.length > 0 && paidTrades.length !== 1) add(4, who, `told approved but the provider holds ${paidTrades.length} paid trades`);
  const refusal = facts.definiteRefusals[0];
  if (refusal !== undefined && heldMinor !== 0) add(4, who, `told ${refusal.code} (${refusal.kind}) but the provider holds ${heldMinor} fen`);
  if ((payment.reversalCode === '00' || payment.reversalCode === '25') && heldMinor !== 0) add(4, who, `the terminal's reversal was answered ${payment.reversalCode} but the provider holds ${heldMinor} fen`);

  // The store agrees with the book once every cancel settled.
  if (row === undefined) {
    if (paidMinor > 0) add(4, who, `the provider was paid ${paidMinor} fen with no payment in the store`);
  } else if (row.status === 'pending') {
    add(3, who, `QR payment ${row.id} still pending after the drain without the manual handling flag`);
  } else if (row.status === 'approved') {
    if (paidTrades.length !== 1 || reversedMinor !== 0) add(4, who, `stored approved but the provider holds ${paidTrades.length} paid trades, ${reversedMinor} fen cancelled`);
  } else if (row.status === 'voided') {
    if (reversedMinor !== amount) add(4, who, `stored voided but the provider cancelled ${reversedMinor} fen of ${amount}`);
  } else if (heldMinor !== 0) {
    add(4, who, `stored ${row.status} but the provider holds ${heldMinor} fen`);
  }

  // Voids (a cancel of the paid trade) and refunds, each told and stored as it moved the money.
  for (const { followUp, row: fuRow } of facts.followUps) {
    const told = followUp.told;
    const refused = told !== null && told.code !== '00' && told.verdict !== 'wait';
    const moved = followUp.operation === 'void' ? (reversedMinor === amount ? 1 : 0) : refunds.filter((refund) => refund === followUp.amountMinor).length;
    if (told?.code === '00') {
      if (followUp.operation === 'void') counts.qrVoidsApproved += 1;
      else counts.qrRefundsAccepted += 1;
    }
    if (told?.code === '00' && moved !== 1) add(4, who, `${followUp.operation} of ${followUp.amountMinor} fen told approved but the provider gave it back ${moved} times`);
    if (refused && moved !== 0) add(4, who, `${followUp.operation} told ${told.code} (${told.kind}) but the provider gave it back ${moved} times`);
    if (moved > 1) add(1, who, `refund of ${followUp.amountMinor} fen made ${moved} times at the provider`);
    if (fuRow === undefined) continue;
    if (fuRow.status === 'pending') add(3, who, `${followUp.operation} ${fuRow.id} still pending after the drain without the manual handling flag`);
    else if (fuRow.status === 'approved' && moved !== 1) add(4, who, `${followUp.operation} ${fuRow.id} stored approved but the provider gave it back ${moved} times`);
    else if (fuRow.status !== 'approved' && moved !== 0) add(4, who, `${followUp.operation} ${fuRow.id} stored ${fuRow.status} but the provider gave it back ${moved} times`);
  }
}
