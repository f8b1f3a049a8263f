// The sandbox's single source of truth: every magic test card and every magic amount the issuer
// simulator knows, with what each one triggers. The simulator's rules, `reswipe issuer-sim --list`,
// the docs table (docs/issuer-simulator.md, checked by a test) and the end-to-end tests all read this
// file, so a value means the same thing over ISO 8583 and over the gateway's HTTP API.
//
// Every card has expiry 3012 (Dec 2030) and CVV 123 (Amex: CID 1234) on file unless its row says
// otherwise; the "expected" column is the DE 39 a ¥100.00 (10000 fen) sale gets when the request
// carries that expiry and CVV (or none).
import type { CardBrand, CauseCategory, RetryVerdict } from '../../core/vocabulary.ts';

export const accountStatuses = ['active', 'expired', 'lost', 'stolen', 'frozen', 'not_activated'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

/** Issuer-side quirks a card has on top of its status and funds. */
export const cardBehaviours = ['normal', 'cvv_fails', 'pin_wrong', 'fraud_suspected', 'do_not_retry'] as const;
export type CardBehaviour = (typeof cardBehaviours)[number];

export type TestCardType = 'debit' | 'credit' | 'quasi-credit' | 'prepaid';

export interface TestCard {
  /** Stable name used in the ledger and its file; never the PAN. */
  readonly id: string;
  readonly pan: string;
  readonly brand: CardBrand;
  readonly cardType: TestCardType;
  readonly issuerName: string;
  readonly status: AccountStatus;
  /** Expiry on file, YYMM. */
  readonly expiry: string;
  readonly cvv: string;
  /** Starting balance of a debit or prepaid account. */
  readonly balanceMinor?: number;
  /** Credit limit of a credit or quasi-credit account (nothing used at start). */
  readonly creditLimitMinor?: number;
  /** Largest single sale or pre-authorization the issuer approves; above it answers 61. */
  readonly perSaleLimitMinor?: number;
  readonly behaviour: CardBehaviour;
  /** Mastercard merchant advice code sent in DE 48 `MAC=` with this card's declines. */
  readonly macCode?: string;
  /** DE 39 for a ¥100.00 sale with the expiry and CVV on file. */
  readonly expectedCode: string;
  readonly category: CauseCategory;
  readonly verdict: RetryVerdict;
  /** What the card is for, one line. */
  readonly triggers: string;
}

export const defaultTestExpiry = '3012';
export const defaultTestCvv = '123';
export const defaultTestCid = '1234';

const richBalanceMinor = 10_000_000; // ¥100,000.00: room for every magic amount and long load runs
const creditLimitMinor = 5_000_000; // ¥50,000.00

export const testCards: readonly TestCard[] = [
  { id: 'icbc-debit-ok', pan: '6222020000000000018', brand: 'unionpay', cardType: 'debit', issuerName: 'ICBC', status: 'active', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, UnionPay debit (balance ¥100,000.00)' },
  { id: 'icbc-debit-lost', pan: '6222020000000000026', brand: 'unionpay', cardType: 'debit', issuerName: 'ICBC', status: 'lost', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '41', category: 'card_status', verdict: 'never', triggers: 'lost card' },
  { id: 'icbc-debit-stolen', pan: '6222020000000000042', brand: 'unionpay', cardType: 'debit', issuerName: 'ICBC', status: 'stolen', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '43', category: 'card_status', verdict: 'never', triggers: 'stolen card' },
  { id: 'icbc-debit-wrong-pin', pan: '6222020000000000059', brand: 'unionpay', cardType: 'debit', issuerName: 'ICBC', status: 'active', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'pin_wrong', expectedCode: '55', category: 'pin', verdict: 'now', triggers: 'wrong PIN, whatever PIN block (or none) is sent' },
  { id: 'ccb-debit-low-balance', pan: '6217000000000000012', brand: 'unionpay', cardType: 'debit', issuerName: 'CCB', status: 'active', expiry: '3012', cvv: '123', balanceMinor: 5_000, behaviour: 'normal', expectedCode: '51', category: 'insufficient_funds', verdict: 'fix', triggers: 'insufficient funds above ¥50.00 (balance 5000 fen; smaller sales approve)' },
  { id: 'ccb-debit-expired', pan: '6217000000000000020', brand: 'unionpay', cardType: 'debit', issuerName: 'CCB', status: 'expired', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '54', category: 'card_status', verdict: 'never', triggers: 'expired at the issuer (the printed expiry 3012 still passes local checks)' },
  { id: 'ccb-debit-limit', pan: '6217000000000000038', brand: 'unionpay', cardType: 'debit', issuerName: 'CCB', status: 'active', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, perSaleLimitMinor: 5_000, behaviour: 'normal', expectedCode: '61', category: 'limits', verdict: 'fix', triggers: 'exceeds the per-sale limit above ¥50.00 (smaller sales approve)' },
  { id: 'ccb-debit-frozen', pan: '6217000000000000046', brand: 'unionpay', cardType: 'debit', issuerName: 'CCB', status: 'frozen', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '62', category: 'card_status', verdict: 'never', triggers: 'frozen account (restricted card)' },
  { id: 'cmb-credit-ok', pan: '6225880000000019', brand: 'unionpay', cardType: 'credit', issuerName: 'CMB', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, UnionPay credit (limit ¥50,000.00)' },
  { id: 'cmb-credit-cvv-fails', pan: '6225880000000027', brand: 'unionpay', cardType: 'credit', issuerName: 'CMB', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'cvv_fails', expectedCode: '05', category: 'card_status', verdict: 'fix', triggers: 'cardholder authentication / CVN fails (CUPS 05), with or without CVV2' },
  { id: 'cmb-credit-fraud', pan: '6225880000000035', brand: 'unionpay', cardType: 'credit', issuerName: 'CMB', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'fraud_suspected', expectedCode: '59', category: 'fraud_risk', verdict: 'fix', triggers: 'suspected fraud' },
  { id: 'boc-quasi-credit-ok', pan: '6258070000000017', brand: 'unionpay', cardType: 'quasi-credit', issuerName: 'BOC', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, UnionPay quasi-credit' },
  { id: 'pingan-prepaid-not-activated', pan: '6230580000000018', brand: 'unionpay', cardType: 'prepaid', issuerName: 'Ping An', status: 'not_activated', expiry: '3012', cvv: '123', balanceMinor: 50_000, behaviour: 'normal', expectedCode: '21', category: 'card_status', verdict: 'fix', triggers: 'card not activated (CUPS 21)' },
  { id: 'pingan-prepaid-ok', pan: '6230580000000026', brand: 'unionpay', cardType: 'prepaid', issuerName: 'Ping An', status: 'active', expiry: '3012', cvv: '123', balanceMinor: 2_000_000, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, UnionPay prepaid (balance ¥20,000.00)' },
  { id: 'psbc-81-no-luhn', pan: '8112340000000013', brand: 'unionpay', cardType: 'debit', issuerName: 'PSBC', status: 'active', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, UnionPay 81-range PAN WITHOUT a valid Luhn digit (the gateway must warn, not reject)' },
  { id: 'visa-credit-ok', pan: '4111111111111111', brand: 'visa', cardType: 'credit', issuerName: 'Visa test issuer', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, Visa credit' },
  { id: 'visa-credit-cvv-fails', pan: '4111111111111103', brand: 'visa', cardType: 'credit', issuerName: 'Visa test issuer', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'cvv_fails', expectedCode: 'N7', category: 'card_data', verdict: 'fix', triggers: 'CVV2 mismatch (Visa N7, DE 48 VCAT=3), with or without CVV2' },
  { id: 'visa-debit-ok', pan: '4319400000000018', brand: 'visa', cardType: 'debit', issuerName: 'Visa test issuer', status: 'active', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, Visa debit' },
  { id: 'visa-debit-low-balance', pan: '4319400000000026', brand: 'visa', cardType: 'debit', issuerName: 'Visa test issuer', status: 'active', expiry: '3012', cvv: '123', balanceMinor: 1_000, behaviour: 'normal', expectedCode: '51', category: 'insufficient_funds', verdict: 'fix', triggers: 'insufficient funds above ¥10.00 (Visa, DE 48 VCAT=2)' },
  { id: 'mastercard-credit-ok', pan: '5555555555554444', brand: 'mastercard', cardType: 'credit', issuerName: 'Mastercard test issuer', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, Mastercard credit' },
  { id: 'mastercard-credit-mac03', pan: '5555550000000010', brand: 'mastercard', cardType: 'credit', issuerName: 'Mastercard test issuer', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'do_not_retry', macCode: '03', expectedCode: '05', category: 'card_status', verdict: 'never', triggers: 'do not honour with DE 48 MAC=03: "do not try again" (closed account), never retry' },
  { id: 'mastercard-debit-ok', pan: '5200828282828210', brand: 'mastercard', cardType: 'debit', issuerName: 'Mastercard test issuer', status: 'active', expiry: '3012', cvv: '123', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, Mastercard debit' },
  { id: 'jcb-credit-ok', pan: '3530111333300000', brand: 'jcb', cardType: 'credit', issuerName: 'JCB test issuer', status: 'active', expiry: '3012', cvv: '123', creditLimitMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, JCB credit' },
  { id: 'amex-credit-ok', pan: '378282246310005', brand: 'amex', cardType: 'credit', issuerName: 'Amex test issuer', status: 'active', expiry: '3012', cvv: '1234', creditLimitMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved, Amex credit (4-digit CID 1234)' },
];

/**
 * UnionPay QR (C2B 付款码) accounts: a sale whose DE 2 is a 19-digit code starting 62 and whose DE 22
 * is 03x (src/core/payments/unionpay-qr-request.ts) is charged to one of these, chosen by the code's
 * last two digits (unionPayQrMagicSuffixes); any other such code pays from the healthy account. They
 * are not cards: they are not in `testCards` (the card table) but the books hold them the same way.
 */
export const unionPayQrAccounts: readonly TestCard[] = [
  { id: 'unionpay-qr-ok', pan: '6200000000000000000', brand: 'unionpay', cardType: 'debit', issuerName: 'UnionPay QR wallet', status: 'active', expiry: '3012', cvv: '', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '00', category: 'approved', verdict: 'none', triggers: 'approved (any code not listed below)' },
  { id: 'unionpay-qr-low-balance', pan: '6200000000000000051', brand: 'unionpay', cardType: 'debit', issuerName: 'UnionPay QR wallet', status: 'active', expiry: '3012', cvv: '', balanceMinor: 0, behaviour: 'normal', expectedCode: '51', category: 'insufficient_funds', verdict: 'fix', triggers: 'insufficient funds (balance 0)' },
  { id: 'unionpay-qr-expired', pan: '6200000000000000054', brand: 'unionpay', cardType: 'debit', issuerName: 'UnionPay QR wallet', status: 'expired', expiry: '3012', cvv: '', balanceMinor: richBalanceMinor, behaviour: 'normal', expectedCode: '54', category: 'card_status', verdict: 'never', triggers: 'expired code: the customer must refresh it (DE 39 54)' },
];

/** Last two digits of a UnionPay QR code that choose an outcome; the two fault ones pay from the healthy account when they are processed. */
export const unionPayQrMagicSuffixes = { insufficientFunds: '51', expiredCode: '54', noReply: '91', replyLost: '92' } as const;

/** The account a UnionPay QR code pays from (by its last two digits). */
export function findUnionPayQrAccount(code: string): TestCard {
  const suffix = code.slice(-2);
  const byId = (id: string): TestCard => unionPayQrAccounts.find((account) => account.id === id) as TestCard;
  if (suffix === unionPayQrMagicSuffixes.insufficientFunds) return byId('unionpay-qr-low-balance');
  if (suffix === unionPayQrMagicSuffixes.expiredCode) return byId('unionpay-qr-expired');
  return byId('unionpay-qr-ok');
}

/** The fault a UnionPay QR code forces: `91` no reply (nothing charged), `92` reply lost (charged). */
export function unionPayQrFault(code: string): IssuerFault | undefined {
  const suffix = code.slice(-2);
  if (suffix === unionPayQrMagicSuffixes.noReply) return 'no_reply';
  if (suffix === unionPayQrMagicSuffixes.replyLost) return 'reply_lost';
  return undefined;
}

/** Every account the books hold: the test cards and the UnionPay QR accounts. */
export function simulatorAccounts(): readonly TestCard[] {
  return [...testCards, ...unionPayQrAccounts];
}

/** Faults a magic amount or a random fault rate can force on a financial request. */
export const issuerFaults = [
  'no_reply',
  'reply_lost',
  'late_reply',
  'drop_on_receipt',
  'drop_after_processing',
  'malformed_reply',
  'duplicate_reply',
  'bad_answer_mac',
] as const;
export type IssuerFault = (typeof issuerFaults)[number];

export type MagicAmountEffect = { readonly kind: 'code'; readonly code: string } | { readonly kind: 'fault'; readonly fault: IssuerFault };

export interface MagicAmount {
  readonly amountMinor: number;
  readonly effect: MagicAmountEffect;
  /** Cause category of the answer the gateway should report; `network` for faults. */
  readonly category: CauseCategory;
  /** Whether the issuer moves money (when the card would approve) before the fault hits. */
  readonly isProcessed: boolean;
  readonly triggers: string;
}

/** ¥999.NN answers DE 39 = NN on any healthy card; these are the rows the docs name. */
export const magicCodeAmountBaseMinor = 99_900;
/** ¥888.0N forces fault N. */
export const magicFaultAmountBaseMinor = 88_800;

function forced(code: string, category: CauseCategory, triggers: string): MagicAmount {
  return { amountMinor: magicCodeAmountBaseMinor + Number(code), effect: { kind: 'code', code }, category, isProcessed: false, triggers };
}

function fault(n: number, which: IssuerFault, isProcessed: boolean, triggers: string): MagicAmount {
  return { amountMinor: magicFaultAmountBaseMinor + n, effect: { kind: 'fault', fault: which }, category: 'network', isProcessed, triggers };
}

export const magicAmounts: readonly MagicAmount[] = [
  forced('01', 'referral', 'refer to card issuer'),
  forced('03', 'merchant_permission', 'invalid merchant'),
  forced('05', 'card_status', 'do not honour'),
  forced('12', 'merchant_permission', 'invalid transaction'),
  forced('13', 'limits', 'invalid amount'),
  forced('14', 'card_data', 'invalid card number'),
  forced('30', 'format_system', 'format error'),
  forced('34', 'fraud_risk', 'suspected fraud, pick up'),
  forced('51', 'insufficient_funds', 'insufficient funds'),
  forced('55', 'pin', 'incorrect PIN'),
  forced('57', 'card_status', 'transaction not permitted to cardholder'),
  forced('58', 'merchant_permission', 'transaction not permitted to terminal'),
  forced('59', 'fraud_risk', 'suspected fraud'),
  forced('61', 'limits', 'exceeds amount limit'),
  forced('62', 'card_status', 'restricted card'),
  forced('65', 'limits', 'exceeds frequency limit'),
  forced('68', 'network', 'response received too late'),
  forced('75', 'pin', 'PIN tries exceeded'),
  forced('77', 'terminal_setup', 'batch number mismatch: sign on again'),
  forced('91', 'issuer_unavailable', 'issuer or switch inoperative'),
  forced('94', 'duplicate', 'duplicate transmission'),
  forced('96', 'format_system', 'system malfunction'),
  forced('98', 'issuer_unavailable', 'switch got no answer from the issuer'),
  fault(1, 'no_reply', false, 'no reply: the request is swallowed, nothing is charged'),
  fault(2, 'reply_lost', true, 'no reply, but charged: the issuer approves and the reply is lost (a reversal must credit it back)'),
  fault(3, 'late_reply', true, 'late reply: charged and answered after --late-reply-ms (default 15000 ms)'),
  fault(4, 'drop_on_receipt', false, 'dropped connection: the socket closes on receipt, nothing is charged'),
  fault(5, 'drop_after_processing', true, 'dropped connection after charging: the socket closes instead of the reply'),
  fault(6, 'malformed_reply', true, 'malformed reply: charged, then bytes the codec rejects'),
  fault(7, 'duplicate_reply', true, 'duplicate reply: charged once, the approval is sent twice'),
  fault(8, 'bad_answer_mac', true, 'bad answer MAC: charged, then the approval goes out with a wrong MAC (DE 64/128), as a forged or garbled answer would'),
];

export function findTestCard(pan: string): TestCard | undefined {
  return testCardsByPan.get(pan);
}

export function findMagicAmount(amountMinor: number): MagicAmount | undefined {
  return magicAmountsByValue.get(amountMinor);
}

/** The forced DE 39 for an amount in ¥999.01..¥999.99, whether or not the table names it. */
export function forcedCodeForAmount(amountMinor: number): string | undefined {
  const offset = amountMinor - magicCodeAmountBaseMinor;
  if (!Number.isInteger(offset) || offset < 1 || offset > 99) return undefined;
  return String(offset).padStart(2, '0');
}

const testCardsByPan: ReadonlyMap<string, TestCard> = new Map(testCards.map((card) => [card.pan, card]));
const magicAmountsByValue: ReadonlyMap<number, MagicAmount> = new Map(magicAmounts.map((row) => [row.amountMinor, row]));
