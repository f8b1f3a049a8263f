// A terminal's request message, read once into a typed request (docs/terminal-link.md): the route
// from terminal-routes.ts says which request it is, and each kind reads exactly the fields it needs,
// checked, into named properties. Input the contract refuses (no card number, an amount DE 4 cannot
// carry, unreadable 0500 totals, an unknown network code) becomes a typed refusal with the DE 39 the
// contract gives it and the field it concerns, never an exception. Pure: no I/O, no clock (the local
// date a cups-pos request without DE 7 is keyed by is asked of the caller, and only then).
import { getText, responseMtiFor, type IsoComposite, type IsoMessage } from '../../core/iso8583/index.ts';
import { parseBatchTotals, type BatchTotals } from '../../core/payments/batch-totals.ts';
import type { FollowUpOperation } from '../../core/payments/follow-up-request.ts';
import { isValidAmountMinor } from '../../core/payments/txn-rule-result.ts';
import { keySetOf, type KeySetCode } from '../../core/crypto/working-key-block.ts';
import type { EntryMode } from '../../core/vocabulary.ts';
import { methodOfAuthCode, qrAuthCodeLengthMax } from '../../core/qr/auth-code.ts';
import type { QrMethod } from '../../core/ports/qr-channel.ts';
import { routeOf, type TerminalRequestKind, type TerminalRoute } from './terminal-routes.ts';

/** What every parsed request carries: the message itself (its answer echoes fields of it) and who sent it. */
export interface TerminalEnvelope {
  readonly message: IsoMessage;
  readonly responseMti: string;
  /** DE 41, trimmed; '' when absent. */
  readonly terminalId: string;
  /** DE 42 as sent (ans15); '' when absent. */
  readonly merchantId: string;
  /** The route the message took (its guards: follow-ups configured, signed on); null when unrouted. */
  readonly route: TerminalRoute | null;
}

/**
 * What makes a request unique for its terminal: DE 11 and DE 7, or (cups-pos terminals without DE 7)
 * their local DE 13 + 12; a terminal sending neither date is keyed by the gateway's local date.
 */
export interface TerminalRetransmissionKey {
  readonly stan: string;
  readonly transmittedAt: string;
}

export interface PresentedCard {
  readonly pan: string;
  readonly entryMode: EntryMode;
  readonly expiry?: string;
  readonly cvv?: string;
  readonly track2?: string;
  readonly pinBlock?: Uint8Array;
  readonly iccData?: Uint8Array;
}

/** 0200 `000000` (sale, DE 25 not `06`) and 0100 `030000` (pre-authorization). */
export interface TerminalSale extends TerminalEnvelope, TerminalRetransmissionKey {
  readonly kind: 'sale' | 'preauth';
  readonly processingCode: string;
  readonly amountMinor: number;
  /** DE 4 as sent, for the request hash. */
  readonly amountText: string;
  /** DE 49, numeric; `156` when absent. */
  readonly currencyNumeric: string;
  readonly card: PresentedCard;
}

/**
 * A 0200 `000000` sale whose DE 22 is `03x` (QR): the customer's scanned payment code instead of a card
 * (docs/terminal-link.md, "QR sales"). The code comes from DE 48 (iso87-ascii tag `QRC=`, cups-pos the
 * whole numeric DE 48) or DE 2; its prefix names the method. Never logged or stored in full.
 */
export interface TerminalQrSale extends TerminalEnvelope, TerminalRetransmissionKey {
  readonly kind: 'qr_sale';
  readonly processingCode: string;
  readonly amountMinor: number;
  readonly amountText: string;
  readonly currencyNumeric: string;
  readonly authCode: string;
  readonly method: QrMethod;
}

/** How a follow-up names its original: DE 37 (RRN), DE 90 (STAN and the original's DE 7) or cups-pos DE 61 (STAN and local MMDD). */
export interface NamedOriginal {
  rrn?: string;
  stan?: string;
  dateMmdd?: string;
  transmittedAt?: string;
}

/** Completion, void, completion void, pre-authorization cancel and refund advice. */
export interface TerminalFollowUp extends TerminalEnvelope, TerminalRetransmissionKey {
  readonly kind: FollowUpOperation;
  readonly processingCode: string;
  /** DE 25; `00` when absent. */
  readonly conditionCode: string;
  readonly amountMinor: number;
  readonly amountText: string;
  readonly currencyNumeric: string;
  /** Null when the request names no original: the use case answers "not found". */
  readonly original: NamedOriginal | null;
  /** Card data presented again, passed upstream and never stored. */
  readonly card: { pan?: string; expiry?: string; track2?: string } | null;
}

