// `reswipe load`: drives sales at a reswipe target for a bounded time, either closed-loop (N workers,
// each sending its next sale when the last one is answered) or open-loop (N sales per second on a
// bounded pool of connections; a tick with no free connection is counted as skipped, never queued).
// ISO 8583 goes through real terminal sessions (signed on first, one sale in flight per connection,
// distinct STAN ranges so no sale is mistaken for a resend); HTTP posts /v1/payments with a fresh
// Idempotency-Key per sale.
import { setTimeout as delay } from 'node:timers/promises';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { SeededRandom } from '../../core/time/random.ts';
import { testCards } from '../../sim/issuer/test-cards.ts';
import type { TerminalMasterKey } from '../terminal-emulator/terminal-master-keys-file.ts';
import { TerminalSession, type EntryChoice } from '../terminal-emulator/terminal-session.ts';
import { LoadStats, type LoadReport } from './load-stats.ts';

export type LoadTarget = { kind: 'iso'; host: string; port: number; text: string } | { kind: 'http'; baseUrl: string; text: string };

export interface LoadOptions {
  target: LoadTarget;
  /** Exactly one of rate (sales per second) and concurrency (workers). */
  rate?: number;
  concurrency?: number;
  durationSeconds: number;
  /** `ok` (approving cards only), `mix` (mostly approving, some declines), or a comma list of test card ids. */
  cards: string;
  dialect: string;
  framing: 'binary2' | 'ascii4';
  terminalIds: readonly string[];
  merchantId: string;
  apiKey?: string;
  /** Connections in rate mode; default the number of terminal ids. */
  connections?: number;
  /**
   * Master keys by terminal id (iso targets): each terminal signs on for working keys and MACs its
   * sales. A sign-on replaces the terminal's keys, so with keys there is one connection per terminal.
   */
  masterKeys?: ReadonlyMap<string, TerminalMasterKey>;
  requestTimeoutMs: number;
  seed: number;
  /** Called about four times a second with requests finished so far and the run's fraction done. */
  onProgress?: (finished: number, fractionDone: number) => void;
  signal?: AbortSignal;
}

export const loadLimits = { rateMax: 100_000, concurrencyMax: 1_024, connectionsMax: 1_024, durationSecondsMax: 3_600 } as const;

const okCards = ['icbc-debit-ok', 'cmb-credit-ok', 'boc-quasi-credit-ok', 'pingan-prepaid-ok', 'psbc-81-no-luhn', 'visa-credit-ok', 'visa-debit-ok', 'mastercard-credit-ok', 'mastercard-debit-ok', 'jcb-credit-ok'];
// Declines on UnionPay cards only: scheme retry budgets (Visa, Mastercard) would turn repeated declines into budget refusals.
const declineCards = ['icbc-debit-lost', 'ccb-debit-frozen', 'ccb-debit-expired', 'pingan-prepaid-not-activated'];

/** `iso://host:port` or `http(s)://host:port`; throws RSW_BAD_ARGUMENT naming --target. */
export function parseTarget(text: string): LoadTarget {
  const iso = /^iso:\/\/([^:/]+):(\d{1,5})\/?$/.exec(text.trim());
  if (iso !== null) {
    const port = Number(iso[2]);
    if (port < 1 || port > 65_535) throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'target', reason: 'the port must be 1 to 65535' });
    return { kind: 'iso', host: iso[1] ?? '127.0.0.1', port, text: text.trim() };
  }
  if (/^https?:\/\/[^/\s]+\/?$/.test(text.trim())) return { kind: 'http', baseUrl: text.trim().replace(/\/$/, ''), text: text.trim() };
  throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'target', reason: 'must be iso://host:port (a terminal listener) or http://host:port (the HTTP API)' });
}

/** The card ids a run draws from. */
export function cardPool(spec: string): { ids: readonly string[]; declineShare: number } {
  if (spec === 'ok') return { ids: okCards, declineShare: 0 };
  if (spec === 'mix') return { ids: okCards, declineShare: 0.2 };
  const ids = spec.split(',').map((id) => id.trim()).filter((id) => id.length > 0);
  const unknown = ids.find((id) => !testCards.some((card) => card.id === id));
  if (ids.length === 0 || unknown !== undefined) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'cards', reason: `must be ok, mix, or test card ids separated by commas${unknown === undefined ? '' : ` (${unknown} is not one; see reswipe issuer-sim --list)`}` });
  }
  return { ids, declineShare: 0 };
}

