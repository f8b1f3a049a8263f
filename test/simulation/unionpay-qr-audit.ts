// The auditor's checks specific to UnionPay QR (docs/qr-unionpay.md). A UnionPay QR sale is a card sale
// on the host link, so auditor.ts checks its money by amount like any card sale (at most one live
// charge, told approved = charged once, unknown outcomes reversed or flagged, follow-ups). What a code
// adds, checked here code by code against what reached the issuer (SimUpstream.unionPayQrPresentations)
// and the issuer's ledger: a code pays once, so it is charged at most once in all (a reversed charge
// still spent it), and once charged it never reaches the issuer again under another request (the gateway
// must reverse an unknown outcome, never send the code again); every code the issuer saw with a scanned
// entry mode (DE 22 03x) is the code of one UnionPay QR sale, for that sale's amount; a sale's code never
// goes upstream as a card number.
import type { IssuerBook } from '../../src/sim/issuer/issuer-book.ts';
import type { InvariantNumber, SimPayment } from './auditor.ts';
import type { UnionPayQrPresentation } from './sim-network.ts';

type Add = (invariant: InvariantNumber | 0, payment: number | null, message: string) => void;

export interface UnionPayQrCounts {
  unionPayQrSales: number;
  unionPayQrToldApproved: number;
  /** Sale requests with a UnionPay QR code that reached the issuer (resends of one request included). */
  unionPayQrPresented: number;
  /** Charges the issuer made on UnionPay QR codes, and how many of those were reversed since. */
  unionPayQrCharges: number;
  unionPayQrChargesReversed: number;
  /** Reversals of UnionPay QR attempts the gateway got confirmed (done) or gave up on (dead). */
  unionPayQrReversalsDone: number;
  unionPayQrReversalsDead: number;
  /** UnionPay QR sales whose terminal sent its own 0400 after giving up. */
  unionPayQrTerminalReversals: number;
  unionPayQrFollowUps: number;
}

export function emptyUnionPayQrCounts(): UnionPayQrCounts {
  return {
    unionPayQrSales: 0,
    unionPayQrToldApproved: 0,
    unionPayQrPresented: 0,
    unionPayQrCharges: 0,
    unionPayQrChargesReversed: 0,
    unionPayQrReversalsDone: 0,
    unionPayQrReversalsDead: 0,
    unionPayQrTerminalReversals: 0,
    unionPayQrFollowUps: 0,
  };
}

/** A code as a violation names it: never in full, even in a test report. */
function masked(code: string): string {
  return `${code.slice(0, 4)}…${code.slice(-4)}`;
}

/** The code-by-code checks; the per-sale money checks run in auditor.ts with the card sales. */
export function auditUnionPayQrCodes(payments: readonly SimPayment[], presentations: readonly UnionPayQrPresentation[], book: IssuerBook, counts: UnionPayQrCounts, add: Add): void {
  const saleOfCode = new Map<string, SimPayment>();
  for (const payment of payments) {
    if (payment.method !== 'unionpay-qr' || payment.authCode === null) continue;
    if (saleOfCode.has(payment.authCode)) add(0, payment.index, `the harness gave code ${masked(payment.authCode)} to two sales`);
    saleOfCode.set(payment.authCode, payment);
  }
  const byCode = new Map<string, UnionPayQrPresentation[]>();
  for (const presentation of presentations) {
    const sale = saleOfCode.get(presentation.code);
    if (sale === undefined) {
      // A test card whose number has a code's shape, read as a card: not a code.
      if (presentation.qrEntry) add(4, null, `the issuer was shown UnionPay QR code ${masked(presentation.code)} (DE 22 03x), which no customer presented`);
      continue;
    }
    if (!presentation.qrEntry) add(4, sale.index, `the sale's code ${masked(presentation.code)} went upstream as a card number (DE 22 not 03x)`);
    if (presentation.amountMinor !== sale.amountMinor) add(4, sale.index, `the code ${masked(presentation.code)} was presented for ${presentation.amountMinor} fen, the sale is ${sale.amountMinor}`);
    byCode.set(presentation.code, [...(byCode.get(presentation.code) ?? []), presentation]);
  }
  for (const [code, list] of byCode) {
    const who = saleOfCode.get(code)?.index ?? null;
    counts.unionPayQrPresented += list.length;
    const charges = list.filter((presentation) => presentation.charged);
    const reversed = charges.filter((presentation) => (book.records.get(presentation.key)?.entry?.reversedAtMs ?? null) !== null).length;
    counts.unionPayQrCharges += charges.length;
    counts.unionPayQrChargesReversed += reversed;
    // A code pays once: two charges on it, even with one reversed, mean the issuer let it pay twice.
    if (charges.length > 1) add(1, who, `UnionPay QR code ${masked(code)} charged ${charges.length} times (${reversed} reversed): a code pays once`);
    const first = charges[0];
    if (first === undefined) continue;
    // Once charged, the code is spent: any later sale request under another key is a resend of a spent code.
    const again = list.filter((presentation) => presentation.key !== first.key && presentation.atMs >= first.atMs);
    if (again.length > 0) {
      add(1, who, `UnionPay QR code ${masked(code)} was presented again ${again.length} time(s) after the issuer charged it (answered ${again.map((presentation) => presentation.responseCode ?? 'nothing').join(',')}): a spent code must never be sent again`);
    }
  }
}