/** 0200 `310000`. */
export interface TerminalBalanceInquiry extends TerminalEnvelope {
  readonly kind: 'balance';
  readonly currencyNumeric: string;
  readonly card: { pan: string; entryMode: EntryMode; expiry?: string; track2?: string };
}

/** 0500: DE 48 totals against the journal of the batch DE 60.2 names (the terminal's current batch when absent). */
export interface TerminalSettlement extends TerminalEnvelope {
  readonly kind: 'settlement';
  readonly totals: BatchTotals;
  readonly batchNo: string | null;
}

/** 0320: one transaction of the batch. */
export interface TerminalBatchUpload extends TerminalEnvelope {
  readonly kind: 'batch_upload';
  readonly batchNo: string;
  readonly stan: string;
  /** DE 4; 0 when absent or unreadable (the entry is still acknowledged and recorded as a mismatch). */
  readonly amountMinor: number;
  readonly processingCode: string;
}

/** The original a terminal's 0400/0401 names. */
export interface ReversedOriginal {
  readonly stan: string;
  readonly transmittedAt: string | null;
  readonly dateMmdd?: string;
}

/** 0400/0401: the terminal reverses its own request. */
export interface TerminalReversal extends TerminalEnvelope {
  readonly kind: 'terminal_reversal';
  /** Null when the message names none: answered `25`. */
  readonly original: ReversedOriginal | null;
  /** DE 4, null when absent or unreadable (the rules then refuse: it must be the sale's amount). */
  readonly amountMinor: number | null;
  /** DE 39 of the 0400; `06` when absent. */
  readonly reasonCode: string;
}

/** 0800 sign-on (network code `001`, `003`, `004`): new working keys in DE 62 of the answer. */
export interface TerminalSignOn extends TerminalEnvelope {
  readonly kind: 'sign_on';
  readonly networkCode: string;
  readonly keySet: KeySetCode;
}

/** 0800 sign-off (`002`) and echo test (`301`). */
export interface TerminalSignOffOrEcho extends TerminalEnvelope {
  readonly kind: 'sign_off' | 'echo';
  readonly networkCode: string;
}

/** How a refusal's answer is laid out: the sale layout (DE 44 and 63), or the network or settlement answer (DE 39 only). */
export type RefusalLayout = 'standard' | 'network' | 'settlement';

/** A request refused before any use case is asked: unrouted, or a field the contract refuses. */
export interface TerminalRefusal extends TerminalEnvelope {
  readonly kind: 'refused';
  readonly responseCode: string;
  /** The data element at fault, null when the message type or processing code is. */
  readonly field: number | null;
  /** Why, for the log; never quotes a field's value. */
  readonly reason: string;
  readonly layout: RefusalLayout;
}

export type TerminalRequest =
  | TerminalSale
  | TerminalQrSale
  | TerminalFollowUp
  | TerminalBalanceInquiry
  | TerminalSettlement
  | TerminalBatchUpload
  | TerminalReversal
  | TerminalSignOn
  | TerminalSignOffOrEcho
  | TerminalRefusal;

export interface TerminalParseContext {
  /** `cups-pos` carries the network code in DE 60.3 and takes key set 003 or 004 from it; other dialects DE 70. */
  readonly dialectName: string;
  /** The gateway's local date (MMDD) in the business zone, for a request that carries neither DE 7 nor DE 13. */
  localDateMmdd(): string;
}

const networkCodes = { signOn: ['001', '003', '004'], signOff: ['002'], echo: ['301'] } as const;

/** The typed request of one request message; null for a response or a malformed MTI (no answer is owed). */
export function parseTerminalRequest(message: IsoMessage, context: TerminalParseContext): TerminalRequest | null {
  const responseMti = responseMtiFor(message.mti);
  if (responseMti === undefined) return null;
  const terminalId = (getText(message, 41) ?? '').trim();
  const merchantId = getText(message, 42) ?? '';
  const processingCode = getText(message, 3) ?? '';
  const conditionCode = getText(message, 25) ?? '00';
  const route = routeOf(message.mti, processingCode, conditionCode);
  if ('unrouted' in route) {
    const envelope: TerminalEnvelope = { message, responseMti, terminalId, merchantId, route: null };
    return refused(envelope, route.unrouted, null, route.unrouted === '40' ? 'processing code not supported for this message type' : 'message type not supported', 'standard');
  }
  return parseRouted({ message, responseMti, terminalId, merchantId, route }, route.kind, processingCode, conditionCode, context);
}

