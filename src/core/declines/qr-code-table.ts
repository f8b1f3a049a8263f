// The QR providers' error catalogues (WeChat Pay v2 err_code, Alipay sub_code), in the same shape as
// the card response codes: category, who must act, verdict, wait, and advice for the cashier and the
// customer in zh-CN and en. The files are src/core/declines/qr-codes-wechat.json and
// qr-codes-alipay.json; this module validates a parsed file (pure); src/adapters/declines/
// qr-code-table-files.ts reads them. A bad entry stops the process with RSW_DECLINE_DATA_INVALID.
import { causeCategories, responsibleParties, retryVerdicts } from '../vocabulary.ts';
import { DataReader, deepFreeze } from './validate-data.ts';
import { customerForbiddenWords, type ResponseCodeEntry } from './response-code-table.ts';
import type { Diagnosis } from './diagnosis.ts';
import type { CodeExplanation } from './explain-text.ts';
import { terminalVerdictText } from './terminal-text.ts';
import type { QrProtocol } from '../ports/qr-channel.ts';
import { qrProtocols } from '../ports/qr-channel.ts';

/** Where the trade stands when the provider answers with this code. */
export const qrCodeTradeStates = ['paid', 'paying', 'failed', 'unknown'] as const;
export type QrCodeTradeState = (typeof qrCodeTradeStates)[number];

/** A provider code: the card catalogue's fields that apply to QR, plus the provider and where the trade stands. */
export interface QrCodeEntry extends Pick<ResponseCodeEntry, 'code' | 'meaning' | 'meaningZh' | 'category' | 'party' | 'verdict' | 'waitSeconds' | 'automaticRetry' | 'advice' | 'source'> {
  readonly provider: QrProtocol;
  readonly tradeState: QrCodeTradeState;
}

export interface QrCodeTable {
  readonly provider: QrProtocol;
  readonly edition: string;
  readonly entries: readonly QrCodeEntry[];
  readonly byCode: ReadonlyMap<string, QrCodeEntry>;
}

/** WeChat err_code (`AUTHCODEEXPIRE`), Alipay sub_code (`ACQ.SYSTEM_ERROR`) Alipay's numeric gateway codes (`10003`) and its lower-case ones (`isp.unknow-error`). */
export const qrCodePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$/;
const codesMax = 500;
const waitSecondsMax = 24 * 3600;

/** Validates one parsed provider catalogue. */
export function parseQrCodeTable(document: unknown, file: string): QrCodeTable {
  const read = new DataReader(file);
  const root = read.object(document, '$');
  const provider = read.member(qrProtocols, root.provider, '$.provider');
  const edition = read.string(root.edition, '$.edition');
  const byCode = new Map<string, QrCodeEntry>();
  read.array(root.codes, '$.codes', codesMax).forEach((raw, index) => {
    const path = `$.codes[${index}]`;
    const row = read.object(raw, path);
    const code = read.string(row.code, `${path}.code`, qrCodePattern);
    if ([...byCode.keys()].some((known) => known.toUpperCase() === code.toUpperCase())) read.fail(`${path}.code`, `code ${code} appears twice`);
    const category = read.member(causeCategories, row.category, `${path}.category`);
    const verdict = read.member(retryVerdicts, row.verdict, `${path}.verdict`);
    const tradeState = read.member(qrCodeTradeStates, row.tradeState, `${path}.tradeState`);
    // A code that leaves the trade paying or unknown is not a refusal: the sale waits for the query.
    if ((tradeState === 'paying' || tradeState === 'unknown') !== (verdict === 'wait')) read.fail(`${path}.verdict`, 'verdict wait if and only if the trade state is paying or unknown');
    if ((category === 'approved') !== (verdict === 'none')) read.fail(`${path}.verdict`, 'verdict none if and only if the category is approved');
    const waitSeconds = row.waitSeconds === null ? null : read.integer(row.waitSeconds, `${path}.waitSeconds`, 1, waitSecondsMax);
    if (verdict === 'later' && waitSeconds === null) read.fail(`${path}.waitSeconds`, 'verdict later needs a wait');
    const automaticRetry = read.boolean(row.automaticRetry, `${path}.automaticRetry`);
    if (automaticRetry && verdict !== 'now' && verdict !== 'later' && verdict !== 'wait') read.fail(`${path}.automaticRetry`, `verdict ${verdict} is never retried automatically`);
    const adviceRaw = read.object(row.advice, `${path}.advice`);
    const customer = read.bilingual(adviceRaw.customer, `${path}.advice.customer`);
    for (const lang of ['zh', 'en'] as const) {
      if (customerForbiddenWords.test(customer[lang])) read.fail(`${path}.advice.customer.${lang}`, 'customer text must not reveal a lost, stolen or fraud flag');
    }
    byCode.set(code, {
      provider,
      code,
      meaning: read.string(row.meaning, `${path}.meaning`),
      meaningZh: read.string(row.meaningZh, `${path}.meaningZh`),
      category,
      party: read.member(responsibleParties, row.party, `${path}.party`),
      verdict,
      waitSeconds,
      automaticRetry,
      tradeState,
      advice: { cashier: read.bilingual(adviceRaw.cashier, `${path}.advice.cashier`), customer },
      source: read.string(row.source, `${path}.source`),
    });
  });
  return deepFreeze({ provider, edition, entries: [...byCode.values()], byCode }) as QrCodeTable;
}

