// The demo's shop floor as data: two merchants (one that cannot take credit cards), their terminals,
// the fee plans, and the scripted traffic. Each lane is one terminal (or the HTTP API) working
// through its steps in order, like a cashier; lanes run side by side. Together the steps show every
// cause the source article names (wrong card data, no balance, network faults, merchant permission,
// expired or frozen card) plus the sales reswipe recovers by itself.
import { magicFaultAmountBaseMinor, magicCodeAmountBaseMinor } from '../../sim/issuer/test-cards.ts';
import type { EntryChoice } from '../terminal-emulator/terminal-session.ts';

export const demoMerchants = [
  { id: '898110053110001', name: 'Lotus Supermarket', mcc: '5411', feePlan: 'standard', terminals: ['T0000001', 'T0000002', 'T0000003', 'T0000004', 'T0000007'] },
  // Accepts no credit cards: the article's "merchant lacks permission" cause.
  { id: '898110058120002', name: 'Old Street Noodles', mcc: '5812', feePlan: 'catering-promo', accepts: ['debit', 'prepaid'], terminals: ['T0000005', 'T0000006'] },
] as const;

export const lotusId = demoMerchants[0].id;
export const noodlesId = demoMerchants[1].id;

/** A promotional catering plan (the article's "promotional and industry rates") beside the built-in standard plan. */
export const demoFeePlans = {
  comment: 'Written by reswipe demo: a promotional catering plan next to the built-in standard plan.',
  plans: [
    {
      name: 'catering-promo',
      description: 'Promotional catering rates: debit 0.38 % capped at ¥20, prepaid 0.38 %.',
      currency: 'CNY',
      rounding: 'half-up',
      refundPolicy: 'not_refunded',
      methods: { debit: { rateBps: 38, capMinor: 2000 }, prepaid: { rateBps: 38 }, credit: { rateBps: 60 }, 'quasi-credit': { rateBps: 60 }, wechat: { rateBps: 38 }, alipay: { rateBps: 38 }, 'unionpay-qr': { rateBps: 60 }, 'digital-rmb': { rateBps: 0 } },
      settlement: { d0: { perTransactionMinor: 200 } },
    },
  ],
} as const;

/** The article's five causes, plus what reswipe adds: the scene each step illustrates. */
export const demoCauses = ['everyday', 'card_data', 'insufficient_funds', 'network', 'merchant_permission', 'card_status', 'recovery'] as const;
export type DemoCause = (typeof demoCauses)[number];

export type DemoStep =
  | {
      kind: 'sale';
      cause: DemoCause;
      /** What the cashier sees happen, one line. */
      note: string;
      card: string;
      amountMinor: number;
      entry: EntryChoice;
      expiry?: string;
      cvv?: string;
      /** The primary bank misbehaves on exactly this sale (the simulator's fault rate, armed for one request). */
      primaryFault?: PrimaryFault;
    }
  /** The terminal resends its previous request unchanged (same trace and DE 7): reswipe must answer with the original, never charge twice. */
  | { kind: 'resend'; cause: DemoCause; note: string };

/** Faults the demo can arm on the primary bank for one sale (simulator fault-rate names). */
export type PrimaryFault = 'noReply' | 'drop' | 'dropAfterProcessing';

export interface DemoLane {
  name: string;
  /** `cups-pos` or `iso87-ascii` terminal listener, or the HTTP API. */
  via: 'cups-pos' | 'iso87-ascii' | 'http';
  merchantId: string;
  terminalId: string | null;
  steps: readonly DemoStep[];
}

const faultAmount = (n: number) => magicFaultAmountBaseMinor + n;
const codeAmount = (code: number) => magicCodeAmountBaseMinor + code;

/** Everyday approvals: the bulk of a shop's day, on many card kinds and entry modes. */
function everydaySales(count: number, seed: number): DemoStep[] {
  const cards = ['icbc-debit-ok', 'cmb-credit-ok', 'visa-credit-ok', 'mastercard-credit-ok', 'boc-quasi-credit-ok', 'pingan-prepaid-ok', 'mastercard-debit-ok', 'jcb-credit-ok', 'psbc-81-no-luhn', 'visa-debit-ok'];
  const entries: EntryChoice[] = ['chip', 'tap', 'chip', 'swipe', 'tap'];
  let state = seed >>> 0;
  const next = () => {
    // A small LCG: the demo's amounts are varied but the same every run.
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state;
  };
  const steps: DemoStep[] = [];
  for (let index = 0; index < count; index++) {
    const card = cards[next() % cards.length] ?? 'icbc-debit-ok';
    const amountMinor = 500 + (next() % 38_000); // ¥5.00 .. ¥385.00, never a magic amount
    steps.push({ kind: 'sale', cause: 'everyday', note: 'everyday sale', card, amountMinor, entry: entries[next() % entries.length] ?? 'chip' });
  }
  return steps;
}

