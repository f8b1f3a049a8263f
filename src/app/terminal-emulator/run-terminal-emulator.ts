// `reswipe terminal`: a POS terminal in the shell. Scripted, it signs on and performs one sale from
// flags, then prints the result and the receipt (text or JSON). Interactive (node:readline, works
// in tmux and any plain terminal), the cashier picks a test card, types an amount, chooses how the
// card is read, and then follows the verdict's advice: NOW retries with a new trace number, LATER
// waits, FIX/NEVER asks for another card, WAIT never re-swipes but may resend the same request
// (same trace and time) to learn the earlier payment's answer.
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { formatMinorAsYuan, parseYuanToMinor } from '../../core/fees/parse-yuan.ts';
import { maskPan } from '../../core/cards/pan.ts';
import { testCards, defaultTestCvv, defaultTestExpiry } from '../../sim/issuer/test-cards.ts';
import { methodOfAuthCode } from '../../core/qr/auth-code.ts';
import { entryChoices, TerminalSession, type EntryChoice, type SaleAnswer, type SaleEntry, type SentSale, type TerminalSessionOptions } from './terminal-session.ts';
import { formatSaleReport, saleReportOf, slipDateTime, type SaleReport } from './format-receipt.ts';

export interface CardChoice {
  pan: string;
  expiry: string;
  cvv: string;
  /** The test card's id, or `PAN` for a number typed in. */
  label: string;
}

/** A test-card id (`icbc-debit-ok`) or a PAN (12-19 digits); throws RSW_BAD_ARGUMENT naming the flag otherwise. */
export function resolveCard(text: string, field = 'card'): CardChoice {
  const trimmed = text.trim();
  const card = testCards.find((candidate) => candidate.id === trimmed);
  if (card !== undefined) return { pan: card.pan, expiry: card.expiry, cvv: card.cvv, label: card.id };
  if (/^[0-9]{12,19}$/.test(trimmed)) {
    const known = testCards.find((candidate) => candidate.pan === trimmed);
    return { pan: trimmed, expiry: known?.expiry ?? defaultTestExpiry, cvv: known?.cvv ?? defaultTestCvv, label: known?.id ?? 'PAN' };
  }
  throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: `must be a test card id (see \`reswipe issuer-sim --list\`) or a card number of 12 to 19 digits` });
}

export function parseEntry(text: string, field = 'entry'): EntryChoice {
  const value = text.trim().toLowerCase();
  const found = entryChoices.find((choice) => choice === value);
  if (found === undefined) throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: `must be one of ${entryChoices.join(', ')}` });
  return found;
}

/** A scanned payment code for `--auth-code`: the shape of WeChat Pay, Alipay or UnionPay QR (src/core/qr/auth-code.ts); throws RSW_BAD_ARGUMENT naming the flag otherwise. */
export function qrCodeChoice(text: string, field = 'auth-code'): CardChoice {
  const code = text.trim();
  if (methodOfAuthCode(code) === null) throw new ReswipeError('RSW_BAD_ARGUMENT', { field, reason: 'must be a WeChat Pay (18 digits, 10-15...), Alipay (16-24 digits, 25-30...) or UnionPay QR (19 digits, 62...) payment code' });
  return { pan: code, expiry: '', cvv: '', label: 'QR' };
}

export interface OneSaleInput {
  session: TerminalSessionOptions;
  card: CardChoice;
  amountMinor: number;
  /** `qr`: `card.pan` is the scanned payment code (`--auth-code`); no expiry or CVV is sent. */
  entry: SaleEntry;
  /** Overrides of the card's expiry and CVV, to show wrong card data. */
  expiry?: string;
  cvv?: string;
}

export interface OneSaleResult {
  signOnCode: string | null;
  report: SaleReport | null;
}

