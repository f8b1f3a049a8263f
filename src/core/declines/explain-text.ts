// Human and machine renderings of catalogue entries, symptoms and diagnoses, shared by
// `reswipe explain`, the HTTP routes and the generated docs.
import type { Language } from '../vocabulary.ts';
import type { Diagnosis } from './diagnosis.ts';
import type { ResponseCodeEntry } from './response-code-table.ts';
import type { Symptom, SymptomGuide } from './symptoms.ts';
import { diagnosisFromEntry } from './classify-response-code.ts';
import { terminalVerdictText } from './terminal-text.ts';

/** The JSON `reswipe explain --json` prints and GET /v1/decline-codes/{code} returns. */
export interface CodeExplanation {
  code: string;
  meaning: string;
  /** The meaning in Chinese (catalogue codes; unknown codes and outcomes get a generic text). */
  meaningZh: string;
  outcome: Diagnosis['outcome'];
  category: Diagnosis['category'];
  party: Diagnosis['party'];
  verdict: Diagnosis['verdict'];
  waitSeconds: number | null;
  automaticRetry: boolean;
  advice: Diagnosis['advice'];
  terminalVerdict: string;
  cupsClass: string | null;
  visaCategory: Record<string, number | null> | null;
  mastercardNote: string | null;
  source: string | null;
  known: boolean;
}

/** Explanation of a catalogue entry, or of a diagnosis for a code the catalogue lacks. */
export function explainEntry(entry: ResponseCodeEntry | undefined, fallback: Diagnosis, fallbackMeaningZh?: string): CodeExplanation {
  const d = entry === undefined ? fallback : diagnosisFromEntry(entry);
  return {
    code: d.code,
    meaning: d.meaning,
    meaningZh: entry?.meaningZh ?? fallbackMeaningZh ?? `应答码 ${JSON.stringify(d.code.slice(0, 8))} 不在目录中`,
    outcome: d.outcome,
    category: d.category,
    party: d.party,
    verdict: d.verdict,
    waitSeconds: d.waitSeconds,
    automaticRetry: d.automaticRetry,
    advice: d.advice,
    terminalVerdict: terminalVerdictText(d),
    cupsClass: entry?.cupsClass ?? null,
    visaCategory: entry === undefined ? null : { ...entry.visaCategory },
    mastercardNote: entry?.mastercardNote ?? null,
    source: entry?.source ?? null,
    known: entry !== undefined,
  };
}

export const verdictWords: Record<Diagnosis['verdict'], Record<Language, string>> = {
  none: { en: 'approved, nothing to retry', zh: '成功，无需重试' },
  now: { en: 'may retry now', zh: '可立即重试' },
  later: { en: 'retry later', zh: '稍后重试' },
  fix: { en: 'someone must act first', zh: '需先处理再重试' },
  never: { en: 'do not retry this card', zh: '此卡不得重试' },
  wait: { en: 'outcome unknown: wait, do not swipe again', zh: '结果未知：请等待，勿重复刷卡' },
};

export const partyWords: Record<Diagnosis['party'], Record<Language, string>> = {
  cardholder: { en: 'cardholder', zh: '持卡人' },
  issuer: { en: 'issuer (card bank)', zh: '发卡行' },
  scheme: { en: 'card scheme / switch', zh: '卡组织/转接' },
  channel: { en: 'acquiring channel', zh: '收单通道' },
  gateway: { en: 'gateway (reswipe)', zh: '网关' },
  terminal: { en: 'terminal', zh: '终端' },
  merchant: { en: 'merchant', zh: '商户' },
};

function waitText(seconds: number | null, lang: Language): string {
  if (seconds === null) return '';
  return lang === 'zh' ? `（约${seconds}秒后）` : ` (after about ${seconds} s)`;
}

/** Human text for one code in one language. */
export function formatCodeExplanation(x: CodeExplanation, lang: Language): string {
  const lines = lang === 'zh'
    ? [
        `应答码 ${x.code}：${x.meaningZh}`,
        `原因类别：${x.category}    责任方：${partyWords[x.party].zh}`,
        `结论：${verdictWords[x.verdict].zh}${waitText(x.waitSeconds, 'zh')}    终端 DE44：${x.terminalVerdict}    网关自动重试：${x.automaticRetry ? '允许' : '不允许'}`,
        `收银员：${x.advice.cashier.zh}`,
        `顾客：${x.advice.customer.zh}`,
      ]
    : [
        `Code ${x.code}: ${x.meaning}`,
        `Category: ${x.category}    Who must act: ${partyWords[x.party].en}`,
        `Verdict: ${verdictWords[x.verdict].en}${waitText(x.waitSeconds, 'en')}    terminal DE 44: ${x.terminalVerdict}    gateway retries itself: ${x.automaticRetry ? 'yes' : 'no'}`,
        `Cashier: ${x.advice.cashier.en}`,
        `Customer: ${x.advice.customer.en}`,
      ];
  if (x.cupsClass !== null || x.visaCategory !== null) {
    const visa = x.visaCategory === null ? '-' : Object.entries(x.visaCategory).map(([ed, cat]) => `${ed}: ${cat ?? '-'}`).join(', ');
    lines.push(lang === 'zh' ? `银联处理类：${x.cupsClass ?? '-'}    Visa 拒绝类别：${visa}` : `CUPS class: ${x.cupsClass ?? '-'}    Visa decline category: ${visa}`);
  }
  if (x.mastercardNote !== null) lines.push(`Mastercard: ${x.mastercardNote}`);
  if (!x.known) lines.push(lang === 'zh' ? '此应答码不在目录中：按“需先处理”对待，网关不会自动重试。' : 'This code is not in the catalogue: treated as fix, never retried automatically.');
  return lines.join('\n');
}

/** Human text for one symptom in one language: title, causes, then numbered steps. */
export function formatSymptom(symptom: Symptom, guide: SymptomGuide, lang: Language): string {
  const lines = [lang === 'zh' ? `症状：${symptom.title.zh}（${symptom.id}）` : `Symptom: ${symptom.title.en} (${symptom.id})`];
  lines.push(lang === 'zh' ? '可能原因：' : 'Likely causes:');
  for (const cause of symptom.causes) lines.push(`  - ${cause[lang]}`);
  lines.push(lang === 'zh' ? `结论：${verdictWords[symptom.verdict].zh}${waitText(symptom.waitSeconds, 'zh')}` : `Verdict: ${verdictWords[symptom.verdict].en}${waitText(symptom.waitSeconds, 'en')}`);
  lines.push(lang === 'zh' ? '处理步骤：' : 'Steps:');
  symptom.steps.forEach((step, i) => lines.push(`  ${i + 1}. [${guide.stepKinds[step.kind]?.[lang] ?? step.kind}] ${step.text[lang]}`));
  if (symptom.relatedCodes.length > 0) lines.push(`${lang === 'zh' ? '相关应答码' : 'Related codes'}: ${symptom.relatedCodes.join(', ')}`);
  return lines.join('\n');
}