function parseRouted(envelope: TerminalEnvelope, kind: TerminalRequestKind, processingCode: string, conditionCode: string, context: TerminalParseContext): TerminalRequest {
  const { message } = envelope;
  switch (kind) {
    case 'network_management':
      return parseNetworkManagement(envelope, context);
    case 'sale':
    case 'preauth': {
      if (kind === 'sale' && isQrEntry(getText(message, 22))) return parseQrSale(envelope, processingCode, context);
      const pan = panOf(message);
      if (pan === null) return refused(envelope, '14', 2, 'no card number in DE 2 or DE 35', 'standard');
      const amount = amountOf(message);
      if (amount === null) return refused(envelope, '13', 4, 'DE 4 must be 1 to 999999999999 minor units', 'standard');
      // Every sale passes here: its objects are built field by field, not spread together (each spread
      // of an optional field makes and copies one more object).
      const card: { -readonly [K in keyof PresentedCard]: PresentedCard[K] } = { pan, entryMode: entryModeOf(getText(message, 22)) };
      const expiry = getText(message, 14);
      if (expiry !== undefined) card.expiry = expiry;
      const cvv = cvvOf(message);
      if (cvv !== undefined) card.cvv = cvv;
      const track2 = getText(message, 35);
      if (track2 !== undefined) card.track2 = track2;
      const pinBlock = message.fields[52];
      if (pinBlock instanceof Uint8Array) card.pinBlock = pinBlock;
      const iccData = message.fields[55];
      if (iccData instanceof Uint8Array) card.iccData = iccData;
      const sale: TerminalSale = {
        message,
        responseMti: envelope.responseMti,
        terminalId: envelope.terminalId,
        merchantId: envelope.merchantId,
        route: envelope.route,
        stan: stanOf(message),
        transmittedAt: transmittedAtOf(message, context),
        kind,
        processingCode,
        amountMinor: amount.minor,
        amountText: amount.text,
        currencyNumeric: getText(message, 49) ?? '156',
        card,
      };
      return sale;
    }
    case 'completion':
    case 'void':
    case 'completion_void':
    case 'preauth_cancel':
    case 'refund': {
      const amount = amountOf(message);
      if (amount === null) return refused(envelope, '13', 4, 'DE 4 must be 1 to 999999999999 minor units', 'standard');
      const pan = panOf(message);
      const expiry = getText(message, 14);
      const track2 = getText(message, 35);
      return {
        ...envelope,
        ...retransmissionKeyOf(message, context),
        kind,
        processingCode,
        conditionCode,
        amountMinor: amount.minor,
        amountText: amount.text,
        currencyNumeric: getText(message, 49) ?? '156',
        original: followUpOriginalOf(message),
        card: pan === null && track2 === undefined ? null : { ...(pan === null ? {} : { pan }), ...(expiry === undefined ? {} : { expiry }), ...(track2 === undefined ? {} : { track2 }) },
      };
    }
    case 'balance': {
      const pan = panOf(message);
      if (pan === null) return refused(envelope, '14', 2, 'no card number in DE 2 or DE 35', 'standard');
      const expiry = getText(message, 14);
      const track2 = getText(message, 35);
      return {
        ...envelope,
        kind,
        currencyNumeric: getText(message, 49) ?? '156',
        card: { pan, entryMode: entryModeOf(getText(message, 22)), ...(expiry === undefined ? {} : { expiry }), ...(track2 === undefined ? {} : { track2 }) },
      };
    }
    case 'settlement': {
      const totals = parseBatchTotals(getText(message, 48) ?? '');
      if (totals === null) return refused(envelope, '30', 48, 'DE 48 must be the 30-digit batch totals', 'settlement');
      return { ...envelope, kind, totals, batchNo: batchNoOf(message) };
    }
    case 'batch_upload': {
      const amountText = getText(message, 4) ?? '0';
      return {
        ...envelope,
        kind,
        batchNo: batchNoOf(message) ?? '000000',
        stan: getText(message, 11) ?? '',
        amountMinor: /^[0-9]{1,12}$/.test(amountText) ? Number(amountText) : 0,
        processingCode,
      };
    }
    case 'terminal_reversal': {
      const amountText = getText(message, 4) ?? '';
      return {
        ...envelope,
        kind,
        original: originalOf(message),
        amountMinor: /^[0-9]{1,12}$/.test(amountText) ? Number(amountText) : null,
        reasonCode: getText(message, 39) ?? '06',
      };
    }
  }
}

