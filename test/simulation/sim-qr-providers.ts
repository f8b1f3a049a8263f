// The simulated QR providers: the QR sandbox's own WeChat Pay v2 and Alipay providers (src/sim/qr/, the
// protocol, the signatures, the magic codes and the book of trades `reswipe qr-sim` serves) behind a
// seeded faulty network on virtual time. composeGateway builds the REAL QR adapters (WeChat Pay v2,
// Alipay) with an injected transport (QrHttpTransport, src/core/ports/qr-channel.ts): each request's
// bytes are handed to the provider in process instead of over a socket, so signing, parsing and
// verification run as in production. Faults per request, like the sandbox server's (qr-fault-plan.ts):
// never sent, lost on the way (never processed), processed and the answer lost, processed and the
// answer late (past the channel's timeout), processed and the answer's signature broken. The providers
// act whatever happens to the gateway afterwards; answers travel on the generation's connection, so a
// crashed gateway never reads them. The ledger and the log of pays are what the auditor checks.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QrHttpResult, QrHttpTransport } from '../../src/core/ports/qr-channel.ts';
import { decodeFlatXml } from '../../src/core/qr/flat-xml.ts';
import { yuanToFen } from '../../src/core/qr/yuan-amount.ts';
import { nextIntInclusive, nextUnit, type Random } from '../../src/core/time/random.ts';
import { alipaySandboxPath, createAlipaySandboxFromPem, type AlipaySandbox } from '../../src/sim/qr/alipay-sandbox.ts';
import { alipaySandboxDefaultAppId } from '../../src/sim/qr/alipay-sandbox-setup.ts';
import { WechatPaySandbox, wechatSandboxDefaults } from '../../src/sim/qr/wechatpay-sandbox.ts';
import type { VirtualScheduler } from './virtual-scheduler.ts';

/** Probabilities per QR request (each in [0, 1], summing to at most 1) plus the one-way delay range. */
export interface QrNetworkFaults {
  /** No connection: nothing leaves, the adapter says not_sent. */
  notSent: number;
  /** The request is lost: the provider never sees it, the call times out. */
  requestLost: number;
  /** The provider processes the request (money may move) and the connection drops before the answer. */
  answerLost: number;
  /** The provider processes the request and the answer arrives after the channel's timeout. */
  slowAnswer: number;
  /** The provider processes the request and its answer carries a signature that does not verify. */
  badSignature: number;
  delayMsMax: number;
}

export const healthyQrNetwork: QrNetworkFaults = Object.freeze({ notSent: 0, requestLost: 0, answerLost: 0, slowAnswer: 0, badSignature: 0, delayMsMax: 40 });

type QrFault = 'none' | 'notSent' | 'requestLost' | 'answerLost' | 'slowAnswer' | 'badSignature';
const qrFaultNames = ['notSent', 'requestLost', 'answerLost', 'slowAnswer', 'badSignature'] as const;
export type QrProviderName = 'wechat' | 'alipay';
type QrCall = 'pay' | 'query' | 'cancel' | 'refund' | 'refundQuery';

export interface QrNetworkStats {
  sent: number;
  faults: Record<QrFault, number>;
  /** Requests the providers processed, by call. */
  processed: Record<QrCall, number>;
  /** Pays the provider never answers (the magic "no answer" codes). */
  silent: number;
}

/** A pay that reached a provider: the auditor allows one per payment (an unknown is queried or cancelled, never paid again). */
export interface QrPayDelivered {
  provider: QrProviderName;
  outTradeNo: string;
  amountMinor: number;
  atMs: number;
}

/** One trade in a provider's book, as the auditor reads it: what was paid, and what went back by refund or cancel. */
export interface QrLedgerTrade {
  provider: QrProviderName;
  outTradeNo: string;
  amountMinor: number;
  paidMinor: number;
  /** Given back by a cancel (WeChat reverse, Alipay cancel with action refund). */
  reversedMinor: number;
  /** Each refund's amount. */
  refundsMinor: number[];
  state: string;
}

/** Where the simulated gateway's QR channels point; no socket is ever opened to them. */
export const simQrBaseUrls = { wechat: 'http://wechatpay.sim', alipay: `http://alipay.sim${alipaySandboxPath}` } as const;

/**
 * The Alipay key pairs of every simulated run in this process, made once: 1024-bit throwaway keys, so the
 * RSA2 signatures both ways cost a quarter of production's 2048 bits in CPU (the algorithm is the same).
 */
