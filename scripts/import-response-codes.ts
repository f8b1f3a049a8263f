// One-off import: turns ../shared/domain/response-codes.csv into src/core/declines/response-codes.json,
// adding what the CSV lacks (party, waitSeconds, CUPS class, Visa category per rule edition, customer
// advice, automaticRetry). After the import the JSON is the source of truth that people edit; run this
// again only to start over from the CSV (it overwrites the JSON). Usage: npx tsx scripts/import-response-codes.ts [csv] [json]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const csvPath = process.argv[2] ?? `${root}../shared/domain/response-codes.csv`;
const jsonPath = process.argv[3] ?? `${root}src/core/declines/response-codes.json`;

/** RFC 4180 parser: quoted fields, doubled quotes, commas and newlines inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 1; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field); field = '';
      if (row.some((cell) => cell !== '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

// Visa decline categories by list edition (DOMAIN.md §3). Codes not listed are category 4.
const visaCat1: Record<string, readonly string[]> = {
  '2021': ['03', '04', '07', '12', '15', '41', '43', '57', '62', '78', '93', 'R0', 'R1', 'R3'],
  '2024': ['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'],
};
const visaCat2 = ['19', '51', '59', '61', '65', '75', '86', '91', '96', 'N3', 'N4'];
const visaCat3 = ['14', '54', '55', 'N7', '82', '1A'];

function visaCategory(code: string, edition: string, approved: boolean): number | null {
  if (approved) return null;
  if ((visaCat1[edition] ?? []).includes(code)) return 1;
  if (visaCat2.includes(code)) return 2;
  if (visaCat3.includes(code)) return 3;
  return 4;
}

const partyByCategory: Record<string, string> = {
  approved: 'issuer', card_data: 'cardholder', insufficient_funds: 'cardholder', limits: 'cardholder',
  network: 'channel', issuer_unavailable: 'issuer', merchant_permission: 'merchant', card_status: 'cardholder',
  fraud_risk: 'issuer', pin: 'cardholder', terminal_setup: 'terminal', duplicate: 'gateway',
  original_txn: 'merchant', format_system: 'channel', referral: 'cardholder', reserved: 'channel', other: 'merchant',
};
const partyOverride: Record<string, string> = {
  '04': 'issuer', '07': 'issuer', '41': 'issuer', '43': 'issuer', '12': 'issuer', '13': 'merchant', '15': 'scheme',
  '17': 'cardholder', '22': 'terminal', '30': 'terminal', '31': 'channel', '81': 'terminal', '86': 'issuer',
  '90': 'scheme', '92': 'channel', '95': 'terminal', '96': 'scheme', 'A7': 'scheme', 'N3': 'issuer', 'N4': 'cardholder',
};

// Seconds to wait for `later` codes: how long the condition usually lasts (cashier text where it says so).
const waitSeconds: Record<string, number> = {
  '06': 300, '09': 30, '20': 300, '28': 600, '29': 600, '65': 86400, '68': 60, '81': 60, '86': 600,
  '90': 600, '91': 180, '92': 300, '96': 600, '98': 120, A7: 300, N3: 86400, N4: 86400,
};

// Codes where the gateway may retry by itself (same or another channel, within its budget): the
// request provably was not approved and nobody at the counter has to act first.
const automaticRetry = new Set(['06', '28', '68', '90', '91', '92', '96', '98', '99', 'A0', 'A7']);

const pickUp = new Set(['04', '07', '33', '34', '35', '36', '37', '41', '43', '67']);

/** CUPS handling class (A success, B may retry, C do not retry, D operator action, E system fault). Derived, see docs/declines.md. */
function cupsClass(code: string, category: string, verdict: string): string {
  if (category === 'approved') return 'A';
  if (pickUp.has(code)) return 'D';
  if (verdict === 'now' || verdict === 'later') return 'B';
  if (category === 'format_system' || category === 'terminal_setup' || category === 'reserved') return 'E';
  return 'C';
}

