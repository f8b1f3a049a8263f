// `reswipe demo`: the whole product on one laptop with nothing to set up. It starts two sandbox
// banks (issuer simulators, in-process), the gateway (composeGateway on a fresh SQLite file under the
// demo folder) with two merchants, their terminals, two channels and the fee plans, creates an admin
// API key, then plays the scripted shop day (demo-script.ts) through REAL ISO 8583 terminal
// connections and the HTTP API. The summary is read back from the store, so it reports what the
// gateway recorded, not what the script hoped for.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { defaultAcceptedMethods, validateConfig } from '../../core/config/config-schema.ts';
import { formatMinorAsYuan } from '../../core/fees/parse-yuan.ts';
import type { PaymentRecord, Store, StoreTx } from '../../core/ports/store.ts';
import { createLogger, type Logger } from '../../adapters/log/logger.ts';
import { generateApiKey } from '../../adapters/http/auth.ts';
import { createConsoleUser, httpInvalidInput } from '../../adapters/http/console-users.ts';
import { noFaults } from '../../sim/issuer/fault-plan.ts';
import { startIssuerServer, issuerServerDefaults, type RunningIssuerServer } from '../../sim/issuer/issuer-server.ts';
import { testCards, type IssuerFault } from '../../sim/issuer/test-cards.ts';
import { composeGateway, type Gateway } from '../compose-gateway.ts';
import { startQrSandbox } from '../../sim/qr/qr-sandbox-server.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../sim/qr/wechatpay-sandbox.ts';
import { wechatMagicCode } from '../../sim/qr/wechatpay-magic-codes.ts';
import { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import { combineKeyComponents } from '../../core/crypto/key-components.ts';
import type { KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { TerminalKeyCeremonies } from '../terminal-keys/terminal-key-ceremonies.ts';
import { writeTerminalMasterKeys, type TerminalMasterKey } from '../terminal-emulator/terminal-master-keys-file.ts';
import { TerminalSession, type SaleAnswer, type SentSale } from '../terminal-emulator/terminal-session.ts';
import { demoFeePlans, demoLanes, demoMerchants, demoStepCount, lotusId, failoverLane, networkLanes, recoveryLane, waitLane, type DemoLane, type DemoStep, type PrimaryFault } from './demo-script.ts';

export interface DemoOptions {
  /** The demo folder; its SQLite file is deleted and created afresh each run. */
  dir: string;
  httpPort: number;
  terminalPort: number;
  logLevel: string;
  /** Where progress goes (stderr); `isTty` picks a redrawn bar over plain lines. */
  progress: NodeJS.WritableStream & { isTTY?: boolean };
  signal: AbortSignal;
}

export interface DemoRunning {
  httpUrl: string | null;
  adminKey: string;
  /** A fresh admin login of the web console (docs/console-access.md), made in the demo's store; null without the HTTP API or with console.enabled false. */
  consoleLogin: { user: string; password: string } | null;
  terminalPorts: Record<string, number>;
  databaseFile: string;
  /** The demo terminals' master keys (JSON, mode 0600), for `reswipe terminal` and `reswipe load --terminal-keys-file`. */
  terminalKeysFile: string;
  summary: DemoSummary;
  stop(): Promise<void>;
}

export interface DemoSummary {
  sales: number;
  approved: number;
  declined: number;
  reversed: number;
  pending: number;
  declinedByCategory: Record<string, number>;
  verdicts: Record<string, number>;
  /** Approved after an earlier attempt of the same payment failed (failover, retry). */
  recoveredApproved: number;
  /** Of those, approved on another bank than the primary (the backup). */
  recoveredOnBackup: number;
  /** Approved on a backup channel at the first attempt because the primary's circuit was open (routed around the outage). */
  recoveredRerouted: number;
  /** Unknown outcomes reswipe reversed by itself: the customer was not charged. */
  recoveredReversed: number;
  approvedMinor: number;
  feesMinor: number;
}

/** The channel timeout and terminal deadline of the demo: short enough that lost replies resolve in seconds. */
const channelTimeoutMs = 2_000;
const terminalTimeoutMs = 8_000;
/** Bounded waits for background work to settle before the summary. */
const settleWaitMsMax = 25_000;

const demoSeed = 20_260_425;

/** Starts everything, plays the script, and resolves once the summary is known; the caller keeps it serving and calls stop(). */
export async function startDemo(options: DemoOptions): Promise<DemoRunning> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const databaseFile = join(dir, 'demo.db');
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${databaseFile}${suffix}`, { force: true });
  const plansFile = join(dir, 'fee-plans.json');
  writeFileSync(plansFile, `${JSON.stringify(demoFeePlans, null, 2)}\n`);

  const logger = createLogger({ level: options.logLevel, name: 'demo', destination: 2 });
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    // Two banks: bank-a is the primary channel, bank-b the backup reswipe fails over to.
    const simA = { server: await startSim(logger.child({ bank: 'a' }), 0) };
    cleanups.push(() => simA.server.close());
    const simB = await startSim(logger.child({ bank: 'b' }), 0);
    cleanups.push(() => simB.close());
    // The QR sandbox plays WeChat Pay (docs/qr-sandbox.md): the demo's QR sales go through the real WeChat Pay v2 channel.
    const qrSandbox = await startQrSandbox({ host: '127.0.0.1', port: 0, seed: 1, providers: [new WechatPaySandbox()] });
    cleanups.push(() => qrSandbox.close());

    const config = validateConfig({
      database: { url: `sqlite:${databaseFile}`, synchronous: 'normal' },
      // The demo is development mode by definition (docs/card-data.md), and still uses a fresh real key per run: its fingerprints are throwaway.
      // Development mode also seals terminal keys under the development master key: no key file needed.
      security: { panKey: randomBytes(32).toString('hex'), developmentMode: true },
      log: { level: options.logLevel },
      http: { host: '127.0.0.1', port: options.httpPort },
      engine: { terminalTimeoutMs, reversal: { triesMax: 30, backoffMs: 250, backoffMsMax: 2_000 }, qr: { budgetMs: 8_000, queryDelaysMs: [500, 1_000] } },
      listeners: [
        // MACs required even in development mode: the demo shows real terminal security.
        { name: 'terminals', host: '127.0.0.1', port: options.terminalPort, dialect: 'cups-pos', language: 'zh', security: { mac: 'required' } },
        { name: 'terminals-ascii', host: '127.0.0.1', port: 0, dialect: 'iso87-ascii', language: 'en', security: { mac: 'required' } },
      ],
      channels: [
        { name: 'bank-a', host: '127.0.0.1', port: simA.server.isoPort, timeoutMs: channelTimeoutMs, priority: 1, echoIntervalMs: 0, connections: 2 },
        { name: 'bank-b', host: '127.0.0.1', port: simB.isoPort, timeoutMs: channelTimeoutMs, priority: 2, echoIntervalMs: 0, connections: 2 },
        { name: 'wx', protocol: 'wechatpay-v2', baseUrl: qrSandbox.url, ...wechatSandboxDefaults, timeoutMs: 2_000 },
      ],
      // Lotus Supermarket also takes WeChat Pay and UnionPay QR (the QR lane).
      merchants: demoMerchants.map((merchant) => ({
        ...merchant,
        terminals: [...merchant.terminals],
        ...('accepts' in merchant ? { accepts: [...merchant.accepts] } : merchant.id === lotusId ? { accepts: [...defaultAcceptedMethods, 'wechat', 'unionpay-qr'] } : {}),
      })),
      fees: { plansFile },
    });
    const gateway = await composeGateway(config, { logger });
    cleanups.push(() => gateway.close());
    await gateway.start();

    const adminKey = await createAdminKey(gateway.store);
    const consoleLogin = gateway.httpPort === null || !config.console.enabled ? null : await createConsoleAdmin(gateway.store);
    const terminalKeysFile = join(dir, 'terminal-keys.json');
    const masterKeys = await generateDemoTerminalKeys(gateway.store, config.security, terminalKeysFile);
    const httpUrl = gateway.httpPort === null ? null : `http://127.0.0.1:${gateway.httpPort}`;
    const progress = new Progress(options.progress, demoStepCount(httpUrl !== null));
    progress.line(`reswipe demo: banks on 127.0.0.1:${simA.server.isoPort} (primary) and :${simB.isoPort} (backup); terminals on :${gateway.terminalPorts.terminals ?? '?'} (cups-pos) and :${gateway.terminalPorts['terminals-ascii'] ?? '?'} (iso87-ascii)`);
    if (httpUrl === null) progress.line('the HTTP API is not part of this build yet: the web-shop lane is skipped');

    progress.line(
      `terminal master keys generated (the ceremony of \`reswipe terminal-keys generate\`): ${[...masterKeys].map(([id, key]) => `${id} ${key.algorithm} ${key.checkValue}`).join(', ')}; every sign-on below downloads fresh working keys in DE 62 and every sale is MACed`,
    );
    const ports = { 'cups-pos': gateway.terminalPorts.terminals ?? 0, 'iso87-ascii': gateway.terminalPorts['terminals-ascii'] ?? 0 };
    const lanes = demoLanes.filter((lane) => lane.via !== 'http' || httpUrl !== null);
    await Promise.all(lanes.map((lane) => runLane(lane, { ports, httpUrl, adminKey, progress, masterKeys, signal: options.signal })));
    if (httpUrl !== null && !options.signal.aborted) await runQrLane(httpUrl, adminKey, progress, options.signal);
    // Network faults run after the rest: a dropped bank connection takes down every sale in flight on it, which is real but muddles the story.
    if (!options.signal.aborted) {
      progress.line('now the bank link misbehaves: a reply that never comes, a connection dropped after the charge');
      await Promise.all(networkLanes.map((lane) => runLane(lane, { ports, httpUrl, adminKey, progress, masterKeys, signal: options.signal })));
    }
    if (!options.signal.aborted) {
      progress.line('the primary bank goes silent (it swallows every request, reversals included) while a sale is in flight');
      simA.server.setFaults({ ...simA.server.faults(), noReply: 1 });
      await runLane(waitLane, { ports, httpUrl, adminKey, progress, masterKeys, signal: options.signal });
      simA.server.setFaults({ ...simA.server.faults(), noReply: 0 });
      progress.line('the primary bank answers again: the pending reversal goes through');
    }
    await settle(gateway, options.signal);

    if (!options.signal.aborted) {
      progress.line('the primary bank turns flaky: it fails one sale at a time (swallowed, line dropped, charged then dropped)');
      await runLane(recoveryLane, { ports, httpUrl, adminKey, progress, masterKeys, signal: options.signal, armPrimaryFault: (fault) => armOnce(() => simA.server, fault, options.signal) });
      await settle(gateway, options.signal);
    }

    if (!options.signal.aborted) {
      progress.line('the primary bank goes offline: sales are not sent there and fail over to the backup bank');
      const port = simA.server.isoPort;
      await simA.server.close();
      await runLane(failoverLane, { ports, httpUrl, adminKey, progress, masterKeys, signal: options.signal });
      simA.server = await startSim(logger.child({ bank: 'a' }), port);
      progress.line('the primary bank is back');
      await settle(gateway, options.signal);
    }
    progress.done();

    const summary = await summarize(gateway.store, { primaryChannel: 'bank-a' });
    return {
      httpUrl,
      adminKey,
      consoleLogin,
      terminalPorts: { ...gateway.terminalPorts },
      databaseFile,
      terminalKeysFile,
      summary,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function startSim(logger: Logger, port: number): Promise<RunningIssuerServer> {
  return startIssuerServer({
    ...issuerServerDefaults,
    port,
    adminPort: 0,
    seed: demoSeed,
    faults: { ...noFaults, lateReplyMs: 5_000 },
    ledgerFile: undefined,
    logger,
  });
}

/** An admin API key made the way the HTTP API checks it (adapters/http/auth.ts): printed once, only its hash is stored. */
async function createAdminKey(store: Store): Promise<string> {
  const made = generateApiKey({ scope: 'admin' }, 'reswipe demo admin', Date.now());
  await store.write(async (tx) => {
    await tx.insertApiKey(made.record);
  });
  return made.key;
}

export const demoConsoleUser = 'demo-admin';

/** The console's admin login, made the way `reswipe users create` makes one: its password is printed once, only its scrypt hash is stored. */
async function createConsoleAdmin(store: Store): Promise<{ user: string; password: string }> {
  const nowMs = Date.now();
  const audit = (tx: StoreTx, action: string, subjectId: string, detail: Record<string, unknown>) => tx.appendAudit({ id: `aud_demo_${action}`, actor: 'demo', action, subjectId, detail, atMs: nowMs });
  const created = await createConsoleUser(store, { name: demoConsoleUser, role: 'admin', merchantIds: [] }, nowMs, audit, httpInvalidInput);
  return { user: created.user.name, password: created.password };
}

/** SM4 (国密) for one terminal per merchant's second lane, triple DES for the rest: the demo shows both. */
const demoSm4Terminals: ReadonlySet<string> = new Set(['T0000005']);

/**
 * The key ceremony an operator runs with `reswipe terminal-keys generate`, for every demo terminal:
 * the TMKs are sealed into the store, and written in clear to the demo folder (mode 0600) so the demo's
 * terminals, `reswipe terminal` and `reswipe load` can play the terminals that hold them.
 */
async function generateDemoTerminalKeys(
  store: Store,
  security: { terminalMasterKey?: string; terminalMasterKeyFile?: string; developmentMode: boolean },
  file: string,
): Promise<Map<string, TerminalMasterKey & { checkValue: string }>> {
  const ceremonies = new TerminalKeyCeremonies({ store, vault: TerminalKeyVault.fromSettings(security), clock: { nowMs: () => Date.now() } });
  const keys = new Map<string, TerminalMasterKey & { checkValue: string }>();
  for (const terminalId of demoMerchants.flatMap((merchant) => [...merchant.terminals])) {
    const algorithm: KeyAlgorithm = demoSm4Terminals.has(terminalId) ? 'sm4' : '3des';
    const generated = await ceremonies.generate(terminalId, algorithm, 2);
    const tmk = combineKeyComponents(algorithm, generated.components.map((component) => Buffer.from(component.hex, 'hex')));
    keys.set(terminalId, { algorithm, tmk, checkValue: generated.checkValue });
  }
  writeTerminalMasterKeys(file, keys);
  return keys;
}

interface LaneContext {
  ports: Record<'cups-pos' | 'iso87-ascii', number>;
  httpUrl: string | null;
  adminKey: string;
  progress: Progress;
  masterKeys: ReadonlyMap<string, TerminalMasterKey>;
  signal: AbortSignal;
  /** Arms a fault on the primary bank for its next request; resolves once it has hit (or after a bounded wait). */
  armPrimaryFault?: (fault: PrimaryFault) => Promise<void>;
}

const issuerFaultOf: Readonly<Record<PrimaryFault, IssuerFault>> = { noReply: 'no_reply', drop: 'drop_on_receipt', dropAfterProcessing: 'drop_after_processing' };

/**
 * Makes the bank misbehave on exactly its next request: the fault rate goes to 1, and back to 0 as soon as the
 * bank's counter shows the fault hit once, so the reversal that follows is answered. The caller sends the
 * sale right after arming; nothing else talks to the bank then (the phase runs alone, after a settle).
 */
function armOnce(sim: () => RunningIssuerServer, fault: PrimaryFault, signal: AbortSignal): Promise<void> {
  const server = sim();
  const counter = issuerFaultOf[fault];
  const before = server.stats.faults[counter] ?? 0;
  server.setFaults({ ...server.faults(), [fault]: 1 });
  return (async () => {
    for (let waitedMs = 0; waitedMs < terminalTimeoutMs && !signal.aborted; waitedMs += 5) {
      if ((server.stats.faults[counter] ?? 0) > before) break;
      await delay(5);
    }
    server.setFaults({ ...server.faults(), [fault]: 0 });
  })();
}

/** One cashier working through a lane's steps in order; a lane never throws, its failures are reported as progress. */
async function runLane(lane: DemoLane, context: LaneContext): Promise<void> {
  if (lane.via === 'http') {
    await runHttpLane(lane, context);
    return;
  }
  let session: TerminalSession;
  const masterKey = lane.terminalId === undefined || lane.terminalId === null ? undefined : context.masterKeys.get(lane.terminalId);
  try {
    session = await TerminalSession.connect({
      host: '127.0.0.1',
      port: context.ports[lane.via],
      dialect: lane.via,
      framing: 'binary2',
      terminalId: lane.terminalId ?? '',
      merchantId: lane.merchantId,
      answerTimeoutMs: terminalTimeoutMs + 5_000,
      stanFirst: 1 + (Date.now() % 500_000),
      ...(masterKey === undefined ? {} : { masterKey }),
    });
  } catch (error) {
    context.progress.line(`${lane.name}: cannot connect (${error instanceof Error ? error.message : 'error'})`);
    return;
  }
  const onAbort = () => session.close();
  context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const signOn = await session.signOn();
    if (signOn !== '00') {
      context.progress.line(`${lane.name}: sign-on answered ${signOn ?? 'nothing'}; lane skipped`);
      return;
    }
    if (session.macKeyCheckValue !== null) context.progress.line(`${lane.name}: ${lane.terminalId ?? ''} signed on, working keys downloaded under its master key (MAC key check value ${session.macKeyCheckValue})`);
    let last: SentSale | null = null;
    for (const step of lane.steps) {
      if (context.signal.aborted) return;
      let sent: SentSale;
      if (step.kind === 'resend') {
        if (last === null) continue;
        sent = last;
      } else {
        const card = cardOf(step.card);
        sent = session.buildSale({ pan: card.pan, amountMinor: step.amountMinor, entry: step.entry, expiry: step.expiry ?? card.expiry, cvv: step.cvv ?? card.cvv });
      }
      const armed = step.kind === 'sale' && step.primaryFault !== undefined ? context.armPrimaryFault?.(step.primaryFault) : undefined;
      const answer = await session.sale(sent);
      await armed;
      last = sent;
      context.progress.step(lane.name, step, describeAnswer(answer));
    }
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    session.close();
  }
}

/**
 * The QR sales of the demo (docs/qr-payments.md): WeChat Pay codes scanned at the till, sent over HTTP,
 * each magic code one outcome; then one UnionPay QR code, which rides the host link to the simulated
 * issuer like a card sale (docs/qr-unionpay.md).
 */
const qrDemoSales: ReadonlyArray<{ method: 'wechat' | 'unionpay-qr'; code: (n: number) => string; amountMinor: number; story: string }> = [
  { method: 'wechat', code: (n) => wechatMagicCode('130000', n), amountMinor: 1_850, story: 'paid at once' },
  { method: 'wechat', code: (n) => wechatMagicCode('131002', n), amountMinor: 4_200, story: 'the customer types the password: USERPAYING, queried twice, paid' },
  { method: 'wechat', code: (n) => wechatMagicCode('132001', n), amountMinor: 9_900, story: 'balance too low: NOTENOUGH, nothing charged' },
  { method: 'wechat', code: (n) => wechatMagicCode('133001', n), amountMinor: 3_300, story: 'SYSTEMERROR although the money moved: queried, found paid, approved (recovered from an unknown outcome)' },
  { method: 'wechat', code: (n) => wechatMagicCode('133002', n), amountMinor: 2_600, story: 'SYSTEMERROR and nothing happened: queried until the budget ends, then cancelled (撤销), not charged' },
  { method: 'unionpay-qr', code: (n) => `62${String(n).padStart(15, '0')}00`, amountMinor: 2_880, story: 'UnionPay QR (云闪付) on the host link like a card sale: approved by the issuer, priced at the UnionPay QR rate' },
];

async function runQrLane(httpUrl: string, adminKey: string, progress: Progress, signal: AbortSignal): Promise<void> {
  progress.line('QR payments (付款码) at Lotus Supermarket, through the WeChat Pay sandbox and the host link (UnionPay QR): the code is scanned, the pay is sent once, an unknown outcome is queried, then cancelled');
  for (const [index, sale] of qrDemoSales.entries()) {
    if (signal.aborted) return;
    let outcome: string;
    try {
      const response = await fetch(`${httpUrl}/v1/payments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'idempotency-key': `demo-qr-${Date.now().toString(36)}-${index}`, 'content-type': 'application/json' },
        body: JSON.stringify({ merchantId: lotusId, amountMinor: sale.amountMinor, currency: 'CNY', method: sale.method, authCode: sale.code(index + 1), reference: `qr-order-${index + 1}` }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      });
      const payment = (await response.json()) as { status?: string; decline?: { code?: string; verdict?: string } | null; card?: { masked?: string }; code?: string };
      outcome = response.ok ? `${payment.status ?? '?'}${payment.decline?.code === undefined ? '' : ` ${payment.decline.code} ${(payment.decline.verdict ?? '').toUpperCase()}`} (code ${payment.card?.masked ?? '?'})` : `HTTP ${response.status} ${payment.code ?? ''}`;
    } catch (error) {
      outcome = `HTTP request failed (${error instanceof Error ? error.name : 'error'})`;
    }
    progress.line(`  QR ¥${(sale.amountMinor / 100).toFixed(2)}, ${sale.story}: ${outcome}`);
  }
}

async function runHttpLane(lane: DemoLane, context: LaneContext): Promise<void> {
  if (context.httpUrl === null) return;
  let last: { key: string; body: string } | null = null;
  for (const [index, step] of lane.steps.entries()) {
    if (context.signal.aborted) return;
    let request: { key: string; body: string };
    if (step.kind === 'resend') {
      if (last === null) continue;
      request = last;
    } else {
      const card = cardOf(step.card);
      request = {
        key: `demo-web-${Date.now().toString(36)}-${index}`,
        body: JSON.stringify({
          merchantId: lane.merchantId,
          amountMinor: step.amountMinor,
          currency: 'CNY',
          card: { number: card.pan, expiry: step.expiry ?? card.expiry, cvv: step.cvv ?? card.cvv, entryMode: 'manual' },
          capture: true,
          reference: `web-order-${index + 1}`,
        }),
      };
    }
    last = request;
    let outcome: string;
    try {
      const response = await fetch(`${context.httpUrl}/v1/payments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${context.adminKey}`, 'idempotency-key': request.key, 'content-type': 'application/json' },
        body: request.body,
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(terminalTimeoutMs + 5_000)]),
      });
      const payment = (await response.json()) as { status?: string; responseCode?: string | null; decline?: { verdict?: string } | null; code?: string };
      outcome = response.ok
        ? `${payment.responseCode ?? '--'} ${(payment.decline?.verdict ?? (payment.status === 'approved' ? 'none' : '?')).toUpperCase()} (HTTP ${response.status}, ${payment.status ?? '?'})`
        : `HTTP ${response.status} ${payment.code ?? ''}`;
    } catch (error) {
      outcome = `HTTP request failed (${error instanceof Error ? error.name : 'error'})`;
    }
    context.progress.step(lane.name, step, outcome);
  }
}

function cardOf(idOrPan: string): { pan: string; expiry: string; cvv: string } {
  const card = testCards.find((candidate) => candidate.id === idOrPan);
  return card === undefined ? { pan: idOrPan, expiry: '3012', cvv: '123' } : { pan: card.pan, expiry: card.expiry, cvv: card.cvv };
}

function describeAnswer(answer: SaleAnswer): string {
  if (answer.kind === 'no_answer') return `no answer; terminal reversal ${answer.reversalCode ?? 'unanswered'}`;
  const verdict = answer.verdict === null ? '?' : answer.verdict.toUpperCase();
  return `${answer.responseCode ?? '--'} ${verdict}${answer.waitSeconds === null ? '' : `:${answer.waitSeconds}`}`;
}

/**
 * Waits (bounded) until no reversal is pending, no payment is still being resolved and the payment
 * projector has written what the answers journalled (fee lines are its work: the summary counts them).
 */
async function settle(gateway: Pick<Gateway, 'store' | 'projector'>, signal: AbortSignal): Promise<void> {
  for (let waitedMs = 0; waitedMs < settleWaitMsMax && !signal.aborted; waitedMs += 250) {
    const queue = await gateway.store.reversalQueueStats();
    const pending = await gateway.store.listPayments({ limit: 1, status: 'pending' });
    const projectorBehind = (await gateway.projector.lag()).entries;
    if (queue.pending === 0 && pending.data.length === 0 && projectorBehind === 0) return;
    await delay(250);
  }
}

/** The summary from the store: what the gateway recorded, whatever the script expected. */
export async function summarize(store: Store, options: { primaryChannel: string }): Promise<DemoSummary> {
  const payments: PaymentRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await store.listPayments({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    payments.push(...result.data);
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  const summary: DemoSummary = { sales: payments.length, approved: 0, declined: 0, reversed: 0, pending: 0, declinedByCategory: {}, verdicts: {}, recoveredApproved: 0, recoveredOnBackup: 0, recoveredRerouted: 0, recoveredReversed: 0, approvedMinor: 0, feesMinor: 0 };
  for (const payment of payments) {
    const verdict = payment.status === 'approved' ? 'none' : (payment.decline?.verdict ?? 'wait');
    summary.verdicts[verdict] = (summary.verdicts[verdict] ?? 0) + 1;
    switch (payment.status) {
      case 'approved': {
        summary.approved += 1;
        summary.approvedMinor += payment.amountMinor;
        const attempts = await store.listAttempts(payment.id);
        if (attempts.some((attempt) => attempt.outcome !== 'approved')) {
          summary.recoveredApproved += 1;
          if (attempts.some((attempt) => attempt.outcome === 'approved' && attempt.channel !== options.primaryChannel)) summary.recoveredOnBackup += 1;
        } else if (attempts.every((attempt) => attempt.channel !== options.primaryChannel)) summary.recoveredRerouted += 1;
        break;
      }
      case 'declined': {
        summary.declined += 1;
        const category = payment.decline?.category ?? 'other';
        summary.declinedByCategory[category] = (summary.declinedByCategory[category] ?? 0) + 1;
        break;
      }
      case 'reversed':
        summary.reversed += 1;
        summary.recoveredReversed += 1;
        break;
      case 'pending':
        summary.pending += 1;
        break;
      case 'voided':
        break;
    }
  }
  summary.feesMinor = (await store.listFeeLines({})).reduce((sum, line) => sum + line.feeMinor, 0);
  return summary;
}

/** The summary block printed on stdout; the first two lines are what the README points at. */
export function formatDemoSummary(running: Pick<DemoRunning, 'httpUrl' | 'adminKey' | 'consoleLogin' | 'terminalPorts' | 'databaseFile' | 'terminalKeysFile' | 'summary'>): string {
  const s = running.summary;
  const byCategory = Object.entries(s.declinedByCategory)
    .sort((a, b) => b[1] - a[1])
    .map(([category, count]) => `${category} ${count}`)
    .join(', ');
  const verdicts = Object.entries(s.verdicts)
    .map(([verdict, count]) => `${verdict.toUpperCase()} ${count}`)
    .join(', ');
  const lines = [
    running.httpUrl === null ? 'HTTP API:   not part of this build yet (terminal link only)' : `HTTP API:   ${running.httpUrl}  (OpenAPI at ${running.httpUrl}/openapi.json and /docs, with an admin key)`,
    `admin key:  ${running.adminKey}`,
    ...(running.httpUrl === null || running.consoleLogin === null ? [] : [`console: ${running.httpUrl}/console/ (user ${running.consoleLogin.user}, password ${running.consoleLogin.password})`]),
    `terminals:  cups-pos on 127.0.0.1:${running.terminalPorts.terminals ?? '?'}, iso87-ascii on 127.0.0.1:${running.terminalPorts['terminals-ascii'] ?? '?'}`,
    `database:   ${running.databaseFile}`,
    '',
    `sales:      ${s.sales} (approved ${s.approved}, declined ${s.declined}, reversed ${s.reversed}, still resolving ${s.pending})`,
    `declined by cause: ${byCategory === '' ? 'none' : byCategory}`,
    `verdicts:   ${verdicts}`,
    `recovered automatically: ${s.recoveredApproved} sales approved after a failed attempt (${s.recoveredOnBackup} on the backup bank, ${s.recoveredApproved - s.recoveredOnBackup} on a retry at the primary), ${s.recoveredRerouted} sent straight to the backup bank while the primary was down, ${s.recoveredReversed} unknown outcomes reversed (customer not charged)`,
    `approved:   CNY ${formatMinorAsYuan(s.approvedMinor)}, fees CNY ${formatMinorAsYuan(s.feesMinor)}`,
    '',
    'try:',
    ...(running.httpUrl === null ? [] : [`  curl -H "Authorization: Bearer ${running.adminKey}" ${running.httpUrl}/v1/payments`]),
    `  npx reswipe terminal --port ${running.terminalPorts.terminals ?? 8583} --terminal-id T0000001 --merchant-id ${demoMerchants[0].id} --terminal-keys-file ${running.terminalKeysFile}`,
    `  npx reswipe load --target iso://127.0.0.1:${running.terminalPorts.terminals ?? 8583} --concurrency 4 --duration 10 --terminal-keys-file ${running.terminalKeysFile}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Progress on stderr: one line per request (what the cashier saw) and, on a TTY, a bar redrawn under them. */
class Progress {
  readonly #out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #total: number;
  #done = 0;
  #barShown = false;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, total: number) {
    this.#out = out;
    this.#total = total;
  }

  line(text: string): void {
    this.#clearBar();
    this.#out.write(`${text}\n`);
    this.#drawBar();
  }

  step(lane: string, step: DemoStep, outcome: string): void {
    this.#done += 1;
    const amount = step.kind === 'sale' ? ` CNY ${formatMinorAsYuan(step.amountMinor)}` : '';
    this.line(`[${String(this.#done).padStart(3)}/${this.#total}] ${outcome.padEnd(12)} ${lane}: ${step.note}${amount}`);
  }

  done(): void {
    this.#clearBar();
  }

  #drawBar(): void {
    if (this.#out.isTTY !== true) return;
    const width = 30;
    const filled = Math.round((width * Math.min(this.#done, this.#total)) / Math.max(1, this.#total));
    this.#out.write(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.#total} requests`);
    this.#barShown = true;
  }

  #clearBar(): void {
    if (!this.#barShown) return;
    this.#out.write('\r\x1b[2K');
    this.#barShown = false;
  }
}
