// The simulated issuer's rules (docs/contracts/host-link.md, docs/domain/pos-transactions.md): what it answers to a sale,
// refund, pre-authorization, reversal or network message, and which money moves. It reads the books
// and returns the response plus the events to apply; it never changes the books itself, so the
// caller can persist the events first. Pure: time and randomness come in through the context.
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { getText, responseMtiFor } from '../../core/iso8583/index.ts';
import { maskPan } from '../../core/cards/pan.ts';
import type { Random } from '../../core/time/random.ts';
import { nextIntInclusive } from '../../core/time/random.ts';
import { assertNever } from '../../core/vocabulary.ts';
import type { IssuerBook, IssuerEvent, MoneyKind, MoneyMove, StoredResponse } from './issuer-book.ts';
import { fromStoredResponse, toStoredResponse, unionPayQrCodeFingerprint } from './issuer-book.ts';
import { findTestCard, findUnionPayQrAccount, forcedCodeForAmount, simulatorAccounts, type TestCard } from './test-cards.ts';
import { isUnionPayQrSale } from '../../core/payments/unionpay-qr-request.ts';

export interface IssuerContext {
  readonly nowMs: number;
  /** Draws authorization codes. */
  readonly random: Random;
}

/** How the issuer handled one request; the server counts these and the tests assert on them. */
export type IssuerOutcome =
  | 'approved'
  | 'declined'
  | 'duplicate'
  | 'duplicate_mismatch'
  | 'reversed'
  | 'reversal_noop'
  | 'reversal_unknown'
  | 'network'
  | 'format_error'
  | 'unsupported'
  | 'ignored';

export interface IssuerDecision {
  /** The reply, or null when the message is not a request the issuer answers (for example a response MTI). */
  readonly response: IsoMessage | null;
  readonly events: readonly IssuerEvent[];
  readonly outcome: IssuerOutcome;
}

export type TransactionKind = 'sale' | 'refund' | 'preauth' | 'completion' | 'preauth_cancel' | 'balance';

/**
 * The processing codes the issuer accepts, by request MTI (docs/domain/pos-transactions.md). A void (0200 200000) and a
 * completion void (the same with DE 25 06) give the named charge back as a refund does; a completion
 * (0200 000000, DE 25 06) turns the named hold into a charge; a cancel (0100 200000) releases the hold.
 */
function transactionKindOf(mti: string, processingCode: string | undefined, conditionCode?: string): TransactionKind | undefined {
  if ((mti === '0200' || mti === '0201') && processingCode === '000000' && conditionCode === '06') return 'completion';
  if ((mti === '0200' || mti === '0201') && processingCode === '000000') return 'sale';
  if ((mti === '0200' || mti === '0201') && processingCode === '310000') return 'balance';
  if ((mti === '0100' || mti === '0101') && processingCode === '200000') return 'preauth_cancel';
  if ((mti === '0200' || mti === '0201' || mti === '0220' || mti === '0221') && processingCode === '200000') return 'refund';
  if ((mti === '0100' || mti === '0101') && processingCode === '030000') return 'preauth';
  return undefined;
}

const financialMandatory = [3, 4, 7, 11, 12, 13, 22, 25, 32, 41, 42, 49] as const;
const reversalMandatory = [3, 4, 7, 11, 32, 41, 42, 49, 90] as const;
const networkMandatory = [7, 11, 70] as const;
const financialEcho = [3, 4, 7, 11, 32, 41, 42, 49] as const;
const reversalEcho = [7, 11, 32, 41, 90] as const;
const networkEcho = [7, 11, 70] as const;