type Text = { en: string; zh: string };
const customerByCategory: Record<string, Text> = {
  approved: { en: 'Payment successful.', zh: '支付成功。' },
  card_data: { en: 'The card details were not accepted. Please try again or use another card.', zh: '卡片信息未通过验证，请重试或换卡支付。' },
  insufficient_funds: { en: 'The payment was declined: insufficient balance. Please use another card or a smaller amount.', zh: '余额不足，请换卡或减少金额后支付。' },
  limits: { en: 'The amount is over what this card allows right now. Please try a smaller amount or another card.', zh: '金额超出此卡当前限额，请减少金额或换卡支付。' },
  network: { en: 'The bank did not answer in time. Please wait a moment; you will not be charged twice.', zh: '银行未及时应答，请稍候，不会重复扣款。' },
  issuer_unavailable: { en: 'Your bank is temporarily unavailable. Please try again in a few minutes or use another card.', zh: '发卡银行暂时无法处理，请几分钟后重试或换卡支付。' },
  merchant_permission: { en: 'This shop cannot accept this card for this payment. Please use another card or payment method.', zh: '本店暂不能受理此卡，请换卡或使用其他支付方式。' },
  card_status: { en: 'Your bank declined this card. Please use another card or payment method, or contact your bank.', zh: '发卡银行拒绝了此卡，请换卡或使用其他支付方式，或联系发卡银行。' },
  fraud_risk: { en: 'Your bank declined this payment. Please use another card or payment method, or contact your bank.', zh: '发卡银行拒绝了本次支付，请换卡或使用其他支付方式，或联系发卡银行。' },
  pin: { en: 'The PIN could not be accepted. Please try again or contact your bank.', zh: '密码未通过验证，请重试或联系发卡银行。' },
  terminal_setup: { en: 'The terminal needs a moment. Please wait, or use another payment method.', zh: '终端需要处理，请稍候或使用其他支付方式。' },
  duplicate: { en: 'This payment is already being processed. Please wait; you will not be charged twice.', zh: '本笔支付正在处理中，请稍候，不会重复扣款。' },
  original_txn: { en: 'The original payment could not be matched. The cashier will check it.', zh: '未找到原交易，收银员将核实。' },
  format_system: { en: 'A system problem stopped this payment. Please try again shortly or use another payment method.', zh: '系统异常，请稍后重试或使用其他支付方式。' },
  referral: { en: 'Your bank asks you to contact them. Please call your bank or use another card.', zh: '发卡银行要求您联系银行，请致电发卡银行或换卡支付。' },
  reserved: { en: 'The payment did not go through. Please use another card or payment method.', zh: '支付未成功，请换卡或使用其他支付方式。' },
  other: { en: 'The payment did not go through. Please use another card or payment method.', zh: '支付未成功，请换卡或使用其他支付方式。' },
};
// Per-code customer text where the category text would mislead. None of these may mention loss, theft or fraud.
const customerOverride: Record<string, Text> = {
  '09': { en: 'This payment is still being processed. Please wait; do not pay again yet.', zh: '本笔支付仍在处理中，请稍候，暂勿重复支付。' },
  '10': { en: 'Only part of the amount was approved. Please pay the rest another way.', zh: '仅部分金额支付成功，剩余金额请用其他方式支付。' },
  '13': { en: 'The amount was not accepted. The cashier will check it.', zh: '金额未被受理，收银员将核实。' },
  '17': { en: 'The payment was cancelled.', zh: '支付已取消。' },
  '18': { en: 'The payment did not go through. Please use another card or payment method.', zh: '支付未成功，请换卡或使用其他支付方式。' },
  '19': { en: 'The card could not be read. Please insert, tap or swipe it again.', zh: '读卡失败，请重新插卡、挥卡或刷卡。' },
  '21': { en: 'This card is not active. Please activate it with your bank or use another card.', zh: '此卡未激活，请联系发卡银行激活或换卡支付。' },
  '33': { en: 'This card has expired. Please use another card.', zh: '此卡已过期，请换卡支付。' },
  '38': { en: 'Too many wrong PIN attempts. Please contact your bank or use another card.', zh: '密码错误次数超限，请联系发卡银行或换卡支付。' },
  '45': { en: 'Please insert the card into the chip reader instead of swiping.', zh: '请插入芯片卡，不要刷磁条。' },
  '54': { en: 'This card has expired. Please use another card.', zh: '此卡已过期，请换卡支付。' },
  '55': { en: 'The PIN was incorrect. Please enter it again.', zh: '密码错误，请重新输入。' },
  '75': { en: 'Too many wrong PIN attempts. Please contact your bank or use another card.', zh: '密码错误次数超限，请联系发卡银行或换卡支付。' },
  '85': { en: 'The card was verified. No payment was made.', zh: '卡片验证通过，未发生扣款。' },
  '94': { en: 'This payment may already have gone through. The cashier will check before you pay again.', zh: '本笔支付可能已成功，请收银员核实后再决定是否重新支付。' },
  '99': { en: 'The terminal is reconnecting securely. Please wait a moment and try again.', zh: '终端正在重新签到，请稍候重试。' },
  A0: { en: 'The terminal is reconnecting securely. Please wait a moment and try again.', zh: '终端正在重新签到，请稍候重试。' },
  A2: { en: 'Payment successful.', zh: '支付成功。' },
  A4: { en: 'Payment successful.', zh: '支付成功。' },
  A5: { en: 'Payment successful.', zh: '支付成功。' },
  A6: { en: 'Payment successful.', zh: '支付成功。' },
  N7: { en: 'The security code was not accepted. Please enter it again or use another card.', zh: '安全码（CVN）未通过验证，请重新输入或换卡支付。' },
  '1A': { en: 'Your bank needs extra verification. Please insert the card and enter your PIN.', zh: '发卡银行需要进一步验证，请插卡并输入密码。' },
};