let simAlipayKeys: { merchantPrivateKeyPem: string; merchantPublicKeyPem: string; sandboxPrivateKeyPem: string; sandboxPublicKeyPem: string } | null = null;
function alipayKeys(): NonNullable<typeof simAlipayKeys> {
  if (simAlipayKeys === null) {
    const pair = () => generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const merchant = pair();
    const sandbox = pair();
    simAlipayKeys = { merchantPrivateKeyPem: merchant.privateKey, merchantPublicKeyPem: merchant.publicKey, sandboxPrivateKeyPem: sandbox.privateKey, sandboxPublicKeyPem: sandbox.publicKey };
  }
  return simAlipayKeys;
}

/** The two QR providers and the wires to them, shared by every gateway generation of one run. */
export class SimQrProviders {
  readonly wechat: WechatPaySandbox;
  readonly alipay: AlipaySandbox;
  faults: QrNetworkFaults;
  readonly pays: QrPayDelivered[] = [];
  readonly stats: QrNetworkStats = {
    sent: 0,
    faults: { none: 0, notSent: 0, requestLost: 0, answerLost: 0, slowAnswer: 0, badSignature: 0 },
    processed: { pay: 0, query: 0, cancel: 0, refund: 0, refundQuery: 0 },
    silent: 0,
  };

  constructor(
    readonly scheduler: VirtualScheduler,
    readonly random: Random,
    faults: QrNetworkFaults,
  ) {
    this.faults = faults;
    const nowMs = (): number => scheduler.nowMs();
    this.wechat = new WechatPaySandbox({ ...wechatSandboxDefaults, tradesMax: 1_000_000, nowMs });
    const keys = alipayKeys();
    this.alipay = createAlipaySandboxFromPem({ appId: alipaySandboxDefaultAppId, sandboxPrivateKeyPem: keys.sandboxPrivateKeyPem, merchantPublicKeyPem: keys.merchantPublicKeyPem, tradesMax: 1_000_000, nowMs });
  }

  /** The QR channels of the simulated gateway's config (their Alipay key files written into `dir`). */
  channelConfigs(dir: string, timeoutMs: number): Array<Record<string, unknown>> {
    const keys = alipayKeys();
    const privateKeyFile = join(dir, 'alipay-app-private-key.pem');
    const alipayPublicKeyFile = join(dir, 'alipay-public-key.pem');
    writeFileSync(privateKeyFile, keys.merchantPrivateKeyPem, { mode: 0o600 });
    writeFileSync(alipayPublicKeyFile, keys.sandboxPublicKeyPem);
    return [
      { name: 'wx', protocol: 'wechatpay-v2', baseUrl: simQrBaseUrls.wechat, ...wechatSandboxDefaults, timeoutMs },
      { name: 'ali', protocol: 'alipay', baseUrl: simQrBaseUrls.alipay, appId: alipaySandboxDefaultAppId, privateKeyFile, alipayPublicKeyFile, timeoutMs },
    ];
  }

  /**
   * The transport of one gateway generation's QR channels. `afterPay` runs the instant a provider has
   * processed a pay, before its answer leaves (where the harness may crash the gateway).
   */
  transportFor(epoch: number, afterPay: () => void): QrHttpTransport {
    const { scheduler } = this;
    return (request) => {
      this.stats.sent += 1;
      const fault = this.drawFault();
      this.stats.faults[fault] += 1;
      return new Promise<QrHttpResult>((resolve) => {
        let settled = false;
        const finish = (result: QrHttpResult): void => {
          if (settled) return;
          settled = true;
          resolve(result);
        };
        if (fault === 'notSent') {
          scheduler.after(0, () => finish({ kind: 'not_sent', reason: 'no_connection', detail: 'simulated: connection refused' }), epoch);
          return;
        }
        scheduler.after(request.timeoutMs, () => finish({ kind: 'no_answer', reason: 'timeout', detail: `simulated: no answer within ${request.timeoutMs} ms` }), epoch);
        if (fault === 'requestLost') return;
        const backMs = this.delayMs() + (fault === 'slowAnswer' ? request.timeoutMs + nextIntInclusive(this.random, 1, 2 * request.timeoutMs) : 0);
        // The provider acts whatever happens to the gateway afterwards: its task belongs to no generation.
        scheduler.after(this.delayMs(), async () => {
          const processed = await this.process(request.url, request.body);
          if (processed === null) return;
          if (processed.call === 'pay') afterPay();
          if (processed.silent) {
            this.stats.silent += 1;
            return;
          }
          if (fault === 'answerLost') {
            scheduler.after(this.delayMs(), () => finish({ kind: 'no_answer', reason: 'connection_lost', detail: 'simulated: connection lost' }), epoch);
            return;
          }
          const body = fault === 'badSignature' && processed.bodyWithBadSignature !== null ? processed.bodyWithBadSignature : processed.body;
          // Answers travel on this generation's connection: a crashed gateway never reads them.
          scheduler.after(
            backMs,
            () => finish(processed.status === 200 ? { kind: 'answer', status: 200, body } : { kind: 'no_answer', reason: 'malformed_answer', detail: `HTTP ${processed.status}` }),
            epoch,
          );
        });
      });
    };
  }

