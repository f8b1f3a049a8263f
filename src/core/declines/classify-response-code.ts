// Turns a DE 39 response code into a Diagnosis using the catalogue. A code the catalogue does not
// know is verdict `fix` and never retried automatically: reswipe cannot prove a retry is safe.
import type { Diagnosis } from './diagnosis.ts';
import { responseCodeTable, type ResponseCodeEntry, type ResponseCodeTable } from './response-code-table.ts';

/** Builds the Diagnosis for a catalogue entry. */
export function diagnosisFromEntry(entry: ResponseCodeEntry): Diagnosis {
  return {
    code: entry.code,
    meaning: entry.meaning,
    outcome: entry.category === 'approved' ? 'approved' : 'declined',
    category: entry.category,
    party: entry.party,
    verdict: entry.verdict,
    waitSeconds: entry.waitSeconds,
    automaticRetry: entry.automaticRetry,
    advice: { cashier: { ...entry.advice.cashier }, customer: { ...entry.advice.customer } },
  };
}

/** The diagnosis of a code missing from the catalogue: `fix`, no automatic retry, report the code. */
export function unknownCodeDiagnosis(code: string): Diagnosis {
  // The code is printed as JSON so odd upstream bytes cannot break the text; it is at most a few characters.
  const shown = JSON.stringify(code.slice(0, 8));
  return {
    code,
    meaning: `Response code ${shown} is not in the catalogue`,
    outcome: 'declined',
    category: 'other',
    party: 'channel',
    verdict: 'fix',
    waitSeconds: null,
    automaticRetry: false,
    advice: {
      cashier: {
        zh: `交易失败（未知应答码 ${shown}）。请勿重复刷卡，改用其他支付方式，并将应答码告知POS服务商。`,
        en: `Declined with an unknown code ${shown}. Do not swipe again; take another payment method and report the code to the POS provider.`,
      },
      customer: {
        zh: '支付未成功，请换卡或使用其他支付方式。',
        en: 'The payment did not go through. Please use another card or payment method.',
      },
    },
  };
}

/** Classifies a DE 39 response code from upstream (case-insensitive; unknown codes get verdict `fix`). */
export function classifyResponseCode(code: string, table: ResponseCodeTable = responseCodeTable): Diagnosis {
  const entry = table.byCode.get(code.toUpperCase());
  return entry === undefined ? unknownCodeDiagnosis(code) : diagnosisFromEntry(entry);
}

/** The diagnosis of an approval: code '00', verdict 'none'. */
export function approvedDiagnosis(): Diagnosis {
  return classifyResponseCode('00');
}
