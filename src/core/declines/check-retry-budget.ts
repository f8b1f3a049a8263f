// Scheme retry budgets per card fingerprint, shared by automatic and cashier retries
// (retry-rules.json). An attempt beyond its budget is declined locally with advice. Counting is per
// card across all merchants (the strictest reading), except Mastercard's same-merchant-and-amount rule.
// `history` holds the card's earlier UPSTREAM attempts; local declines must not be in it as 'declined'.
import type { CardBrand } from '../vocabulary.ts';
import type { Diagnosis } from './diagnosis.ts';
import type { CardAttemptHistoryEntry, RetryBudgetInput, RetryBudgetResult } from './retry-types.ts';
import { localDecline } from './local-decline.ts';
import { responseCodeTable } from './response-code-table.ts';
import { retryRules, selectEdition, type RetryRules } from './retry-rules.ts';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** History beyond this many entries is ignored (newest kept): a bound on work per decision. */
export const historyEntriesMax = 1000;

interface Block {
  kind: 'never' | 'later';
  untilMs: number;
  code: string;
  rule: string;
}

function isUpstreamDecline(entry: CardAttemptHistoryEntry, nowMs: number): boolean {
  return entry.outcome === 'declined' && entry.responseCode !== null && entry.atMs <= nowMs;
}

/** untilMs at which the count of `times` inside a sliding window drops to `allowed`, or null if already within. */
function windowFreeAtMs(times: readonly number[], allowed: number, windowMs: number): number | null {
  if (times.length <= allowed) return null;
  const sorted = [...times].sort((a, b) => a - b);
  return (sorted[sorted.length - 1 - allowed] as number) + windowMs;
}

function visaBlocks(declines: readonly CardAttemptHistoryEntry[], nowMs: number, rules: RetryRules, edition?: string): Block[] {
  const ed = selectEdition('visa', rules.visa, nowMs, edition !== undefined && rules.visa.some((e) => e.edition === edition) ? edition : undefined);
  const blocks: Block[] = [];
  const cat1WindowMs = ed.category1.windowDays * dayMs;
  const cat234WindowMs = ed.categories2to4.windowDays * dayMs;
  const counted: number[] = [];
  for (const entry of declines) {
    const code = (entry.responseCode as string).toUpperCase();
    const category = responseCodeTable.byCode.get(code)?.visaCategory[ed.categoryList] ?? 4;
    if (category === null) continue;
    if (category === 1) {
      if (nowMs < entry.atMs + cat1WindowMs && ed.category1.reattemptsMax === 0) {
        blocks.push({ kind: 'never', untilMs: entry.atMs + cat1WindowMs, code, rule: `Visa category 1 (edition ${ed.edition}): the issuer will never approve; any reattempt is charged` });
      }
    } else if (nowMs - entry.atMs < cat234WindowMs) {
      counted.push(entry.atMs);
    }
  }
  // A first decline plus reattemptsMax reattempts: the next attempt is allowed while declines <= reattemptsMax.
  const freeAtMs = windowFreeAtMs(counted, ed.categories2to4.reattemptsMax, cat234WindowMs);
  if (freeAtMs !== null) {
    blocks.push({
      kind: 'later',
      untilMs: freeAtMs,
      code: '65',
      rule: `Visa categories 2-4 (edition ${ed.edition}): at most ${ed.categories2to4.reattemptsMax} reattempts in ${ed.categories2to4.windowDays} days`,
    });
  }
  return blocks;
}

function mastercardBlocks(declines: readonly CardAttemptHistoryEntry[], input: RetryBudgetInput, rules: RetryRules): Block[] {
  const ed = selectEdition('mastercard', rules.mastercard, input.nowMs, input.edition === undefined || rules.mastercard.some((e) => e.edition === input.edition) ? input.edition : undefined);
  const blocks: Block[] = [];
  const nowMs = input.nowMs;
  for (const entry of declines) {
    const mac = entry.mastercardAdviceCode;
    if (mac === undefined) continue;
    if (ed.neverAdviceCodes.includes(mac) && nowMs < entry.atMs + ed.neverWindowDays * dayMs) {
      blocks.push({ kind: 'never', untilMs: entry.atMs + ed.neverWindowDays * dayMs, code: (entry.responseCode as string).toUpperCase(), rule: `Mastercard MAC ${mac}: do not try again` });
    }
    const waitSeconds = ed.adviceCodeWaitSeconds[mac];
    if (waitSeconds !== undefined && nowMs < entry.atMs + waitSeconds * 1000) {
      blocks.push({ kind: 'later', untilMs: entry.atMs + waitSeconds * 1000, code: '65', rule: `Mastercard MAC ${mac}: retry only after ${formatDuration(waitSeconds, 'en')}` });
    }
  }
  const dayWindowMs = ed.declinesWindowHours * hourMs;
  const recent = declines.filter((entry) => nowMs - entry.atMs < dayWindowMs).map((entry) => entry.atMs);
  // "Above N declines in the window is charged": the next attempt may be decline N+1, so stop at N.
  const dayFree = windowFreeAtMs(recent, ed.declinesMax - 1, dayWindowMs);
  if (dayFree !== null) {
    blocks.push({ kind: 'later', untilMs: dayFree, code: '65', rule: `Mastercard (edition ${ed.edition}): at most ${ed.declinesMax} declines per card in ${ed.declinesWindowHours} hours` });
  }
  const sameWindowMs = ed.sameMerchantAmountWindowDays * dayMs;
  const same = declines
    .filter((entry) => entry.merchantId === input.merchantId && entry.amountMinor === input.amountMinor && nowMs - entry.atMs < sameWindowMs)
    .map((entry) => entry.atMs);
  const sameFree = windowFreeAtMs(same, ed.sameMerchantAmountReattemptsMax, sameWindowMs);
  if (sameFree !== null) {
    blocks.push({
      kind: 'later',
      untilMs: sameFree,
      code: '65',
      rule: `Mastercard (edition ${ed.edition}): at most ${ed.sameMerchantAmountReattemptsMax} reattempts per card, merchant and amount in ${ed.sameMerchantAmountWindowDays} days`,
    });
  }
  return blocks;
}