/** The QR catalogues by provider; a code is looked up in its provider's table only (codes may collide). */
export type QrCodeTables = Readonly<Partial<Record<QrProtocol, QrCodeTable>>>;

/** Every entry with this code, across providers (for `reswipe explain`). */
export function findQrCode(tables: QrCodeTables, code: string): QrCodeEntry[] {
  return qrProtocols.flatMap((provider) => {
    const entry = table(tables, provider, code.trim());
    return entry === undefined ? [] : [entry];
  });
}

/** A provider's entry for a code: exact first, then ignoring case (people type `acq.system_error`). */
function table(tables: QrCodeTables, provider: QrProtocol, code: string): QrCodeEntry | undefined {
  const byCode = tables[provider]?.byCode;
  if (byCode === undefined) return undefined;
  const exact = byCode.get(code);
  if (exact !== undefined) return exact;
  const upper = code.toUpperCase();
  for (const [known, entry] of byCode) if (known.toUpperCase() === upper) return entry;
  return undefined;
}

/** The diagnosis of a QR trade's end (HTTP `decline`, terminal DE 39/44/63). */
export function diagnoseQrCode(tables: QrCodeTables, provider: QrProtocol, providerCode: string | null, outcome: Diagnosis['outcome']): Diagnosis {
  const entry = providerCode === null ? undefined : table(tables, provider, providerCode);
  if (entry === undefined) return qrOutcomeDiagnosis(outcome, providerCode);
  // A waiting code that ends a sale (the trade was cancelled after it) is something to try again later.
  const diagnosis = diagnosisOfQrEntry(entry, outcome);
  return { ...diagnosis, verdict: outcome === 'unknown' ? 'wait' : entry.verdict === 'wait' ? 'later' : entry.verdict };
}

/** A catalogue entry as the shared Diagnosis shape, for the given outcome. */
function diagnosisOfQrEntry(entry: QrCodeEntry, outcome: Diagnosis['outcome']): Diagnosis {
  return {
    code: entry.code,
    meaning: entry.meaning,
    outcome,
    category: entry.category,
    party: entry.party,
    verdict: entry.verdict,
    waitSeconds: entry.waitSeconds,
    automaticRetry: entry.automaticRetry,
    advice: entry.advice,
  };
}

