// The simulated issuer's books: account balances, the ledger of holds, charges and refunds, and the
// record of every answered request (for duplicate detection and reversals). It changes only by
// applying events, so the same events replayed from a ledger file rebuild the same books.
// Pure: no I/O, no clock, no randomness.
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { fingerprintPan, maskPan } from '../../core/cards/pan.ts';
import { simulatorAccounts, type TestCard } from './test-cards.ts';

export type MoneyKind = 'charge' | 'hold' | 'refund';

/** A money movement the issuer made for one approved request. */
export interface MoneyMove {
  readonly kind: MoneyKind;
  readonly cardId: string;
  readonly panMasked: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly rrn: string;
  readonly authCode: string;
  /** For a refund that names its sale in DE 90: the sale's request key. */
  readonly refundOfKey: string | null;
  /** For money moved on a UnionPay QR code: the code's fingerprint (unionPayQrCodeFingerprint), which spends it. */
  readonly qrCodeFingerprint?: string;
}

/** The simulator's own key for the fingerprints of spent UnionPay QR codes: the books and ledger file never hold a code in full. */
const spentQrCodeKey = 'reswipe-issuer-sim:unionpay-qr-spent-codes';

/** The form in which the books remember a UnionPay QR code they moved money on. */
export function unionPayQrCodeFingerprint(code: string): string {
  return fingerprintPan(code, spentQrCodeKey);
}

/** A stored response has only text fields (responses carry no binary data), so it survives JSON. */
export interface StoredResponse {
  readonly mti: string;
  readonly fields: Readonly<Record<number, string>>;
}

export type IssuerEvent =
  | {
      readonly type: 'answered';
      /** `${DE 32}|${DE 41}|${DE 11}|${DE 7}` of the request. */
      readonly key: string;
      /** What the request asked for, to tell an exact re-send from a clash of keys. */
      readonly digest: string;
      readonly atMs: number;
      readonly response: StoredResponse;
      readonly money: MoneyMove | null;
    }
  | {
      readonly type: 'reversed';
      readonly key: string;
      readonly digest: string;
      readonly atMs: number;
      readonly response: StoredResponse;
      /** The request key whose money this reversal gave back; null when no money moved. */
      readonly originalKey: string | null;
      /** Set when the original was never seen: if it arrives later it must not be charged. */
      readonly unseenOriginalKey: string | null;
    }
  | { readonly type: 'reset'; readonly atMs: number };

export interface LedgerEntry {
  readonly key: string;
  readonly money: MoneyMove;
  readonly atMs: number;
  reversedAtMs: number | null;
  /** For a charge: how much later refunds that named it gave back. */
  refundedMinor: number;
}

export interface TxnRecord {
  readonly key: string;
  readonly digest: string;
  readonly response: StoredResponse;
  readonly atMs: number;
  readonly entry: LedgerEntry | null;
  readonly isReversal: boolean;
}

interface KindTotals {
  count: number;
  amountMinor: number;
}

export interface CardTotals {
  charges: KindTotals;
  chargesReversed: KindTotals;
  holds: KindTotals;
  holdsReversed: KindTotals;
  refunds: KindTotals;
  refundsReversed: KindTotals;
}

export interface AccountState {
  readonly card: TestCard;
  /** Money the cardholder can still spend: balance for debit/prepaid, unused limit for credit. */
  availableMinor: number;
  readonly totals: CardTotals;
}

export interface IssuerBookOptions {
  /** How many answered requests are remembered for duplicates and reversals; the oldest go first. */
  readonly recordsMax: number;
}

export const defaultRecordsMax = 100_000;

function openingAvailableMinor(card: TestCard): number {
  return card.balanceMinor ?? card.creditLimitMinor ?? 0;
}

function emptyTotals(): CardTotals {
  const zero = (): KindTotals => ({ count: 0, amountMinor: 0 });
  return { charges: zero(), chargesReversed: zero(), holds: zero(), holdsReversed: zero(), refunds: zero(), refundsReversed: zero() };
}

function add(totals: KindTotals, amountMinor: number): void {
  totals.count += 1;
  totals.amountMinor += amountMinor;
}