  /** Every trade of both books, the placeholders a cancel of an unknown out_trade_no leaves included. */
  ledger(): QrLedgerTrade[] {
    const trades: QrLedgerTrade[] = [];
    for (const trade of this.wechat.book.trades.values()) {
      trades.push({ provider: 'wechat', outTradeNo: trade.outTradeNo, amountMinor: trade.totalFee, paidMinor: trade.paidFee, reversedMinor: trade.reversedFee, refundsMinor: trade.refunds.map((refund) => refund.refundFee), state: trade.state });
    }
    for (const trade of this.alipay.trades()) {
      const paidMinor = trade.wasPaid ? trade.totalFen : 0;
      // Alipay refuses to cancel a trade with refunds, so a paid trade closed with none refunded was given back by its cancel.
      const reversedMinor = trade.wasPaid && trade.status === 'TRADE_CLOSED' && trade.refundedFen === 0 ? trade.totalFen : 0;
      trades.push({ provider: 'alipay', outTradeNo: trade.outTradeNo, amountMinor: trade.totalFen, paidMinor, reversedMinor, refundsMinor: [...trade.refunds.values()], state: trade.status });
    }
    return trades;
  }

  private drawFault(): QrFault {
    let draw = nextUnit(this.random);
    for (const name of qrFaultNames) {
      const rate = this.faults[name];
      if (draw < rate) return name;
      draw -= rate;
    }
    return 'none';
  }

  private delayMs(): number {
    return nextIntInclusive(this.random, 0, this.faults.delayMsMax);
  }

  /** Hands one request to the provider that serves its path; logs the pays that reached it. */
  private async process(url: URL, body: string): Promise<{ call: QrCall; status: number; body: string; bodyWithBadSignature: string | null; silent: boolean } | null> {
    const provider = this.wechat.handles(url.pathname) ? this.wechat : this.alipay.handles(url.pathname) ? this.alipay : null;
    if (provider === null) throw new Error(`simulated QR network: no provider answers ${url.href}`);
    const call = provider === this.wechat ? wechatCallOf(url.pathname) : alipayCallOf(body);
    if (call === null) return null;
    if (call === 'pay') {
      const pay = provider === this.wechat ? wechatPayOf(body) : alipayPayOf(body);
      if (pay !== null) this.pays.push({ provider: provider === this.wechat ? 'wechat' : 'alipay', ...pay, atMs: this.scheduler.nowMs() });
    }
    this.stats.processed[call] += 1;
    const answer = await provider.handle({ method: 'POST', path: url.pathname, query: url.searchParams, contentType: '', body, clientCertificate: 'not_checked' });
    return { call, status: answer.status, body: answer.body, bodyWithBadSignature: answer.bodyWithBadSignature, silent: answer.delivery === 'silent' };
  }
}

const wechatCalls: Readonly<Record<string, QrCall>> = { '/pay/micropay': 'pay', '/pay/orderquery': 'query', '/secapi/pay/reverse': 'cancel', '/secapi/pay/refund': 'refund', '/pay/refundquery': 'refundQuery' };
const alipayCalls: Readonly<Record<string, QrCall>> = { 'alipay.trade.pay': 'pay', 'alipay.trade.query': 'query', 'alipay.trade.cancel': 'cancel', 'alipay.trade.refund': 'refund', 'alipay.trade.fastpay.refund.query': 'refundQuery' };

function wechatCallOf(path: string): QrCall | null {
  return wechatCalls[path] ?? null;
}

function alipayCallOf(body: string): QrCall | null {
  return alipayCalls[new URLSearchParams(body).get('method') ?? ''] ?? null;
}

function wechatPayOf(body: string): { outTradeNo: string; amountMinor: number } | null {
  const decoded = decodeFlatXml(body);
  if (!decoded.ok) return null;
  return { outTradeNo: decoded.fields.out_trade_no ?? '', amountMinor: Number(decoded.fields.total_fee ?? 0) };
}

function alipayPayOf(body: string): { outTradeNo: string; amountMinor: number } | null {
  try {
    const content = JSON.parse(new URLSearchParams(body).get('biz_content') ?? '{}') as Record<string, unknown>;
    return { outTradeNo: String(content['out_trade_no'] ?? ''), amountMinor: yuanToFen(String(content['total_amount'] ?? '')) ?? 0 };
  } catch {
    return null;
  }
}