// Chinese meanings were written by hand after the first import; a re-import keeps them.
const previous = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as { codes?: Array<{ code: string; meaningZh?: string }> }) : {};
const meaningZh = new Map((previous.codes ?? []).map((entry) => [entry.code, entry.meaningZh]));

const rows = parseCsv(readFileSync(csvPath, 'utf8'));
const header = rows[0] ?? [];
const col = (name: string): number => {
  const index = header.indexOf(name);
  if (index < 0) throw new Error(`column ${name} missing from ${csvPath}`);
  return index;
};
const codes = rows.slice(1).map((row) => {
  const get = (name: string): string => (row[col(name)] ?? '').trim();
  const code = get('code');
  const category = get('category');
  const verdict = get('verdict');
  const approved = category === 'approved';
  const mastercardNote = get('mastercard_note');
  return {
    code,
    meaning: get('meaning'),
    meaningZh: meaningZh.get(code) ?? get('meaning'),
    category,
    party: partyOverride[code] ?? partyByCategory[category] ?? 'channel',
    verdict,
    waitSeconds: verdict === 'later' ? (waitSeconds[code] ?? 300) : null,
    automaticRetry: automaticRetry.has(code),
    cupsClass: cupsClass(code, category, verdict),
    visaCategory: { '2021': visaCategory(code, '2021', approved), '2024': visaCategory(code, '2024', approved) },
    visaCategorySourceNote: get('visa_category'),
    ...(mastercardNote === '' ? {} : { mastercardNote }),
    advice: {
      cashier: { zh: get('cashier_advice_zh'), en: get('cashier_advice_en') },
      customer: customerOverride[code] ?? customerByCategory[category] ?? customerByCategory.other,
    },
    source: get('source'),
  };
});

const document = {
  $comment: 'Response-code catalogue (DE 39). Source of truth; edit here. Imported once from ../shared/domain/response-codes.csv by scripts/import-response-codes.ts. Validated on load by src/core/declines/response-code-table.ts.',
  edition: '2026-11',
  visaCategoryEditions: ['2021', '2024'],
  codes,
};
writeFileSync(jsonPath, `${JSON.stringify(document, null, 2)}\n`);
console.log(`wrote ${codes.length} codes to ${jsonPath}`);
