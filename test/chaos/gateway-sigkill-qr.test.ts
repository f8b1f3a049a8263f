// Goal: with real processes, a gateway killed with SIGKILL twice while terminals send WeChat Pay and
// Alipay QR sales never pays a trade twice, never keeps money it did not tell the terminal it took, and
// its restarted self finishes what the kills left (queries, then cancels). Method: `reswipe qr-sim`
// (both providers) with random faults (answers dropped after the money moved, answers delayed past the
// channel timeout), `reswipe serve` on a temp SQLite file (synchronous=FULL) with a WeChat Pay v2 and an
// Alipay channel to it, four codec-built terminals sending QR sales over the terminal link (DE 22 031,
// DE 48 QRC=), WeChat and Alipay in turn, with magic codes (paid, paying then paid, system error with
// the money moved, no answer with the money moved, refused) and resending on timeout with the same STAN
// and DE 7; two SIGKILLs mid-load, each followed by a restart on the same file. Then faults off, a clean
// restart, and a bounded wait until no QR payment is pending (unless flagged for manual handling) and no
// cancel is due. The auditor reads both books of the sandbox: one trade at most per sale, a sale told 00
// holds exactly its amount, every other sale holds nothing, the store's status of every payment agrees
// with the book, and no trade belongs to no sale.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { de7, qrSaleMessage } from '../e2e/terminal-client.ts';
import { chaosProcesses, runResendingTerminal } from './resending-terminal.ts';
import { openStore } from '../../src/adapters/store/open-store.ts';
import { alipayMagicAuthCode, type AlipayMagicOutcome } from '../../src/sim/qr/alipay-sandbox.ts';
import { wechatMagicCode } from '../../src/sim/qr/wechatpay-magic-codes.ts';
import { wechatSandboxDefaults } from '../../src/sim/qr/wechatpay-sandbox.ts';
import { stopChild } from '../support/reswipe-process.ts';

const terminalsCount = 4;
const salesPerTerminal = 12;
const terminalWaitMs = 7_000;
const terminalTriesMax = 4;
/** Paid at once (most), paying then paid, SYSTEMERROR with the money moved, no answer with the money moved, refused. */
const magicPrefixes = ['130000', '130000', '131002', '133001', '134001', '132001'];
/** The same outcomes for Alipay. */
const alipayOutcomes: readonly AlipayMagicOutcome[] = ['paid', 'paid', 'payingThenPaid', 'systemErrorMoneyTaken', 'noAnswerMoneyTaken', 'balanceTooLow'];
const merchantId = 'M00000000000001';

/** One trade of either book, as the checks read it: its amount and the fen it holds now. */
interface BookTrade {
  provider: 'wechat' | 'alipay';
  outTradeNo: string;
  totalFee: number;
  heldFee: number;
}

interface WechatBookTrade {
  outTradeNo: string;
  totalFee: number;
  paidFee: number;
  refundedFee: number;
  reversedFee: number;
}

interface AlipayBookTrade {
  outTradeNo: string;
  totalFen: number;
  status: string;
  wasPaid: boolean;
  refundedFen: number;
}

/** Both books as one list; the placeholders a cancel of an unknown order leaves (nothing paid, 0 or 1 fen) are no trades. */
function readBooks(books: { 'wechatpay-v2': { trades: WechatBookTrade[] }; alipay: { trades: AlipayBookTrade[] } }): BookTrade[] {
  const wechat = books['wechatpay-v2'].trades.map((trade): BookTrade => ({ provider: 'wechat', outTradeNo: trade.outTradeNo, totalFee: trade.totalFee, heldFee: trade.paidFee - trade.reversedFee - trade.refundedFee }));
  // Alipay refuses to cancel a refunded trade: a paid trade closed with nothing refunded was given back by its cancel.
  const alipay = books.alipay.trades.map((trade): BookTrade => {
    const cancelledMinor = trade.wasPaid && trade.status === 'TRADE_CLOSED' && trade.refundedFen === 0 ? trade.totalFen : 0;
    return { provider: 'alipay', outTradeNo: trade.outTradeNo, totalFee: trade.totalFen, heldFee: (trade.wasPaid ? trade.totalFen : 0) - trade.refundedFen - cancelledMinor };
  });
  return [...wechat, ...alipay].filter((trade) => !(trade.heldFee === 0 && trade.totalFee <= 1));
}