interface SaleSpec {
  pan: string;
  expiry: string;
  cvv: string;
  amountMinor: number;
  entry: EntryChoice;
}

/**
 * Sale generator: cards from the pool, ¥0.01-¥9.99 so even long runs stay far inside test balances and
 * off magic amounts. Amounts step through the range rather than being drawn, so sales in flight at the
 * same time never share card and amount: the gateway's re-swipe guard would rightly hold such a twin.
 */
function saleSource(spec: string, seed: number): () => SaleSpec {
  const pool = cardPool(spec);
  const random = new SeededRandom(seed);
  const entries: EntryChoice[] = ['chip', 'tap', 'chip', 'swipe'];
  let amountStep = seed % 999;
  return () => {
    amountStep = (amountStep + 1) % 999;
    const declining = pool.declineShare > 0 && random.nextUint32() / 0x1_0000_0000 < pool.declineShare;
    const ids = declining ? declineCards : pool.ids;
    const id = ids[random.nextUint32() % ids.length] ?? 'icbc-debit-ok';
    const card = testCards.find((candidate) => candidate.id === id) ?? testCards[0];
    if (card === undefined) throw new Error('broken invariant: no test cards');
    return { pan: card.pan, expiry: card.expiry, cvv: card.cvv, amountMinor: 1 + amountStep, entry: entries[random.nextUint32() % entries.length] ?? 'chip' };
  };
}

/** One way to send one sale and classify its answer. */
interface Sender {
  send(sale: SaleSpec): Promise<{ code: string; verdict: string; answered: boolean }>;
  close(): void;
}

async function isoSender(options: LoadOptions, index: number): Promise<Sender> {
  if (options.target.kind !== 'iso') throw new Error('broken invariant: iso sender for an http target');
  const terminalId = options.terminalIds[index % options.terminalIds.length] ?? 'T0000001';
  // Distinct STAN ranges per connection: two connections of one terminal never send the same DE 11 in the same second.
  const stanFirst = 1 + ((options.seed + index * 7_919) % 999_000);
  const masterKey = options.masterKeys?.get(terminalId);
  if (options.masterKeys !== undefined && masterKey === undefined) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'terminal-keys-file', reason: `has no master key for terminal ${terminalId}` });
  }
  const session = await TerminalSession.connect({
    host: options.target.host,
    port: options.target.port,
    dialect: options.dialect,
    framing: options.framing,
    terminalId,
    merchantId: options.merchantId,
    answerTimeoutMs: options.requestTimeoutMs,
    stanFirst,
    ...(masterKey === undefined ? {} : { masterKey }),
  });
  const signOn = await session.signOn();
  if (signOn !== '00') {
    session.close();
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'terminal-ids', reason: `terminal ${terminalId} could not sign on (answer ${signOn ?? 'none'}); is it registered to merchant ${options.merchantId}?` });
  }
  return {
    async send(sale) {
      if (session.isClosed) return { code: 'connection_closed', verdict: 'none_given', answered: false };
      const answer = await session.sale(session.buildSale(sale));
      if (answer.kind === 'no_answer') return { code: 'no_answer', verdict: 'none_given', answered: false };
      return { code: answer.responseCode ?? '??', verdict: answer.verdict ?? 'none_given', answered: true };
    },
    close: () => session.close(),
  };
}