/** Connects, signs on, performs one sale and closes: the scriptable path. A refused sign-on is reported without a sale. */
export async function runOneSale(input: OneSaleInput): Promise<OneSaleResult> {
  const session = await TerminalSession.connect(input.session);
  try {
    const signOnCode = await session.signOn();
    if (signOnCode !== '00') return { signOnCode, report: null };
    const sent =
      input.entry === 'qr'
        ? session.buildSale({ pan: input.card.pan, amountMinor: input.amountMinor, entry: 'qr' })
        : session.buildSale({ pan: input.card.pan, amountMinor: input.amountMinor, entry: input.entry, expiry: input.expiry ?? input.card.expiry, cvv: input.cvv ?? input.card.cvv });
    const answer = await session.sale(sent);
    return { signOnCode, report: saleReportOf(answer, session, slipDateTime(sent.atMs)) };
  } finally {
    session.close();
  }
}

export interface InteractiveIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Lines typed ahead of their prompts that are kept; more are dropped. */
const queuedLinesMax = 1_000;
/** Follow-ups after one sale (retries, other cards, resends) before the terminal returns to the idle screen. */
const followUpsMax = 20;
/** The longest LATER wait the emulator sits through; beyond it the cashier is told to come back. */
const laterWaitSecondsMax = 120;

/** The interactive terminal; resolves when the cashier quits or input ends. */
export async function runInteractiveTerminal(options: TerminalSessionOptions, io: InteractiveIo): Promise<void> {
  const write = (text: string) => io.output.write(text);
  const session = await TerminalSession.connect(options);
  // Lines are queued as they arrive, so input typed (or piped) ahead of its prompt is not lost.
  const rl = createInterface({ input: io.input, terminal: false });
  const queued: string[] = [];
  let lineWaiter: ((line: string | null) => void) | null = null;
  let inputClosed = false;
  rl.on('line', (line: string) => {
    const waiter = lineWaiter;
    lineWaiter = null;
    if (waiter !== null) waiter(line);
    else if (queued.length < queuedLinesMax) queued.push(line);
  });
  rl.on('close', () => {
    inputClosed = true;
    const waiter = lineWaiter;
    lineWaiter = null;
    waiter?.(null);
  });
  const ask = async (question: string): Promise<string | null> => {
    write(question);
    const early = queued.shift();
    if (early !== undefined) return early.trim();
    if (inputClosed) {
      write('\n');
      return null;
    }
    const line = await new Promise<string | null>((resolve) => (lineWaiter = resolve));
    return line === null ? null : line.trim();
  };
  try {
    const signOnCode = await session.signOn();
    write(`reswipe terminal ${session.terminalId} / merchant ${session.merchantId} on ${options.host}:${options.port} (${session.dialectName})\n`);
    write(`sign-on: ${signOnCode === null ? 'no answer' : signOnCode === '00' ? '00 signed on' : `${signOnCode} refused`}\n`);
    if (signOnCode !== '00') return;
    write(`${cardMenu()}\n`);
    for (let sale = 0; sale < 10_000 && !session.isClosed; sale++) {
      const cardText = await ask('\ncard (number from the list, test card id or PAN; q quits): ');
      if (cardText === null || cardText === 'q' || cardText === 'quit') return;
      const card = cardFromMenu(cardText);
      if (card === null) {
        write('  not a card on the list, a test card id, or a PAN of 12-19 digits\n');
        continue;
      }
      const amountText = await ask('amount in yuan (e.g. 12.34): ');
      if (amountText === null) return;
      let amountMinor: number;
      try {
        amountMinor = parseYuanToMinor(amountText);
        if (amountMinor < 1) throw new Error('zero');
      } catch {
        write('  the amount must be yuan above zero with at most two decimals\n');
        continue;
      }
      let current = card;
      let entry = await askEntry(ask, write);
      if (entry === null) return;
      let sent = await buildWithKeyEntry(session, current, amountMinor, entry, ask);
      if (sent === null) return;
      for (let followUp = 0; followUp <= followUpsMax; followUp++) {
        write(`  sending ${maskPan(current.pan)} CNY ${formatMinorAsYuan(amountMinor)} (${entry}, trace ${sent.stan})...\n`);
        const answer = await session.sale(sent);
        const report = saleReportOf(answer, session, slipDateTime(sent.atMs));
        write(formatSaleReport(report));
        const next = await followUpFor(answer, ask, write);
        if (next === 'done') break;
        if (next === 'quit') return;
        if (next === 'resend') continue; // Same request, same trace and DE 7: reswipe answers with the earlier payment's state.
        if (next === 'other_card') {
          const otherText = await ask('another card (number, id or PAN): ');
          const other = otherText === null ? null : cardFromMenu(otherText);
          if (other === null) break;
          current = other;
          const otherEntry = await askEntry(ask, write);
          if (otherEntry === null) return;
          entry = otherEntry;
        }
        sent = await buildWithKeyEntry(session, current, amountMinor, entry, ask);
        if (sent === null) return;
      }
    }
  } finally {
    rl.close();
    session.close();
  }
}