function gatewayBlocks(declines: readonly CardAttemptHistoryEntry[], input: RetryBudgetInput, rules: RetryRules): Block[] {
  const blockMs = rules.gateway.neverVerdictBlockHours * hourMs;
  const blocks: Block[] = [];
  for (const entry of declines) {
    if (entry.merchantId !== input.merchantId || input.nowMs >= entry.atMs + blockMs) continue;
    const code = (entry.responseCode as string).toUpperCase();
    const known = responseCodeTable.byCode.get(code);
    if (known?.verdict === 'never' && rules.gateway.neverVerdictCategories.includes(known.category)) {
      blocks.push({ kind: 'never', untilMs: entry.atMs + blockMs, code, rule: `reswipe policy: a card declined with verdict never (${known.category}) is not sent again at this merchant for ${rules.gateway.neverVerdictBlockHours} hours` });
    }
  }
  return blocks;
}

/** Human duration for advice: '45 min', '3 h', '2 days' / '45分钟', '3小时', '2天'. */
export function formatDuration(seconds: number, lang: 'zh' | 'en'): string {
  if (seconds < 3600) {
    const minutes = Math.max(1, Math.ceil(seconds / 60));
    return lang === 'zh' ? `${minutes}分钟` : `${minutes} min`;
  }
  if (seconds < 2 * 86400) {
    const hours = Math.ceil(seconds / 3600);
    return lang === 'zh' ? `${hours}小时` : `${hours} h`;
  }
  const days = Math.ceil(seconds / 86400);
  return lang === 'zh' ? `${days}天` : `${days} days`;
}

function brandName(brand: CardBrand): string {
  return brand === 'unionpay' ? 'UnionPay' : brand === 'mastercard' ? 'Mastercard' : brand === 'visa' ? 'Visa' : brand;
}

function blockDiagnosis(block: Block, brand: CardBrand, nowMs: number): Diagnosis {
  if (block.kind === 'never') {
    return localDecline(block.code, {
      reason: `${block.rule} (earlier decline ${block.code})`,
      verdict: 'never',
      party: 'scheme',
      cashier: {
        zh: `此卡此前已被拒（应答码${block.code}），按卡组织规则不得再次尝试。请换卡或使用其他支付方式。`,
        en: `This card was already declined (code ${block.code}) and must not be tried again under ${brandName(brand)} rules. Take another card or payment method.`,
      },
      customer: { zh: '此卡暂不能再次尝试，请换卡或使用其他支付方式。', en: 'This card cannot be tried again. Please use another card or payment method.' },
    });
  }
  const waitSeconds = Math.max(1, Math.ceil((block.untilMs - nowMs) / 1000));
  return localDecline('65', {
    meaning: 'Retry budget for this card is used up (declined locally, not sent)',
    reason: block.rule,
    category: 'limits',
    party: 'scheme',
    verdict: 'later',
    waitSeconds,
    cashier: {
      zh: `此卡失败次数过多，卡组织规则要求约${formatDuration(waitSeconds, 'zh')}后再试。请换卡或使用其他支付方式。`,
      en: `Too many declined tries on this card: ${brandName(brand)} rules allow the next try in about ${formatDuration(waitSeconds, 'en')}. Take another card or payment method.`,
    },
    customer: { zh: '此卡暂时不能再次尝试，请换卡或使用其他支付方式。', en: 'This card cannot be tried again right now. Please use another card or payment method.' },
  });
}

/** Whether one more attempt with this card fits every scheme budget; if not, the local decline to give. */
export function checkRetryBudget(input: RetryBudgetInput, rules: RetryRules = retryRules): RetryBudgetResult {
  const history = input.history.length > historyEntriesMax ? [...input.history].sort((a, b) => b.atMs - a.atMs).slice(0, historyEntriesMax) : input.history;
  const declines = history.filter((entry) => isUpstreamDecline(entry, input.nowMs));
  if (input.edition !== undefined && ![...rules.visa, ...rules.mastercard].some((e) => e.edition === input.edition)) {
    // Let selectEdition raise RSW_DECLINE_UNKNOWN_EDITION with the list of known editions.
    if (input.brand === 'mastercard') selectEdition('mastercard', rules.mastercard, input.nowMs, input.edition);
    else selectEdition('visa', rules.visa, input.nowMs, input.edition);
  }
  const blocks = [...gatewayBlocks(declines, input, rules)];
  if (input.brand === 'visa') blocks.push(...visaBlocks(declines, input.nowMs, rules, input.edition));
  if (input.brand === 'mastercard') blocks.push(...mastercardBlocks(declines, input, rules));
  if (blocks.length === 0) return { allowed: true };
  // A never beats any wait; among blocks of one kind the longest decides.
  const never = blocks.filter((block) => block.kind === 'never');
  const pool = never.length > 0 ? never : blocks;
  const worst = pool.reduce((a, b) => (b.untilMs > a.untilMs ? b : a));
  return { allowed: false, diagnosis: blockDiagnosis(worst, input.brand, input.nowMs), untilMs: worst.untilMs };
}
