// Scheme retry budgets as data: retry-rules.json validated and frozen on load.
import { ReswipeError } from '../errors/reswipe-error.ts';
import { causeCategories, type CauseCategory } from '../vocabulary.ts';
import { DataReader, deepFreeze } from './validate-data.ts';
import retryRulesJson from './retry-rules.json' with { type: 'json' };

export interface VisaRuleEdition {
  readonly edition: string;
  readonly effectiveFromMs: number;
  /** Which Visa category list (a key of the catalogue's visaCategory) this edition uses. */
  readonly categoryList: string;
  readonly category1: { readonly reattemptsMax: number; readonly windowDays: number };
  readonly categories2to4: { readonly reattemptsMax: number; readonly windowDays: number };
  readonly source: string;
}

export interface MastercardRuleEdition {
  readonly edition: string;
  readonly effectiveFromMs: number;
  readonly neverAdviceCodes: readonly string[];
  readonly neverWindowDays: number;
  readonly adviceCodeWaitSeconds: Readonly<Record<string, number>>;
  readonly declinesMax: number;
  readonly declinesWindowHours: number;
  readonly sameMerchantAmountReattemptsMax: number;
  readonly sameMerchantAmountWindowDays: number;
  readonly source: string;
}

export interface RetryRules {
  readonly visa: readonly VisaRuleEdition[];
  readonly mastercard: readonly MastercardRuleEdition[];
  readonly gateway: { readonly edition: string; readonly neverVerdictBlockHours: number; readonly neverVerdictCategories: readonly CauseCategory[]; readonly source: string };
}

const datePattern = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const editionsMax = 50;

/** Validates a parsed retry-rules document. */
export function parseRetryRules(document: unknown, file = 'retry-rules.json', visaCategoryLists: readonly string[] = ['2021', '2024']): RetryRules {
  const read = new DataReader(file);
  const root = read.object(document, '$');
  const date = (value: unknown, path: string): number => {
    const text = read.string(value, path, datePattern);
    const ms = Date.parse(`${text}T00:00:00Z`);
    if (Number.isNaN(ms)) read.fail(path, `"${text}" is not a calendar date`);
    return ms;
  };
  const budget = (value: unknown, path: string): { reattemptsMax: number; windowDays: number } => {
    const row = read.object(value, path);
    return { reattemptsMax: read.integer(row.reattemptsMax, `${path}.reattemptsMax`, 0, 1000), windowDays: read.integer(row.windowDays, `${path}.windowDays`, 1, 366) };
  };
  const visaRoot = read.object(root.visa, '$.visa');
  const visa = read.array(visaRoot.editions, '$.visa.editions', editionsMax).map((raw, i): VisaRuleEdition => {
    const path = `$.visa.editions[${i}]`;
    const row = read.object(raw, path);
    return {
      edition: read.string(row.edition, `${path}.edition`),
      effectiveFromMs: date(row.effectiveFrom, `${path}.effectiveFrom`),
      categoryList: read.member(visaCategoryLists, row.categoryList, `${path}.categoryList`),
      category1: budget(row.category1, `${path}.category1`),
      categories2to4: budget(row.categories2to4, `${path}.categories2to4`),
      source: read.string(row.source, `${path}.source`),
    };
  });
  const mcRoot = read.object(root.mastercard, '$.mastercard');
  const mastercard = read.array(mcRoot.editions, '$.mastercard.editions', editionsMax).map((raw, i): MastercardRuleEdition => {
    const path = `$.mastercard.editions[${i}]`;
    const row = read.object(raw, path);
    const waitsRaw = read.object(row.adviceCodeWaitSeconds, `${path}.adviceCodeWaitSeconds`);
    const waits: Record<string, number> = {};
    for (const [mac, seconds] of Object.entries(waitsRaw)) {
      read.string(mac, `${path}.adviceCodeWaitSeconds`, /^[0-9]{2}$/);
      waits[mac] = read.integer(seconds, `${path}.adviceCodeWaitSeconds.${mac}`, 1, 366 * 86400);
    }
    return {
      edition: read.string(row.edition, `${path}.edition`),
      effectiveFromMs: date(row.effectiveFrom, `${path}.effectiveFrom`),
      neverAdviceCodes: read.array(row.neverAdviceCodes, `${path}.neverAdviceCodes`, 100).map((c, j) => read.string(c, `${path}.neverAdviceCodes[${j}]`, /^[0-9]{2}$/)),
      neverWindowDays: read.integer(row.neverWindowDays, `${path}.neverWindowDays`, 1, 366),
      adviceCodeWaitSeconds: waits,
      declinesMax: read.integer(row.declinesMax, `${path}.declinesMax`, 1, 1000),
      declinesWindowHours: read.integer(row.declinesWindowHours, `${path}.declinesWindowHours`, 1, 24 * 366),
      sameMerchantAmountReattemptsMax: read.integer(row.sameMerchantAmountReattemptsMax, `${path}.sameMerchantAmountReattemptsMax`, 0, 10000),
      sameMerchantAmountWindowDays: read.integer(row.sameMerchantAmountWindowDays, `${path}.sameMerchantAmountWindowDays`, 1, 366),
      source: read.string(row.source, `${path}.source`),
    };
  });
  for (const [name, list] of [['visa', visa], ['mastercard', mastercard]] as const) {
    if (list.length === 0) read.fail(`$.${name}.editions`, 'at least one edition is needed');
    const seen = new Set<string>();
    list.forEach((edition, i) => {
      if (seen.has(edition.edition)) read.fail(`$.${name}.editions[${i}].edition`, `edition ${edition.edition} appears twice`);
      seen.add(edition.edition);
    });
  }
  const gatewayRow = read.object(root.gateway, '$.gateway');
  const gateway = {
    edition: read.string(gatewayRow.edition, '$.gateway.edition'),
    neverVerdictBlockHours: read.integer(gatewayRow.neverVerdictBlockHours, '$.gateway.neverVerdictBlockHours', 0, 24 * 366),
    neverVerdictCategories: read.array(gatewayRow.neverVerdictCategories, '$.gateway.neverVerdictCategories', causeCategories.length).map((c, i) => read.member(causeCategories, c, `$.gateway.neverVerdictCategories[${i}]`)),
    source: read.string(gatewayRow.source, '$.gateway.source'),
  };
  const byDate = <T extends { effectiveFromMs: number }>(list: T[]): T[] => [...list].sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
  return deepFreeze({ visa: byDate(visa), mastercard: byDate(mastercard), gateway });
}

/** The shipped rules, validated once at load. */
export const retryRules: RetryRules = parseRetryRules(retryRulesJson);

/** Picks an edition by name, or the latest in force at nowMs (the earliest if none is yet). */
export function selectEdition<T extends { edition: string; effectiveFromMs: number }>(scheme: string, editions: readonly T[], nowMs: number, wanted?: string): T {
  if (wanted !== undefined) {
    const found = editions.find((edition) => edition.edition === wanted);
    if (found === undefined) {
      throw new ReswipeError('RSW_DECLINE_UNKNOWN_EDITION', { field: 'edition', scheme, value: wanted, known: editions.map((e) => e.edition).join(', ') });
    }
    return found;
  }
  let chosen = editions[0];
  for (const edition of editions) if (edition.effectiveFromMs <= nowMs) chosen = edition;
  if (chosen === undefined) throw new Error(`no ${scheme} retry-rule edition (validated on load, so this is a broken invariant)`);
  return chosen;
}