/** Routes a request to its rule by MTI. */
export function decideIssuerResponse(book: IssuerBook, request: IsoMessage, context: IssuerContext): IssuerDecision {
  const responseMti = responseMtiFor(request.mti);
  if (responseMti === undefined) return { response: null, events: [], outcome: 'ignored' };
  switch (request.mti) {
    case '0100':
    case '0101':
    case '0200':
    case '0201':
    case '0220':
    case '0221':
      return decideAuthorization(book, request, context);
    case '0400':
    case '0401':
      return decideReversal(book, request, context);
    case '0800':
      return decideNetworkManagement(request);
    default:
      return { response: reply(request, responseMti, financialEcho, '12', {}), events: [], outcome: 'unsupported' };
  }
}

/** Duplicate and reversal identity of a request: DE 32, DE 41, DE 11, DE 7. */
export function requestKey(acquirerId: string, terminalId: string, stan: string, transmittedAt: string): string {
  return `${normalizeAcquirer(acquirerId)}|${terminalId.trimEnd()}|${stan}|${transmittedAt}`;
}

function normalizeAcquirer(acquirerId: string): string {
  const trimmed = acquirerId.replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

function keyOf(request: IsoMessage): string {
  return requestKey(getText(request, 32) ?? '', getText(request, 41) ?? '', getText(request, 11) ?? '', getText(request, 7) ?? '');
}

/** The MTI without its origin digit: a 0201 repeat or 0221 advice repeat shares its original's. */
function mtiFamily(mti: string): string {
  return mti.slice(0, 3);
}

function missingField(request: IsoMessage, mandatory: readonly number[]): number | undefined {
  return mandatory.find((de) => request.fields[de] === undefined);
}

interface CardInput {
  readonly pan: string;
  /** YYMM presented in DE 14 or track 2. */
  readonly expiry: string | undefined;
  /** The account of the original a follow-up names (a card, or a UnionPay QR wallet whose code is gone). */
  readonly account?: TestCard;
}

function cardInputOf(request: IsoMessage): CardInput | undefined {
  const pan = getText(request, 2);
  const track2 = getText(request, 35);
  const track = track2 === undefined ? undefined : /^(\d{12,19})[=D](\d{4})?/.exec(track2);
  if (pan !== undefined) return { pan, expiry: getText(request, 14) ?? track?.[2] };
  if (track !== undefined && track !== null && track[1] !== undefined) return { pan: track[1], expiry: getText(request, 14) ?? track[2] };
  return undefined;
}

/** DE 48 `TAG=VALUE;TAG=VALUE`, unknown tags ignored. */
export function parseTags(text: string | undefined): ReadonlyMap<string, string> {
  const tags = new Map<string, string>();
  if (text === undefined) return tags;
  for (const pair of text.split(';').slice(0, 32)) {
    const at = pair.indexOf('=');
    if (at > 0) tags.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return tags;
}

function formatTags(tags: Readonly<Record<string, string>>): string | undefined {
  const pairs = Object.entries(tags).map(([tag, value]) => `${tag}=${value}`);
  return pairs.length === 0 ? undefined : pairs.join(';');
}

/** YYMM of an instant, UTC. */
export function yymmAt(nowMs: number): string {
  const date = new Date(nowMs);
  return `${String(date.getUTCFullYear() % 100).padStart(2, '0')}${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** A 12-character RRN: last digit of the year, day of year, hour (UTC), then a 6-digit sequence. */
export function makeRrn(nowMs: number, sequence: number): string {
  const date = new Date(nowMs);
  const startOfYearMs = Date.UTC(date.getUTCFullYear(), 0, 1);
  const dayOfYear = Math.floor((nowMs - startOfYearMs) / 86_400_000) + 1;
  return `${date.getUTCFullYear() % 10}${String(dayOfYear).padStart(3, '0')}${String(date.getUTCHours()).padStart(2, '0')}${String(sequence % 1_000_000).padStart(6, '0')}`;
}

const visaCategoryByCode: ReadonlyMap<string, string> = new Map([
  ...['03', '04', '07', '12', '15', '41', '43', '46', '57', '62', '78', '93', 'R0', 'R1', 'R3'].map((code) => [code, '1'] as const),
  ...['19', '51', '59', '61', '65', '75', '86', '91', '96', 'N3', 'N4'].map((code) => [code, '2'] as const),
  ...['14', '54', '55', 'N7', '82', '1A'].map((code) => [code, '3'] as const),
]);

/** Visa decline category (docs/domain/scheme-retry-rules.md) for DE 48 `VCAT`. */
export function visaDeclineCategory(code: string): string {
  return visaCategoryByCode.get(code) ?? '4';
}

const cashierText: Readonly<Record<string, string>> = {
  '00': '交易成功 APPROVED',
  '05': '持卡人认证失败 DO NOT HONOUR',
  '14': '无效卡号 INVALID CARD',
  '21': '卡未激活 CARD NOT ACTIVE',
  '25': '原交易不存在 ORIGINAL NOT FOUND',
  '30': '格式错误 FORMAT ERROR',
  '41': '挂失卡 LOST CARD',
  '43': '被窃卡 STOLEN CARD',
  '51': '余额不足 INSUFFICIENT FUNDS',
  '54': '过期卡 EXPIRED CARD',
  '55': '密码错误 INCORRECT PIN',
  '59': '有作弊嫌疑 SUSPECTED FRAUD',
  '61': '超出金额限制 OVER LIMIT',
  '62': '受限制的卡 RESTRICTED CARD',
  '64': '原交易金额不符 AMOUNT MISMATCH',
  '91': '发卡方不可用 ISSUER UNAVAILABLE',
  '94': '重复交易 DUPLICATE',
  '96': '系统故障 SYSTEM MALFUNCTION',
  N7: 'CVV2错误 CVV2 MISMATCH',
};

function textFor(code: string): string {
  return cashierText[code] ?? `交易失败 DECLINED ${code}`;
}

function reply(
  request: IsoMessage,
  responseMti: string,
  echo: readonly number[],
  code: string,
  added: Readonly<Record<number, string | undefined>>,
): IsoMessage {
  const fields: Record<number, string> = {};
  for (const de of echo) {
    const value = request.fields[de];
    if (typeof value === 'string') fields[de] = value;
  }
  for (const [de, value] of Object.entries(added)) if (value !== undefined) fields[Number(de)] = value;
  fields[39] = code;
  return { mti: responseMti, fields };
}

function replay(stored: StoredResponse): IsoMessage {
  return fromStoredResponse(stored);
}

type CardVerdict = { readonly code: string; readonly tags: Record<string, string> } | { readonly code: '00' };

/** Status, expiry, CVV, PIN and the card's own quirks, in the order an issuer checks them. */
function checkCard(card: TestCard, input: CardInput, request: IsoMessage, nowMs: number): CardVerdict {
  const tags: Record<string, string> = {};
  const declined = (code: string): CardVerdict => {
    if (card.brand === 'visa') tags.VCAT = visaDeclineCategory(code);
    if (card.macCode !== undefined) tags.MAC = card.macCode;
    return { code, tags };
  };
  switch (card.status) {
    case 'active':
      break;
    case 'expired':
      return declined('54');
    case 'lost':
      return declined('41');
    case 'stolen':
      return declined('43');
    case 'frozen':
      return declined('62');
    case 'not_activated':
      return declined('21');
    default:
      return assertNever(card.status, 'account status');
  }
  if (card.expiry < yymmAt(nowMs)) return declined('54');
  if (input.expiry !== undefined && input.expiry !== card.expiry) return declined('54');
  const cvv = parseTags(getText(request, 48)).get('CVV2');
  const cvvCode = card.brand === 'visa' ? 'N7' : '05';
  if (cvv !== undefined && cvv !== card.cvv) return declined(cvvCode);
  switch (card.behaviour) {
    case 'normal':
      return { code: '00' };
    case 'cvv_fails':
      return declined(cvvCode);
    case 'pin_wrong':
      return declined('55');
    case 'fraud_suspected':
      return declined('59');
    case 'do_not_retry':
      return declined('05');
    default:
      return assertNever(card.behaviour, 'card behaviour');
  }
}

/** Sale (0200, DE 3 000000), refund (0200/0220, DE 3 200000) and pre-authorization (0100, DE 3 030000). */
export function decideAuthorization(book: IssuerBook, request: IsoMessage, context: IssuerContext): IssuerDecision {
  const responseMti = responseMtiFor(request.mti) ?? '0210';
  const missing = missingField(request, financialMandatory);
  const card = cardInputOf(request) ?? cardOfOriginal(book, request);
  if (missing !== undefined || card === undefined) return { response: reply(request, responseMti, financialEcho, '30', { 63: textFor('30') }), events: [], outcome: 'format_error' };
  const key = keyOf(request);
  const amountText = getText(request, 4) ?? '';
  const amountMinor = /^\d{1,12}$/.test(amountText) ? Number(amountText) : Number.NaN;
  const panMasked = maskPan(card.pan);
  const digest = `${mtiFamily(request.mti)}|${getText(request, 3)}|${amountText}|${getText(request, 49)}|${panMasked}`;

  const seen = book.records.get(key);
  if (seen !== undefined) {
    if (seen.digest === digest && !seen.isReversal) return { response: replay(seen.response), events: [], outcome: 'duplicate' };
    return { response: reply(request, responseMti, financialEcho, '94', { 63: textFor('94') }), events: [], outcome: 'duplicate_mismatch' };
  }

  const rrn = makeRrn(context.nowMs, book.answeredCount + 1);
  const answer = (code: string, tags: Readonly<Record<string, string>>, money: MoneyMove | null): IssuerDecision => {
    const response = reply(request, responseMti, financialEcho, code, {
      37: rrn,
      38: money?.authCode,
      48: formatTags(tags),
      63: textFor(code),
    });
    const event: IssuerEvent = { type: 'answered', key, digest, atMs: context.nowMs, response: toStoredResponse(response), money };
    return { response, events: [event], outcome: code === '00' ? 'approved' : 'declined' };
  };

  const kind = transactionKindOf(request.mti, getText(request, 3), getText(request, 25));
  if (kind === undefined) return answer('12', {}, null);
  if (book.reversedUnseen.has(key)) return answer('12', {}, null); // reversed before it arrived: never charge it now
  if (!Number.isFinite(amountMinor)) return answer('13', {}, null);
  // A UnionPay QR sale pays from the QR account its code names; a code never matches a card. A follow-up
  // without card data acts on the account of the original it names.
  const isQrCode = card.account === undefined && isUnionPayQrSale(request);
  const testCard = card.account ?? (isQrCode ? findUnionPayQrAccount(card.pan) : findTestCard(card.pan));
  if (testCard === undefined) return answer('14', {}, null);
  // A C2B code pays once, as at UnionPay: a code that already moved money (reversed since or not) is
  // dead, and a second sale on it (another request key; the same key replayed above) is refused as an
  // expired code, so the customer shows a fresh one.
  const qrCodeFingerprint = isQrCode ? unionPayQrCodeFingerprint(card.pan) : undefined;
  if (qrCodeFingerprint !== undefined && book.spentQrCodes.has(qrCodeFingerprint)) return answer('54', {}, null);
  const account = book.account(testCard.id);

  if (kind === 'balance') {
    const checked = checkCard(testCard, card, request, context.nowMs);
    if (checked.code !== '00') return answer(checked.code, 'tags' in checked ? checked.tags : {}, null);
    return answerBalance(request, responseMti, key, digest, rrn, account.availableMinor, context.nowMs);
  }
  if (kind === 'refund' || kind === 'completion' || kind === 'preauth_cancel') {
    // Follow-ups act on money the card already moved: no card checks, the original decides.
  } else {
    const checked = checkCard(testCard, card, request, context.nowMs);
    if (checked.code !== '00') return answer(checked.code, 'tags' in checked ? checked.tags : {}, null);
  }
  const forcedCode = forcedCodeForAmount(amountMinor);
  if (forcedCode !== undefined) {
    const tags: Record<string, string> = testCard.brand === 'visa' ? { VCAT: visaDeclineCategory(forcedCode) } : {};
    return answer(forcedCode, tags, null);
  }
  if (amountMinor === 0) return answer('13', {}, null);

  const move = (moneyKind: MoneyKind, refundOfKey: string | null): MoneyMove => ({
    kind: moneyKind,
    cardId: testCard.id,
    panMasked,
    amountMinor,
    currency: getText(request, 49) ?? '156',
    rrn,
    authCode: String(nextIntInclusive(context.random, 0, 999_999)).padStart(6, '0'),
    refundOfKey,
    ...(qrCodeFingerprint === undefined ? {} : { qrCodeFingerprint }),
  });

  switch (kind) {
    case 'refund': {
      const original = getText(request, 90);
      if (original === undefined) return answer('00', {}, move('refund', null));
      const originalKey = originalKeyOf(original, getText(request, 41) ?? '');
      const sale = originalKey === undefined ? undefined : book.records.get(originalKey);
      if (originalKey === undefined || sale === undefined) return answer('25', {}, null);
      if (sale.entry === null || sale.entry.money.kind !== 'charge' || sale.entry.reversedAtMs !== null) return answer('12', {}, null);
      if (sale.entry.money.cardId !== testCard.id || amountMinor > sale.entry.money.amountMinor - sale.entry.refundedMinor) return answer('64', {}, null);
      return answer('00', {}, move('refund', originalKey));
    }
    case 'completion':
    case 'preauth_cancel': {
      const holdKey = originalKeyOf(getText(request, 90) ?? '', getText(request, 41) ?? '');
      const hold = holdKey === undefined ? undefined : book.records.get(holdKey);
      if (holdKey === undefined || hold === undefined) return answer('25', {}, null);
      if (hold.entry === null || hold.entry.money.kind !== 'hold' || hold.entry.reversedAtMs !== null || hold.entry.money.cardId !== testCard.id) return answer('12', {}, null);
      const decision = answer('00', {}, kind === 'completion' ? move('charge', null) : null);
      const release: IssuerEvent = { type: 'reversed', key: `${key}#hold`, digest, atMs: context.nowMs, response: toStoredResponse(decision.response ?? { mti: responseMti, fields: {} }), originalKey: holdKey, unseenOriginalKey: null };
      return { ...decision, events: [release, ...decision.events] };
    }
    case 'sale':
    case 'preauth': {
      const declined = (code: string): IssuerDecision => {
        const tags: Record<string, string> = {};
        if (testCard.brand === 'visa') tags.VCAT = visaDeclineCategory(code);
        if (testCard.macCode !== undefined) tags.MAC = testCard.macCode;
        return answer(code, tags, null);
      };
      if (testCard.perSaleLimitMinor !== undefined && amountMinor > testCard.perSaleLimitMinor) return declined('61');
      if (amountMinor > account.availableMinor) return declined('51');
      return answer('00', {}, move(kind === 'sale' ? 'charge' : 'hold', null));
    }
    default:
      return assertNever(kind, 'transaction kind');
  }
}

