// The DE 39 a terminal gets for a QR sale (docs/terminal-link.md#qr-sales). A QR diagnosis carries the
// provider's own code (NOTENOUGH, ACQ.TRADE_HAS_CLOSE), which no terminal understands and DE 39 (an2)
// cannot hold: the terminal gets the ISO 8583 code of the same meaning, chosen by the outcome and the
// catalogue's cause category; the cashier text in DE 63 stays the provider code's own advice.
import type { Diagnosis } from '../declines/diagnosis.ts';
import type { CauseCategory } from '../vocabulary.ts';

/** The card code of the same meaning for a declined QR sale, by the cause the catalogue gives its provider code. */
const declinedCodeByCategory: Readonly<Record<CauseCategory, string>> = Object.freeze({
  approved: '00',
  card_data: '14',
  insufficient_funds: '51',
  network: '91',
  merchant_permission: '58',
  card_status: '62',
  fraud_risk: '59',
  pin: '55',
  limits: '61',
  issuer_unavailable: '91',
  terminal_setup: '58',
  duplicate: '94',
  original_txn: '12',
  format_system: '96',
  referral: '01',
  reserved: '05',
  other: '05',
});

/** DE 39 for a QR sale's diagnosis: reswipe's own two-character codes as they are, a provider's code mapped by outcome and category. */
export function terminalResponseCodeOfQr(diagnosis: Pick<Diagnosis, 'code' | 'outcome' | 'category'>): string {
  if (/^[0-9A-Z]{2}$/.test(diagnosis.code)) return diagnosis.code;
  switch (diagnosis.outcome) {
    case 'approved':
      return '00';
    case 'unknown':
    case 'reversed':
      return '98';
    case 'not_sent':
      return '96';
    case 'declined':
      return declinedCodeByCategory[diagnosis.category] ?? '05';
  }
}