/** Phase one: every cause, lanes side by side. */
export const demoLanes: readonly DemoLane[] = [
  { name: 'checkout 1', via: 'cups-pos', merchantId: lotusId, terminalId: 'T0000001', steps: everydaySales(10, 1) },
  {
    name: 'checkout 2 (wrong card data)',
    via: 'iso87-ascii',
    merchantId: lotusId,
    terminalId: 'T0000002',
    steps: [
      { kind: 'sale', cause: 'card_data', note: 'card number keyed with a typo (Luhn fails): declined before anything is sent', card: '6222020000000000019', amountMinor: 4_280, entry: 'manual' },
      { kind: 'sale', cause: 'everyday', note: 'cashier re-keys the number correctly: approved', card: 'icbc-debit-ok', amountMinor: 4_280, entry: 'manual' },
      { kind: 'sale', cause: 'card_data', note: 'expiry keyed as 2001 (in the past): declined locally, the field is named', card: 'cmb-credit-ok', amountMinor: 12_900, entry: 'manual', expiry: '2001' },
      { kind: 'sale', cause: 'everyday', note: 'expiry re-keyed: approved', card: 'cmb-credit-ok', amountMinor: 12_900, entry: 'manual' },
      { kind: 'sale', cause: 'card_data', note: 'Visa CVV2 does not match (N7): fix the data or use another card', card: 'visa-credit-cvv-fails', amountMinor: 6_600, entry: 'manual', cvv: '321' },
    ],
  },
  {
    name: 'checkout 3 (balance and card status)',
    via: 'cups-pos',
    merchantId: lotusId,
    terminalId: 'T0000003',
    steps: [
      { kind: 'sale', cause: 'insufficient_funds', note: 'debit card with ¥50 left, sale of ¥100 (51): customer pays less or with another card', card: 'ccb-debit-low-balance', amountMinor: 10_000, entry: 'chip' },
      { kind: 'sale', cause: 'everyday', note: 'same card, smaller amount: approved', card: 'ccb-debit-low-balance', amountMinor: 3_000, entry: 'chip' },
      { kind: 'sale', cause: 'insufficient_funds', note: 'Visa debit with ¥10 left (51)', card: 'visa-debit-low-balance', amountMinor: 8_800, entry: 'tap' },
      { kind: 'sale', cause: 'card_status', note: 'card expired at the issuer (54): never retry this card', card: 'ccb-debit-expired', amountMinor: 5_500, entry: 'chip' },
      { kind: 'sale', cause: 'card_status', note: 'frozen account (62)', card: 'ccb-debit-frozen', amountMinor: 7_700, entry: 'chip' },
      { kind: 'sale', cause: 'card_status', note: 'card reported lost (41)', card: 'icbc-debit-lost', amountMinor: 2_300, entry: 'swipe' },
      { kind: 'sale', cause: 'card_status', note: 'prepaid card never activated (21)', card: 'pingan-prepaid-not-activated', amountMinor: 1_800, entry: 'tap' },
    ],
  },
  {
    name: 'noodles (merchant permission)',
    via: 'cups-pos',
    merchantId: noodlesId,
    terminalId: 'T0000005',
    steps: [
      { kind: 'sale', cause: 'merchant_permission', note: 'credit card at a shop that takes no credit cards: declined locally, nothing sent', card: 'cmb-credit-ok', amountMinor: 6_800, entry: 'chip' },
      { kind: 'sale', cause: 'everyday', note: 'customer pays with a debit card: approved', card: 'icbc-debit-ok', amountMinor: 6_800, entry: 'chip' },
      { kind: 'sale', cause: 'merchant_permission', note: 'Visa credit, same shop: declined locally', card: 'visa-credit-ok', amountMinor: 3_200, entry: 'tap' },
      { kind: 'sale', cause: 'everyday', note: 'prepaid card: approved', card: 'pingan-prepaid-ok', amountMinor: 3_200, entry: 'tap' },
    ],
  },
  {
    name: 'checkout 7 (bank busy)',
    via: 'cups-pos',
    merchantId: lotusId,
    terminalId: 'T0000007',
    steps: [
      { kind: 'sale', cause: 'network', note: 'issuer or switch inoperative (91) on both banks: retry later', card: 'icbc-debit-ok', amountMinor: codeAmount(91), entry: 'chip' },
    ],
  },
  {
    name: 'web shop (HTTP API)',
    via: 'http',
    merchantId: lotusId,
    terminalId: null,
    steps: [
      { kind: 'sale', cause: 'everyday', note: 'online order paid over the HTTP API', card: 'visa-credit-ok', amountMinor: 25_800, entry: 'manual' },
      { kind: 'resend', cause: 'everyday', note: 'the client retries with the same Idempotency-Key: the first answer, no second charge' },
      { kind: 'sale', cause: 'insufficient_funds', note: 'online order, low balance (51)', card: 'ccb-debit-low-balance', amountMinor: 9_900, entry: 'manual' },
      { kind: 'sale', cause: 'card_data', note: 'online order with a wrong CVV2 (N7)', card: 'visa-credit-cvv-fails', amountMinor: 4_500, entry: 'manual', cvv: '999' },
    ],
  },
];

