// The response-code catalogue: response-codes.json validated and frozen when this module loads.
// A bad entry stops the process with RSW_DECLINE_DATA_INVALID naming the JSON path.
import type { BilingualText, CauseCategory, ResponsibleParty, RetryVerdict } from '../vocabulary.ts';
import { causeCategories, responsibleParties, retryVerdicts } from '../vocabulary.ts';
import { DataReader, deepFreeze } from './validate-data.ts';
import responseCodesJson from './response-codes.json' with { type: 'json' };

/** CUPS handling class: A success, B failed may retry, C failed do not retry, D operator action, E system fault. */
export const cupsClasses = ['A', 'B', 'C', 'D', 'E'] as const;
export type CupsClass = (typeof cupsClasses)[number];

export interface ResponseCodeEntry {
  readonly code: string;
  readonly meaning: string;
  readonly meaningZh: string;
  readonly category: CauseCategory;
  readonly party: ResponsibleParty;
  readonly verdict: RetryVerdict;
  readonly waitSeconds: number | null;
  readonly automaticRetry: boolean;
  readonly cupsClass: CupsClass;
  /** Visa decline category (1-4) per category-list edition; null for approvals. */
  readonly visaCategory: Readonly<Record<string, number | null>>;
  readonly visaCategorySourceNote: string;
  readonly mastercardNote?: string;
  readonly advice: { readonly cashier: BilingualText; readonly customer: BilingualText };
  readonly source: string;
}

export interface ResponseCodeTable {
  readonly edition: string;
  readonly visaCategoryEditions: readonly string[];
  readonly entries: readonly ResponseCodeEntry[];
  readonly byCode: ReadonlyMap<string, ResponseCodeEntry>;
}

/** DE 39 is two characters: digits or upper-case letters. */
export const responseCodePattern = /^[0-9A-Z]{2}$/;
const codesMax = 1296; // 36 * 36: every possible two-character code
const waitSecondsMax = 30 * 24 * 3600;

/** Words the customer must never see: the customer text hides lost, stolen and fraud flags. */
export const customerForbiddenWords = /\b(lost|stolen|theft|fraud\w*|pick[- ]?up|blacklist\w*|suspect\w*|retain\w*)\b|挂失|被盗|盗窃|盗刷|欺诈|作弊|黑名单|没收|可疑|涉嫌/i;

/** Validates a parsed response-codes document. */
export function parseResponseCodeTable(document: unknown, file = 'response-codes.json'): ResponseCodeTable {
  const read = new DataReader(file);
  const root = read.object(document, '$');
  const edition = read.string(root.edition, '$.edition');
  const editions = read.array(root.visaCategoryEditions, '$.visaCategoryEditions', 16).map((e, i) => read.string(e, `$.visaCategoryEditions[${i}]`));
  const byCode = new Map<string, ResponseCodeEntry>();
  const list = read.array(root.codes, '$.codes', codesMax);
  list.forEach((raw, index) => {
    const path = `$.codes[${index}]`;
    const row = read.object(raw, path);
    const code = read.string(row.code, `${path}.code`, responseCodePattern);
    if (byCode.has(code)) read.fail(`${path}.code`, `code ${code} appears twice`);
    const category = read.member(causeCategories, row.category, `${path}.category`);
    const verdict = read.member(retryVerdicts, row.verdict, `${path}.verdict`);
    if (verdict === 'wait') read.fail(`${path}.verdict`, 'a response code is a definite answer; wait is only for unknown outcomes');
    if ((category === 'approved') !== (verdict === 'none')) read.fail(`${path}.verdict`, 'verdict none if and only if the category is approved');
    const waitSeconds = row.waitSeconds === null ? null : read.integer(row.waitSeconds, `${path}.waitSeconds`, 1, waitSecondsMax);
    if ((verdict === 'later') !== (waitSeconds !== null)) read.fail(`${path}.waitSeconds`, 'a wait is given exactly for verdict later');
    const automaticRetry = read.boolean(row.automaticRetry, `${path}.automaticRetry`);
    if (automaticRetry && verdict !== 'now' && verdict !== 'later') read.fail(`${path}.automaticRetry`, `verdict ${verdict} is never retried automatically`);
    const visaRaw = read.object(row.visaCategory, `${path}.visaCategory`);
    const visaCategory: Record<string, number | null> = {};
    for (const ed of editions) {
      const value = visaRaw[ed];
      visaCategory[ed] = value === null ? null : read.integer(value, `${path}.visaCategory.${ed}`, 1, 4);
      if ((visaCategory[ed] === null) !== (category === 'approved')) read.fail(`${path}.visaCategory.${ed}`, 'a Visa category is given exactly for declines');
    }
    const adviceRaw = read.object(row.advice, `${path}.advice`);
    const customer = read.bilingual(adviceRaw.customer, `${path}.advice.customer`);
    for (const lang of ['zh', 'en'] as const) {
      if (customerForbiddenWords.test(customer[lang])) read.fail(`${path}.advice.customer.${lang}`, 'customer text must not reveal a lost, stolen or fraud flag');
    }
    const mastercardNote = read.optionalString(row.mastercardNote, `${path}.mastercardNote`);
    byCode.set(code, {
      code,
      meaning: read.string(row.meaning, `${path}.meaning`),
      meaningZh: read.string(row.meaningZh, `${path}.meaningZh`),
      category,
      party: read.member(responsibleParties, row.party, `${path}.party`),
      verdict,
      waitSeconds,
      automaticRetry,
      cupsClass: read.member(cupsClasses, row.cupsClass, `${path}.cupsClass`),
      visaCategory,
      visaCategorySourceNote: read.string(row.visaCategorySourceNote, `${path}.visaCategorySourceNote`),
      ...(mastercardNote === undefined ? {} : { mastercardNote }),
      advice: { cashier: read.bilingual(adviceRaw.cashier, `${path}.advice.cashier`), customer },
      source: read.string(row.source, `${path}.source`),
    });
  });
  const entries = [...byCode.values()];
  return deepFreeze({ edition, visaCategoryEditions: editions, entries, byCode }) as ResponseCodeTable;
}

/** The shipped catalogue, validated once at load. */
export const responseCodeTable: ResponseCodeTable = parseResponseCodeTable(responseCodesJson);