function parseQrSale(envelope: TerminalEnvelope, processingCode: string, context: TerminalParseContext): TerminalRequest {
  const { message } = envelope;
  const authCode = qrCodeOf(message);
  if (authCode === null) return refused(envelope, '14', 48, 'QR entry (DE 22 03x) without a payment code in DE 48 or DE 2', 'standard');
  const method = methodOfAuthCode(authCode);
  if (method === null) return refused(envelope, '14', 48, 'the payment code has the shape of no QR method', 'standard');
  const amount = amountOf(message);
  if (amount === null) return refused(envelope, '13', 4, 'DE 4 must be 1 to 999999999999 minor units', 'standard');
  return {
    ...envelope,
    ...retransmissionKeyOf(message, context),
    kind: 'qr_sale',
    processingCode,
    amountMinor: amount.minor,
    amountText: amount.text,
    currencyNumeric: getText(message, 49) ?? '156',
    authCode,
    method,
  };
}

/** DE 22 `03x`: the terminal scanned a payment code (QR) rather than read a card. */
export function isQrEntry(posEntryMode: string | undefined): boolean {
  return (posEntryMode ?? '').startsWith('03');
}

/** The tag carrying the scanned code in iso87-ascii DE 48 (`QRC=1345...;`). */
export const qrCodeTagInDe48 = 'QRC';

/**
 * The scanned code of a QR sale: DE 48 tag `QRC=` (iso87-ascii), else DE 48 when it is nothing but
 * the code's digits (cups-pos DE 48 is numeric), else DE 2 (UnionPay QR, as on the host link).
 */
export function qrCodeOf(request: IsoMessage): string | null {
  const de48 = getText(request, 48);
  if (de48 !== undefined) {
    for (const pair of de48.split(';')) {
      const equals = pair.indexOf('=');
      if (equals > 0 && pair.slice(0, equals).trim().toUpperCase() === qrCodeTagInDe48) {
        const value = pair.slice(equals + 1).trim();
        return /^[0-9]{1,24}$/.test(value) ? value : null;
      }
    }
    if (/^[0-9]+$/.test(de48) && de48.length <= qrAuthCodeLengthMax) return de48;
  }
  const de2 = getText(request, 2);
  if (de2 !== undefined && /^[0-9]{16,19}$/.test(de2)) return de2;
  return null;
}

function parseNetworkManagement(envelope: TerminalEnvelope, context: TerminalParseContext): TerminalRequest {
  const { message } = envelope;
  const isCups = context.dialectName === 'cups-pos';
  const de60 = message.fields[60];
  const code = isCups ? (isComposite(de60) ? de60['3'] : undefined) : getText(message, 70);
  if (code !== undefined && (networkCodes.signOn as readonly string[]).includes(code)) return { ...envelope, kind: 'sign_on', networkCode: code, keySet: keySetOf(isCups ? code : '003') };
  if (code !== undefined && (networkCodes.signOff as readonly string[]).includes(code)) return { ...envelope, kind: 'sign_off', networkCode: code };
  if (code !== undefined && (networkCodes.echo as readonly string[]).includes(code)) return { ...envelope, kind: 'echo', networkCode: code };
  return refused(envelope, '12', isCups ? 60 : 70, 'network management code not supported', 'network');
}

function refused(envelope: TerminalEnvelope, responseCode: string, field: number | null, reason: string, layout: RefusalLayout): TerminalRefusal {
  return { ...envelope, kind: 'refused', responseCode, field, reason, layout };
}

function isComposite(value: IsoMessage['fields'][number] | undefined): value is IsoComposite {
  return typeof value === 'object' && !(value instanceof Uint8Array);
}

function retransmissionKeyOf(message: IsoMessage, context: TerminalParseContext): TerminalRetransmissionKey {
  return { stan: stanOf(message), transmittedAt: transmittedAtOf(message, context) };
}