/** Phase one b: the bank link misbehaves (magic fault amounts); run after phase one so a dropped connection hits only these sales. */
export const networkLanes: readonly DemoLane[] = [
  {
    name: 'noodles 2 (no reply)',
    via: 'cups-pos',
    merchantId: noodlesId,
    terminalId: 'T0000006',
    steps: [
      { kind: 'sale', cause: 'network', note: 'the bank never answers: reswipe reverses to be sure and answers 98 with the verdict', card: 'icbc-debit-ok', amountMinor: faultAmount(1), entry: 'tap' },
    ],
  },
  {
    name: 'checkout 7 (connection drop)',
    via: 'cups-pos',
    merchantId: lotusId,
    terminalId: 'T0000007',
    steps: [
      { kind: 'sale', cause: 'network', note: 'the bank link drops after charging: reversed, the customer is not charged', card: 'cmb-credit-ok', amountMinor: faultAmount(5), entry: 'chip' },
    ],
  },
];

/**
 * Phase one c: the primary bank stops answering anything, reversals included, while a sale's reply is
 * lost after the charge. reswipe cannot confirm the reversal before the terminal's deadline, so it
 * answers WAIT; the reversal completes once the bank answers again.
 */
export const waitLane: DemoLane = {
  name: 'checkout 4 (bank silent)',
  via: 'cups-pos',
  merchantId: lotusId,
  terminalId: 'T0000004',
  steps: [
    { kind: 'sale', cause: 'network', note: 'charged, reply lost, and the bank ignores the reversal too: WAIT, do not re-swipe', card: 'icbc-debit-ok', amountMinor: faultAmount(2), entry: 'chip' },
    { kind: 'resend', cause: 'network', note: 'the terminal resends the same request anyway: the same answer, never a second charge' },
  ],
};

/**
 * Phase one d: the primary bank fails one sale at a time, the way a flaky link does (not a magic amount, so
 * the backup bank is not hit by the same fault). Each unknown outcome is reversed on the primary; once the
 * reversal is confirmed no money moved, and the sale is retried at once on the next healthy channel.
 */
export const recoveryLane: DemoLane = {
  name: 'checkout 2 (flaky primary bank)',
  via: 'iso87-ascii',
  merchantId: lotusId,
  terminalId: 'T0000002',
  // A flaky link fails one sale in several: each fault follows an everyday sale, whose answer also resets the
  // breaker's run of failures (the earlier phases left some on the primary), so the faulty sale goes there.
  steps: [
    { kind: 'sale', cause: 'everyday', note: 'everyday sale on the primary bank', card: 'mastercard-debit-ok', amountMinor: 1_990, entry: 'tap' },
    { kind: 'sale', cause: 'recovery', note: 'the primary bank swallows the sale: reversed there (nothing was charged), then approved on a retry', card: 'icbc-debit-ok', amountMinor: 5_630, entry: 'chip', primaryFault: 'noReply' },
    { kind: 'sale', cause: 'everyday', note: 'everyday sale on the primary bank', card: 'jcb-credit-ok', amountMinor: 4_410, entry: 'chip' },
    { kind: 'sale', cause: 'recovery', note: 'the line to the primary bank drops as the sale arrives: reversal confirmed, approved on a retry', card: 'visa-credit-ok', amountMinor: 2_150, entry: 'tap', primaryFault: 'drop' },
    { kind: 'sale', cause: 'everyday', note: 'everyday sale on the primary bank', card: 'pingan-prepaid-ok', amountMinor: 1_280, entry: 'tap' },
    { kind: 'sale', cause: 'recovery', note: 'the primary bank charges, then the line drops: the charge is reversed, and the sale approved on a retry', card: 'cmb-credit-ok', amountMinor: 8_840, entry: 'chip', primaryFault: 'dropAfterProcessing' },
  ],
};

/** Phase two runs alone: the primary bank link is down, so every sale fails over to the backup channel. */
export const failoverLane: DemoLane = {
  name: 'checkout 1 (primary bank down)',
  via: 'cups-pos',
  merchantId: lotusId,
  terminalId: 'T0000001',
  steps: everydaySales(4, 7).map((step) => ({ ...step, cause: 'recovery' as const, note: 'primary bank link down: not sent there, approved on the backup channel' })),
};

/** How many requests the whole script sends (for the progress bar). */
export function demoStepCount(includeHttp: boolean): number {
  return [...demoLanes, ...networkLanes, waitLane, recoveryLane, failoverLane].filter((lane) => includeHttp || lane.via !== 'http').reduce((sum, lane) => sum + lane.steps.length, 0);
}