/** A follow-up without card data (the gateway stores no PAN): the card of the original named in DE 90. */
function cardOfOriginal(book: IssuerBook, request: IsoMessage): CardInput | undefined {
  const de90 = getText(request, 90);
  if (de90 === undefined) return undefined;
  const originalKey = originalKeyOf(de90, getText(request, 41) ?? '');
  const entry = originalKey === undefined ? undefined : book.records.get(originalKey)?.entry;
  if (entry === undefined || entry === null) return undefined;
  const card = simulatorAccounts().find((candidate) => candidate.id === entry.money.cardId);
  return card === undefined ? undefined : { pan: card.pan, expiry: undefined, account: card };
}

/** 0210 to a balance inquiry: DE 54 = account type 10, amount type 02 (available), currency, C/D, 12 digits. */
function answerBalance(request: IsoMessage, responseMti: string, key: string, digest: string, rrn: string, availableMinor: number, nowMs: number): IssuerDecision {
  const currency = getText(request, 49) ?? '156';
  const de54 = `1002${currency}${availableMinor < 0 ? 'D' : 'C'}${String(Math.abs(availableMinor)).padStart(12, '0')}`;
  const response = reply(request, responseMti, financialEcho, '00', { 37: rrn, 54: de54, 63: textFor('00') });
  const event: IssuerEvent = { type: 'answered', key, digest, atMs: nowMs, response: toStoredResponse(response), money: null };
  return { response, events: [event], outcome: 'approved' };
}