function httpSender(options: LoadOptions, index: number): Sender {
  if (options.target.kind !== 'http') throw new Error('broken invariant: http sender for an iso target');
  const url = `${options.target.baseUrl}/v1/payments`;
  const runId = `${Date.now().toString(36)}-${options.seed.toString(36)}-${index}`;
  let counter = 0;
  return {
    async send(sale) {
      counter += 1;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': `load-${runId}-${counter}`,
            ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
          },
          body: JSON.stringify({ merchantId: options.merchantId, amountMinor: sale.amountMinor, currency: 'CNY', card: { number: sale.pan, expiry: sale.expiry, cvv: sale.cvv, entryMode: sale.entry === 'tap' ? 'contactless' : sale.entry }, capture: true }),
          signal: AbortSignal.timeout(options.requestTimeoutMs),
        });
        const body = (await response.json().catch(() => ({}))) as { responseCode?: string | null; status?: string; decline?: { verdict?: string } | null; code?: string };
        if (!response.ok) return { code: `HTTP ${response.status}${body.code === undefined ? '' : ` ${body.code}`}`, verdict: 'none_given', answered: false };
        return { code: body.responseCode ?? body.status ?? '??', verdict: body.status === 'approved' ? 'none' : (body.decline?.verdict ?? 'none_given'), answered: true };
      } catch (error) {
        return { code: error instanceof Error && error.name === 'TimeoutError' ? 'no_answer' : 'connection_failed', verdict: 'none_given', answered: false };
      }
    },
    close: () => undefined,
  };
}

/** Runs the load and returns the report; every wait is bounded by the duration plus one request timeout. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const mode = options.rate !== undefined ? 'rate' : 'concurrency';
  const level = options.rate ?? options.concurrency ?? 1;
  const workers = mode === 'concurrency' ? level : Math.min(options.connections ?? options.terminalIds.length, loadLimits.connectionsMax);
  if (options.target.kind === 'iso' && options.masterKeys !== undefined && workers > options.terminalIds.length) {
    // A second connection's sign-on would replace the first one's working keys and fail its MACs.
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: mode === 'concurrency' ? 'concurrency' : 'connections', reason: `with terminal keys each terminal has one connection: at most ${options.terminalIds.length} (the number of --terminal-ids)` });
  }
  if (options.target.kind === 'http' && options.apiKey === undefined) {
    throw new ReswipeError('RSW_BAD_ARGUMENT', { field: 'api-key', reason: 'an HTTP target needs --api-key (reswipe demo prints one)' });
  }
  const senders: Sender[] = [];
  try {
    for (let index = 0; index < workers; index++) {
      senders.push(options.target.kind === 'iso' ? await isoSender(options, index) : httpSender(options, index));
    }
    const stats = new LoadStats(new SeededRandom(options.seed ^ 0x10ad));
    const nextSale = saleSource(options.cards, options.seed);
    const durationMs = options.durationSeconds * 1000;
    const startMs = Date.now();
    const endMs = startMs + durationMs;
    const progressTimer = setInterval(() => options.onProgress?.(stats.finished, Math.min(1, (Date.now() - startMs) / Math.max(1, durationMs))), 250);
    const one = async (sender: Sender): Promise<void> => {
      stats.sent += 1;
      const sentMs = performance.now();
      const result = await sender.send(nextSale());
      stats.record(Math.round((performance.now() - sentMs) * 10) / 10, result.code, result.verdict, result.answered);
    };
    try {
      if (mode === 'concurrency') {
        await Promise.all(
          senders.map(async (sender) => {
            while (Date.now() < endMs && options.signal?.aborted !== true) await one(sender);
          }),
        );
      } else {
        const free = [...senders];
        const inFlight = new Set<Promise<void>>();
        let due = 0;
        while (Date.now() < endMs && options.signal?.aborted !== true) {
          const target = Math.floor(((Date.now() - startMs) / 1000) * level);
          for (; due < target; due++) {
            const sender = free.pop();
            if (sender === undefined) {
              stats.skipped += 1;
              continue;
            }
            const work = one(sender).finally(() => {
              free.push(sender);
              inFlight.delete(work);
            });
            inFlight.add(work);
          }
          await delay(5);
        }
        await Promise.all([...inFlight]);
      }
    } finally {
      clearInterval(progressTimer);
    }
    options.onProgress?.(stats.finished, 1);
    return stats.report({ target: options.target.text, mode, level, durationSeconds: options.durationSeconds, elapsedMs: Date.now() - startMs });
  } finally {
    for (const sender of senders) sender.close();
  }
}