interface Sale {
  terminalId: string;
  method: 'wechat' | 'alipay';
  amountMinor: number;
  prefix: string;
  told: string | null;
  answers: string[];
}

const { dir, startJson, cleanUp } = chaosProcesses('reswipe-chaos-qr-');
after(cleanUp);

test('two SIGKILLs amid WeChat Pay and Alipay sales: no trade paid twice, told 00 is paid once, everything else ends not charged', { timeout: 150_000 }, async () => {
  const sim = await startJson(['qr-sim', '--port', '0', '--json', '--seed', '2026', '--fault-drop-answer', '0.05', '--fault-delay-answer', '0.04', '--delay-ms', '2500']);
  const sandboxUrl = String(sim.info.url);
  const terminalIds = Array.from({ length: terminalsCount }, (_, i) => `Q${String(i + 1).padStart(7, '0')}`);
  const config = {
    database: { url: `sqlite:${join(dir, 'gateway.db')}`, synchronous: 'full' },
    security: { panKey: 'chaos-qr-test-pan-key-0123456789-abcdefgh', developmentMode: true },
    http: { port: 0 },
    engine: { terminalTimeoutMs: 5_000, qr: { budgetMs: 5_000, queryDelaysMs: [200, 300, 500], followUp: { backoffMs: 200, backoffMsMax: 1_000, triesMax: 20 } } },
    listeners: [{ name: 'pos', port: 0, dialect: 'iso87-ascii', language: 'en' }],
    channels: [
      { name: 'wx', protocol: 'wechatpay-v2', baseUrl: sandboxUrl, ...wechatSandboxDefaults, timeoutMs: 1_500 },
      // qr-sim wrote fresh Alipay keys and says where: the merchant's private key and the sandbox's ("Alipay's") public key.
      { name: 'ali', protocol: 'alipay', ...(sim.info.alipay as Record<string, string>), timeoutMs: 1_500 },
    ],
    merchants: [{ id: merchantId, name: 'Chaos QR shop', mcc: '5411', accepts: ['debit', 'credit', 'wechat', 'alipay'], terminals: terminalIds }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const serveArgs = ['serve', '--config', join(dir, 'config.json'), '--json'];
  let gateway = await startJson(serveArgs);
  let gatewayPort = Number((gateway.info.listeners as Record<string, number>).pos);
  let gatewayUp = true;

  const sales: Sale[] = [];
  let amountMinor = 5_000;
  let stan = 0;
  let codeSerial = 0;

  const runTerminal = (terminalId: string, index: number): Promise<void> =>
    runResendingTerminal({
      terminalId,
      salesCount: salesPerTerminal,
      waitMs: terminalWaitMs,
      triesMax: terminalTriesMax,
      gateway: () => ({ up: gatewayUp, port: gatewayPort }),
      nextStan: () => (stan += 1),
      saleAt: (n) => {
        amountMinor += 1;
        stan += 1;
        // WeChat Pay and Alipay in turn, each through its outcomes.
        const method = (index + n) % 2 === 0 ? 'wechat' : 'alipay';
        const turn = Math.floor((index + n) / 2);
        const prefix = method === 'wechat' ? magicPrefixes[turn % magicPrefixes.length]! : alipayOutcomes[turn % alipayOutcomes.length]!;
        const sale: Sale = { terminalId, method, amountMinor, prefix, told: null, answers: [] };
        sales.push(sale);
        codeSerial += 1;
        const authCode = method === 'wechat' ? wechatMagicCode(prefix, codeSerial) : alipayMagicAuthCode(prefix as AlipayMagicOutcome, codeSerial);
        return { sale, message: qrSaleMessage({ stan: String(stan % 900_000).padStart(6, '0'), authCode, amountMinor, terminalId, merchantId, transmittedAt: de7() }) };
      },
    });

  const load = Promise.all(terminalIds.map((terminalId, index) => runTerminal(terminalId, index)));
  for (const afterMs of [3_000, 4_000]) {
    await delay(afterMs);
    gatewayUp = false;
    await stopChild(gateway.child, { signal: 'SIGKILL' });
    await delay(300);
    gateway = await startJson(serveArgs);
    gatewayPort = Number((gateway.info.listeners as Record<string, number>).pos);
    gatewayUp = true;
  }
  await load;

  // Quiescence: faults off, a clean restart (its recovery queries and cancels), then a bounded wait.
  const healed = await fetch(`${sandboxUrl}/sandbox/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropAnswer: 0, delayAnswer: 0 }) });
  assert.equal(healed.status, 200);
  await stopChild(gateway.child, { killAfterMs: 15_000 });
  gateway = await startJson(serveArgs);
  let open = -1;
  for (let waitedMs = 0; waitedMs < 40_000; waitedMs += 500) {
    await delay(500);
    const store = await openStore(`sqlite:${join(dir, 'gateway.db')}`);
    try {
      const pending = (await store.listPendingPayments(Number.MAX_SAFE_INTEGER, 100)).filter((payment) => (payment.manualHandlingSinceMs ?? null) === null);
      const due = await store.listDueQrFollowUps(Number.MAX_SAFE_INTEGER, 100);
      open = pending.length + due.length;
    } finally {
      await store.close();
    }
    if (open === 0) break;
  }
  await stopChild(gateway.child, { killAfterMs: 15_000 });
  assert.equal(open, 0, 'QR payments still pending or cancels still due after the bounded drain');

  const book = readBooks((await (await fetch(`${sandboxUrl}/sandbox/book`)).json()) as Parameters<typeof readBooks>[0]);
  await stopChild(sim.child, { killAfterMs: 15_000 });

  const store = await openStore(`sqlite:${join(dir, 'gateway.db')}`);
  const problems: string[] = [];
  const manual = new Set<number>();
  try {
    for (const trade of book) {
      const payment = await store.getPayment(trade.outTradeNo);
      if (payment === null) {
        problems.push(`book trade ${trade.outTradeNo} of ${trade.totalFee} has no payment`);
        continue;
      }
      if ((payment.manualHandlingSinceMs ?? null) !== null) manual.add(payment.amountMinor);
      const held = trade.heldFee;
      if (held < 0) problems.push(`${trade.outTradeNo}: gave back more than it paid`);
      if (payment.method !== trade.provider) problems.push(`${payment.id}: a ${payment.method ?? 'card'} payment has a ${trade.provider} trade`);
      // The store agrees with the book: approved holds the amount, a payment that did not charge holds nothing.
      if (payment.status === 'approved' && held !== payment.amountMinor) problems.push(`${payment.id} approved but holds ${held}`);
      if ((payment.status === 'declined' || payment.status === 'reversed') && held !== 0 && !manual.has(payment.amountMinor)) problems.push(`${payment.id} ${payment.status} but holds ${held}`);
    }
  } finally {
    await store.close();
  }
  for (const sale of sales) {
    const trades = book.filter((trade) => trade.totalFee === sale.amountMinor);
    if (trades.length > 1) problems.push(`${sale.terminalId} ${sale.amountMinor}: ${trades.length} trades for one sale`);
    if (manual.has(sale.amountMinor)) continue;
    const held = trades.reduce((sum, trade) => sum + trade.heldFee, 0);
    if (sale.answers.includes('00') && held !== sale.amountMinor) problems.push(`${sale.terminalId} ${sale.amountMinor} (${sale.prefix}): told 00, holds ${held}`);
    if (!sale.answers.includes('00') && held !== 0) problems.push(`${sale.terminalId} ${sale.amountMinor} (${sale.prefix}): told ${sale.told ?? 'nothing'}, holds ${held}`);
  }
  const known = new Set(sales.map((sale) => sale.amountMinor));
  for (const trade of book) if (!known.has(trade.totalFee)) problems.push(`book trade ${trade.outTradeNo} of ${trade.totalFee} belongs to no sale`);
  assert.deepEqual(problems, []);

  const told = (code: string) => sales.filter((sale) => sale.told === code).length;
  assert.equal(sales.length, terminalsCount * salesPerTerminal);
  assert.ok(told('00') > sales.length / 3, `only ${told('00')} approvals`);
  for (const method of ['wechat', 'alipay'] as const) assert.ok(sales.some((sale) => sale.method === method && sale.told === '00'), `no ${method} sale approved`);
  console.log(`chaos qr: ${sales.length} sales (${sales.filter((s) => s.method === 'alipay').length} Alipay), ${told('00')} told 00, ${told('98')} told 98, ${sales.filter((s) => s.told === null).length} unanswered, ${manual.size} manual, book ${book.length} trades`);
});