/** The issuer's state. Read it freely; change it only through `apply`. */
export class IssuerBook {
  readonly recordsMax: number;
  readonly accounts = new Map<string, AccountState>();
  readonly records = new Map<string, TxnRecord>();
  /** Originals whose reversal came first (reordered or lost on the way); bounded like records. */
  readonly reversedUnseen = new Map<string, number>();
  /**
   * UnionPay QR codes that moved money, by fingerprint, with when: a C2B code pays once, so a later
   * sale on it (another request key) is refused, even after the first was reversed. Bounded like records.
   */
  readonly spentQrCodes = new Map<string, number>();
  /** Answered financial requests so far; feeds the RRN sequence. */
  answeredCount = 0;
  recordsEvicted = 0;

  constructor(options: IssuerBookOptions = { recordsMax: defaultRecordsMax }) {
    if (!(Number.isInteger(options.recordsMax) && options.recordsMax > 0)) throw new Error(`recordsMax must be a positive integer, got ${options.recordsMax}`);
    this.recordsMax = options.recordsMax;
    this.openAccounts();
  }

  private openAccounts(): void {
    this.accounts.clear();
    for (const card of simulatorAccounts()) this.accounts.set(card.id, { card, availableMinor: openingAvailableMinor(card), totals: emptyTotals() });
  }

  account(cardId: string): AccountState {
    const account = this.accounts.get(cardId);
    if (account === undefined) throw new Error(`no account ${cardId}: the ledger names a card the table does not have`);
    return account;
  }

  apply(event: IssuerEvent): void {
    switch (event.type) {
      case 'reset':
        this.records.clear();
        this.reversedUnseen.clear();
        this.spentQrCodes.clear();
        this.answeredCount = 0;
        this.recordsEvicted = 0;
        this.openAccounts();
        return;
      case 'answered': {
        this.answeredCount += 1;
        let entry: LedgerEntry | null = null;
        if (event.money !== null) {
          entry = { key: event.key, money: event.money, atMs: event.atMs, reversedAtMs: null, refundedMinor: 0 };
          this.applyMoney(event.money, +1);
          if (event.money.qrCodeFingerprint !== undefined) this.spendQrCode(event.money.qrCodeFingerprint, event.atMs);
          if (event.money.refundOfKey !== null) {
            const sale = this.records.get(event.money.refundOfKey)?.entry;
            if (sale !== undefined && sale !== null) sale.refundedMinor += event.money.amountMinor;
          }
        }
        this.remember({ key: event.key, digest: event.digest, response: event.response, atMs: event.atMs, entry, isReversal: false });
        return;
      }
      case 'reversed': {
        if (event.originalKey !== null) {
          const entry = this.records.get(event.originalKey)?.entry;
          // A replayed file may name a record evicted since; the money was restored when it first applied.
          if (entry !== undefined && entry !== null && entry.reversedAtMs === null) {
            entry.reversedAtMs = event.atMs;
            this.applyMoney(entry.money, -1);
            if (entry.money.refundOfKey !== null) {
              const sale = this.records.get(entry.money.refundOfKey)?.entry;
              if (sale !== undefined && sale !== null) sale.refundedMinor -= entry.money.amountMinor;
            }
          }
        }
        if (event.unseenOriginalKey !== null) {
          this.reversedUnseen.set(event.unseenOriginalKey, event.atMs);
          while (this.reversedUnseen.size > this.recordsMax) {
            const oldest = this.reversedUnseen.keys().next();
            if (oldest.done === true) break;
            this.reversedUnseen.delete(oldest.value);
          }
        }
        this.remember({ key: event.key, digest: event.digest, response: event.response, atMs: event.atMs, entry: null, isReversal: true });
        return;
      }
    }
  }

  /** Moves money for a request (+1) or gives it back on reversal (-1). */
  private applyMoney(money: MoneyMove, direction: 1 | -1): void {
    const account = this.account(money.cardId);
    const totals = account.totals;
    switch (money.kind) {
      case 'charge':
        account.availableMinor -= direction * money.amountMinor;
        add(direction === 1 ? totals.charges : totals.chargesReversed, money.amountMinor);
        return;
      case 'hold':
        account.availableMinor -= direction * money.amountMinor;
        add(direction === 1 ? totals.holds : totals.holdsReversed, money.amountMinor);
        return;
      case 'refund':
        account.availableMinor += direction * money.amountMinor;
        add(direction === 1 ? totals.refunds : totals.refundsReversed, money.amountMinor);
        return;
    }
  }