type FollowUp = 'done' | 'quit' | 'retry' | 'resend' | 'other_card';

async function followUpFor(answer: SaleAnswer, ask: (question: string) => Promise<string | null>, write: (text: string) => void): Promise<FollowUp> {
  const yes = (text: string | null) => text !== null && /^y(es)?$/i.test(text);
  if (answer.kind === 'no_answer' || answer.verdict === 'wait') {
    write('  The customer may or may not have been charged; reswipe is resolving it (reversal). Do not swipe again.\n');
    const choice = await ask('  resend the same request to ask for its answer now? [y/N] ');
    return yes(choice) ? 'resend' : choice === null ? 'quit' : 'done';
  }
  switch (answer.verdict) {
    case null:
    case 'none':
      return 'done';
    case 'now': {
      const choice = await ask('  retry now with a new trace number? [y/N] ');
      return yes(choice) ? 'retry' : choice === null ? 'quit' : 'done';
    }
    case 'later': {
      const seconds = Math.min(answer.waitSeconds ?? 30, laterWaitSecondsMax);
      const choice = await ask(`  wait ${seconds} s and retry? [y/N] `);
      if (!yes(choice)) return choice === null ? 'quit' : 'done';
      write(`  waiting ${seconds} s...\n`);
      await delay(seconds * 1000);
      return 'retry';
    }
    case 'fix':
    case 'never': {
      const choice = await ask('  try another card for this sale? [y/N] ');
      return yes(choice) ? 'other_card' : choice === null ? 'quit' : 'done';
    }
  }
}

async function askEntry(ask: (question: string) => Promise<string | null>, write: (text: string) => void): Promise<EntryChoice | null> {
  for (let tries = 0; tries < 5; tries++) {
    const text = await ask(`entry [${entryChoices.join('/')}] (chip): `);
    if (text === null) return null;
    if (text === '') return 'chip';
    try {
      return parseEntry(text);
    } catch {
      write(`  one of ${entryChoices.join(', ')}\n`);
    }
  }
  return 'chip';
}

/** Key entry asks for the expiry and CVV (typos are how wrong card data happens); other entries read them from the card. */
async function buildWithKeyEntry(
  session: TerminalSession,
  card: CardChoice,
  amountMinor: number,
  entry: EntryChoice,
  ask: (question: string) => Promise<string | null>,
): Promise<SentSale | null> {
  let expiry = card.expiry;
  let cvv = card.cvv;
  if (entry === 'manual') {
    const expiryText = await ask(`expiry YYMM (${card.expiry}): `);
    if (expiryText === null) return null;
    if (/^[0-9]{4}$/.test(expiryText)) expiry = expiryText;
    const cvvText = await ask(`CVV (${card.cvv}): `);
    if (cvvText === null) return null;
    if (/^[0-9]{3,4}$/.test(cvvText)) cvv = cvvText;
  }
  return session.buildSale({ pan: card.pan, amountMinor, entry, expiry, cvv });
}

function cardMenu(): string {
  const rows = testCards.map((card, index) => `  ${String(index + 1).padStart(2)}. ${card.id.padEnd(30)} ${maskPan(card.pan).padEnd(20)} ${card.triggers}`);
  return ['test cards (magic amounts: ¥999.NN forces code NN, ¥888.01-¥888.08 force network faults):', ...rows].join('\n');
}

function cardFromMenu(text: string): CardChoice | null {
  if (/^[0-9]{1,2}$/.test(text)) {
    const card = testCards[Number(text) - 1];
    return card === undefined ? null : { pan: card.pan, expiry: card.expiry, cvv: card.cvv, label: card.id };
  }
  try {
    return resolveCard(text);
  } catch {
    return null;
  }
}