/**
 * DE 90 (original MTI 4, STAN 6, DE 7 10, DE 32 11, zeros 11) to the original request's key; the
 * terminal is the reversal's own DE 41, since a reversal comes from the terminal of its original.
 */
export function originalKeyOf(de90: string, terminalId: string): string | undefined {
  const parsed = /^(\d{4})(\d{6})(\d{10})(\d{11})\d{11}$/.exec(de90);
  if (parsed === null) return undefined;
  return requestKey(parsed[4] ?? '', terminalId, parsed[2] ?? '', parsed[3] ?? '');
}

/** Reversal 0400 and its repeat 0401: gives the money of the named original back exactly once. */
export function decideReversal(book: IssuerBook, request: IsoMessage, context: IssuerContext): IssuerDecision {
  const missing = missingField(request, reversalMandatory);
  if (missing !== undefined) return { response: reply(request, '0410', reversalEcho, '30', {}), events: [], outcome: 'format_error' };
  const key = keyOf(request);
  const de90 = getText(request, 90) ?? '';
  const digest = `${mtiFamily(request.mti)}|${de90}|${getText(request, 4)}`;
  const seen = book.records.get(key);
  if (seen !== undefined) {
    if (seen.digest === digest && seen.isReversal) return { response: replay(seen.response), events: [], outcome: 'duplicate' };
    return { response: reply(request, '0410', reversalEcho, '94', {}), events: [], outcome: 'duplicate_mismatch' };
  }
  const originalKey = originalKeyOf(de90, getText(request, 41) ?? '');
  if (originalKey === undefined) return { response: reply(request, '0410', reversalEcho, '30', {}), events: [], outcome: 'format_error' };

  const answer = (code: string, reversedKey: string | null, unseenOriginalKey: string | null, outcome: IssuerOutcome): IssuerDecision => {
    const response = reply(request, '0410', reversalEcho, code, {});
    const event: IssuerEvent = { type: 'reversed', key, digest, atMs: context.nowMs, response: toStoredResponse(response), originalKey: reversedKey, unseenOriginalKey };
    return { response, events: [event], outcome };
  };
  const original = book.records.get(originalKey);
  if (original === undefined) return answer('25', null, originalKey, 'reversal_unknown');
  if (original.isReversal) return answer('12', null, null, 'reversal_noop');
  if (original.entry === null || original.entry.reversedAtMs !== null) return answer('00', null, null, 'reversal_noop');
  return answer('00', originalKey, null, 'reversed');
}

/** 0800 sign-on (001), sign-off (002) and echo (301). */
export function decideNetworkManagement(request: IsoMessage): IssuerDecision {
  const missing = missingField(request, networkMandatory);
  if (missing !== undefined) return { response: reply(request, '0810', networkEcho, '30', {}), events: [], outcome: 'format_error' };
  const code = getText(request, 70);
  const known = code === '001' || code === '002' || code === '301';
  return { response: reply(request, '0810', networkEcho, known ? '00' : '12', {}), events: [], outcome: known ? 'network' : 'unsupported' };
}