  private spendQrCode(fingerprint: string, atMs: number): void {
    this.spentQrCodes.set(fingerprint, atMs);
    while (this.spentQrCodes.size > this.recordsMax) {
      const oldest = this.spentQrCodes.keys().next();
      if (oldest.done === true) break;
      this.spentQrCodes.delete(oldest.value);
    }
  }

  private remember(record: TxnRecord): void {
    this.records.delete(record.key);
    this.records.set(record.key, record);
    while (this.records.size > this.recordsMax) {
      const oldest = this.records.keys().next();
      if (oldest.done === true) break;
      this.records.delete(oldest.value);
      this.recordsEvicted += 1;
    }
  }
}

/** A response as stored: text fields only. Binary fields never appear in issuer responses. */
export function toStoredResponse(message: IsoMessage): StoredResponse {
  const fields: Record<number, string> = {};
  for (const [de, value] of Object.entries(message.fields)) {
    if (typeof value !== 'string') throw new Error(`issuer responses carry text fields only; DE ${de} is not text`);
    fields[Number(de)] = value;
  }
  return { mti: message.mti, fields };
}

export function fromStoredResponse(stored: StoredResponse): IsoMessage {
  return { mti: stored.mti, fields: { ...stored.fields } };
}

/** What money a card moved, net: charges and holds minus refunds, each less its reversals. */
export function netChargedMinor(totals: CardTotals): number {
  return (
    totals.charges.amountMinor -
    totals.chargesReversed.amountMinor +
    totals.holds.amountMinor -
    totals.holdsReversed.amountMinor -
    (totals.refunds.amountMinor - totals.refundsReversed.amountMinor)
  );
}

export interface LedgerView {
  readonly cards: ReadonlyArray<{
    cardId: string;
    panMasked: string;
    availableMinor: number;
    netChargedMinor: number;
  } & CardTotals>;
  readonly totals: CardTotals & { netChargedMinor: number };
  readonly entries: ReadonlyArray<{
    key: string;
    kind: MoneyKind;
    cardId: string;
    panMasked: string;
    amountMinor: number;
    currency: string;
    rrn: string;
    authCode: string;
    atMs: number;
    reversed: boolean;
    reversedAtMs: number | null;
    refundedMinor: number;
  }>;
  readonly recordsHeld: number;
  readonly recordsEvicted: number;
}

/** The ledger as the admin API shows it: cards that moved money (masked), totals, the latest entries. */
export function viewLedger(book: IssuerBook, entriesMax: number): LedgerView {
  const grand = emptyTotals();
  const cards: Array<LedgerView['cards'][number]> = [];
  for (const account of book.accounts.values()) {
    const t = account.totals;
    const kinds = Object.keys(grand) as Array<keyof CardTotals>;
    for (const kind of kinds) {
      grand[kind].count += t[kind].count;
      grand[kind].amountMinor += t[kind].amountMinor;
    }
    if (kinds.every((kind) => t[kind].count === 0)) continue;
    cards.push({ cardId: account.card.id, panMasked: maskPan(account.card.pan), availableMinor: account.availableMinor, netChargedMinor: netChargedMinor(t), ...structuredClone(t) });
  }
  const entries: Array<LedgerView['entries'][number]> = [];
  for (const record of book.records.values()) {
    if (record.entry === null) continue;
    const { money } = record.entry;
    entries.push({
      key: record.key,
      kind: money.kind,
      cardId: money.cardId,
      panMasked: money.panMasked,
      amountMinor: money.amountMinor,
      currency: money.currency,
      rrn: money.rrn,
      authCode: money.authCode,
      atMs: record.entry.atMs,
      reversed: record.entry.reversedAtMs !== null,
      reversedAtMs: record.entry.reversedAtMs,
      refundedMinor: record.entry.refundedMinor,
    });
  }
  return {
    cards,
    totals: { ...grand, netChargedMinor: netChargedMinor(grand) },
    entries: entries.slice(Math.max(0, entries.length - entriesMax)),
    recordsHeld: book.records.size,
    recordsEvicted: book.recordsEvicted,
  };
}