function stanOf(message: IsoMessage): string {
  return getText(message, 11) ?? '';
}

function transmittedAtOf(message: IsoMessage, context: TerminalParseContext): string {
  return getText(message, 7) ?? `${getText(message, 13) ?? context.localDateMmdd()}${getText(message, 12) ?? '000000'}`;
}

/** DE 4 when it is a whole amount DE 4 can carry (1 to 999 999 999 999 minor units). */
function amountOf(message: IsoMessage): { minor: number; text: string } | null {
  const text = getText(message, 4) ?? '';
  if (!/^[0-9]{1,12}$/.test(text)) return null;
  const minor = Number(text);
  return isValidAmountMinor(minor) ? { minor, text } : null;
}

/**
 * The original a follow-up names: DE 90 (STAN and the original's whole DE 7, UTC), cups-pos DE 61 (STAN
 * and 61.3, the terminal's local MMDD), and DE 37 (RRN).
 */
export function followUpOriginalOf(request: IsoMessage): NamedOriginal | null {
  const found: NamedOriginal = {};
  const rrn = getText(request, 37)?.trim();
  if (rrn !== undefined && rrn !== '') found.rrn = rrn;
  const de90 = getText(request, 90);
  if (de90 !== undefined && /^[0-9]{20}/.test(de90)) {
    found.stan = de90.slice(4, 10);
    found.transmittedAt = de90.slice(10, 20);
  } else {
    const de61 = request.fields[61];
    if (isComposite(de61)) {
      if (de61['2'] !== undefined && /^[0-9]{6}$/.test(de61['2'])) found.stan = de61['2'];
      if (de61['3'] !== undefined && /^[0-9]{4}$/.test(de61['3'])) found.dateMmdd = de61['3'];
    }
  }
  return found.rrn === undefined && found.stan === undefined ? null : found;
}

/**
 * The original a terminal's 0400/0401 names: DE 90 (MTI, STAN, DE 7) when present; else cups-pos DE 61
 * (STAN and MMDD, no time), else the 0400's own DE 11 and DE 7 (CUPS terminals reuse the original's).
 */
export function originalOf(request: IsoMessage): ReversedOriginal | null {
  const de90 = getText(request, 90);
  if (de90 !== undefined && /^[0-9]{20}/.test(de90)) return { stan: de90.slice(4, 10), transmittedAt: de90.slice(10, 20) };
  const de61 = request.fields[61];
  if (isComposite(de61)) {
    const stan = de61['2'];
    if (stan !== undefined && /^[0-9]{6}$/.test(stan)) return { stan, transmittedAt: null, ...(de61['3'] === undefined ? {} : { dateMmdd: de61['3'] }) };
  }
  const stan = getText(request, 11);
  if (stan === undefined) return null;
  return { stan, transmittedAt: getText(request, 7) ?? null };
}

/** cups-pos DE 60.2, the batch number. */
function batchNoOf(request: IsoMessage): string | null {
  const de60 = request.fields[60];
  return isComposite(de60) ? (de60['2'] ?? null) : null;
}

/** DE 2, or the PAN part of DE 35 (before `=` or `D`). */
function panOf(request: IsoMessage): string | null {
  const de2 = getText(request, 2);
  if (de2 !== undefined && /^[0-9]{12,19}$/.test(de2)) return de2;
  const track2 = getText(request, 35);
  const fromTrack = track2?.split(/[=D]/)[0];
  if (fromTrack !== undefined && /^[0-9]{12,19}$/.test(fromTrack)) return fromTrack;
  return null;
}

/** CVV2 from DE 48 `CVV2=nnn` (iso87-ascii); other dialects carry none. */
function cvvOf(request: IsoMessage): string | undefined {
  const de48 = getText(request, 48);
  if (de48 === undefined) return undefined;
  for (const pair of de48.split(';')) {
    const [tag, value] = pair.split('=');
    if (tag === 'CVV2' && value !== undefined) return value;
  }
  return undefined;
}

/** DE 22's first two digits to the entry mode words of docs/vocabulary.md. */
export function entryModeOf(posEntryMode: string | undefined): EntryMode {
  switch ((posEntryMode ?? '').slice(0, 2)) {
    case '05':
    case '95':
      return 'chip';
    case '07':
    case '91':
      return 'contactless';
    case '02':
    case '90':
      return 'swipe';
    case '80':
      return 'fallback';
    default:
      return 'manual';
  }
}