/** The diagnosis of an outcome no catalogue entry explains (no code, or one the catalogue does not know). */
export function qrOutcomeDiagnosis(outcome: Diagnosis['outcome'], providerCode: string | null): Diagnosis {
  const code = providerCode ?? qrOutcomeCodes[outcome];
  const texts = qrOutcomeTexts[outcome];
  return { code, meaning: texts.meaning, outcome, category: texts.category, party: texts.party, verdict: texts.verdict, waitSeconds: texts.waitSeconds, automaticRetry: false, advice: texts.advice };
}

/** Codes reswipe itself gives a QR outcome the provider did not name (the card codes' meanings). */
const qrOutcomeCodes: Record<Diagnosis['outcome'], string> = { approved: '00', declined: '05', not_sent: '96', unknown: '98', reversed: '98' };

const qrOutcomeTexts: Record<Diagnosis['outcome'], Pick<Diagnosis, 'meaning' | 'category' | 'party' | 'verdict' | 'waitSeconds' | 'advice'>> = {
  approved: {
    meaning: 'Paid',
    category: 'approved',
    party: 'cardholder',
    verdict: 'none',
    waitSeconds: null,
    advice: { cashier: { zh: '支付成功', en: 'Paid' }, customer: { zh: '支付成功', en: 'Payment successful' } },
  },
  declined: {
    meaning: 'The wallet refused the payment',
    category: 'other',
    party: 'cardholder',
    verdict: 'fix',
    waitSeconds: null,
    advice: {
      cashier: { zh: '支付未成功，请顾客查看手机提示或换一种支付方式', en: 'Not paid: ask the customer to check the wallet app or pay another way' },
      customer: { zh: '支付未成功，请查看手机提示或换一种支付方式', en: 'Payment failed: check your wallet app or pay another way' },
    },
  },
  not_sent: {
    meaning: 'The provider could not be reached; nothing was sent',
    category: 'network',
    party: 'gateway',
    verdict: 'now',
    waitSeconds: null,
    advice: {
      cashier: { zh: '网络故障，未扣款，请重新扫码', en: 'Network fault, not charged: scan again' },
      customer: { zh: '未扣款，请重新出示付款码', en: 'Not charged: show your payment code again' },
    },
  },
  unknown: {
    meaning: 'Outcome not known yet; the payment is being cancelled',
    category: 'network',
    party: 'channel',
    verdict: 'wait',
    waitSeconds: null,
    advice: {
      cashier: { zh: '结果未知，正在撤销，请勿重复收款，稍后查询', en: 'Outcome unknown, being cancelled: do not charge again, check later' },
      customer: { zh: '结果确认中，如已扣款将自动退回', en: 'Being confirmed: any charge will be returned automatically' },
    },
  },
  reversed: {
    meaning: 'Cancelled (撤销): not charged',
    category: 'network',
    party: 'channel',
    verdict: 'later',
    waitSeconds: null,
    advice: {
      cashier: { zh: '交易已撤销，未扣款，可请顾客重新付款', en: 'Cancelled, not charged: the customer may pay again' },
      customer: { zh: '交易已撤销，未扣款', en: 'Cancelled: you were not charged' },
    },
  },
};

/** `reswipe explain USERPAYING` and GET /v1/decline-codes/{code}: the card explanation shape plus the provider and the trade state. */
export interface QrCodeExplanation extends CodeExplanation {
  provider: QrProtocol;
  tradeState: QrCodeTradeState;
}

const outcomeOfTradeState: Record<QrCodeTradeState, Diagnosis['outcome']> = { paid: 'approved', failed: 'declined', paying: 'unknown', unknown: 'unknown' };

export function explainQrEntry(entry: QrCodeEntry): QrCodeExplanation {
  const diagnosis = diagnosisOfQrEntry(entry, outcomeOfTradeState[entry.tradeState]);
  return {
    ...diagnosis,
    meaningZh: entry.meaningZh,
    terminalVerdict: terminalVerdictText(diagnosis),
    cupsClass: null,
    visaCategory: null,
    mastercardNote: null,
    source: entry.source,
    known: true,
    provider: entry.provider,
    tradeState: entry.tradeState,
  };
}
