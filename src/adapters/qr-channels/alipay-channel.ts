// The Alipay OpenAPI channel (protocol `alipay`): 付款码 payments through the classic gateway
// (`POST {baseUrl}`, form-encoded, RSA2-signed), implementing QrChannelPort. Every answer's signature is
// checked with Alipay's public key before anything in it is believed: an answer that does not verify
// is `no_answer/bad_signature`, UNKNOWN like a timeout, because a forged or garbled "failed" must never
// let the engine walk away from a trade that may be paid. docs/qr-alipay.md describes the protocol.
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { QrCallResult, QrCancelResult, QrChannelPort, QrHttpTransport, QrPayRequest, QrRefundRequest, QrRefundResult } from '../../core/ports/qr-channel.ts';
import {
  alipayMethods,
  alipayResponseKey,
  formBody,
  meaningOfCancelAnswer,
  meaningOfPayAnswer,
  meaningOfQueryAnswer,
  meaningOfRefundAnswer,
  meaningOfRefundQueryAnswer,
  payBizContent,
  refundBizContent,
  signedAlipayForm,
} from '../../core/qr/alipay-protocol.ts';
import { parseAlipayPrivateKey, parseAlipayPublicKey, readAlipayAnswer, verifyAlipaySignature } from '../../core/qr/alipay-signature.ts';
import { maskAuthCode } from '../../core/qr/mask-auth-code.ts';
import { createQrAgent, qrHttpTransport } from './qr-http-post.ts';

export interface AlipayChannelOptions {
  name: string;
  /** The gateway, e.g. https://openapi.alipay.com/gateway.do (or a sandbox). */
  baseUrl: string;
  appId: string;
  /** The merchant application's private key (signs requests). */
  privateKey: KeyObject;
  /** Alipay's public key (verifies answers). */
  alipayPublicKey: KeyObject;
  /** Sockets to the gateway at most; requests beyond wait in the Agent's queue. Default 8. */
  socketsMax?: number;
  /** Largest answer body read; larger is `no_answer/malformed_answer`. Default 65536. */
  answerBytesMax?: number;
  /** CA certificates to trust for an https sandbox; the system's by default. */
  tlsCa?: string | Buffer;
  logger?: LoggerLike;
  nowMs?: () => number;
  /** How requests travel: HTTP(S) over the channel's own connections by default; the simulation delivers them in process. */
  transport?: QrHttpTransport;
}

export const alipayChannelDefaults = { socketsMax: 8, answerBytesMax: 65_536 } as const;

/** Reads the two key files of a channel's config (PEM PKCS#1/PKCS#8/SPKI or bare base64). */
export function readAlipayKeyFiles(files: { privateKeyFile: string; alipayPublicKeyFile: string }): { privateKey: KeyObject; alipayPublicKey: KeyObject } {
  return {
    privateKey: parseAlipayPrivateKey(readFileSync(files.privateKeyFile, 'utf8')),
    alipayPublicKey: parseAlipayPublicKey(readFileSync(files.alipayPublicKeyFile, 'utf8')),
  };
}

type VerifiedCall =
  | { kind: 'answer'; response: Record<string, unknown>; sentAtMs: number; latencyMs: number }
  | { kind: 'not_sent'; reason: 'no_connection' | 'encode_failed' | 'closed'; detail: string }
  | { kind: 'no_answer'; reason: 'timeout' | 'connection_lost' | 'malformed_answer' | 'bad_signature'; detail: string; sentAtMs: number };

export function createAlipayChannel(options: AlipayChannelOptions): QrChannelPort {
  const nowMs = options.nowMs ?? Date.now;
  const answerBytesMax = options.answerBytesMax ?? alipayChannelDefaults.answerBytesMax;
  const url = new URL(options.baseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${options.name}: baseUrl must be an http(s) URL`);
  const agent = options.transport === undefined ? createQrAgent(url, { socketsMax: options.socketsMax ?? alipayChannelDefaults.socketsMax, ...(options.tlsCa !== undefined ? { tls: { ca: options.tlsCa } } : {}) }) : null;
  const transport = options.transport ?? qrHttpTransport(agent!);
  let closed = false;
  const credentials = { appId: options.appId, privateKey: options.privateKey };

  async function call(method: string, buildContent: () => Record<string, unknown>, timeoutMs: number, logFields: object): Promise<VerifiedCall> {
    let body: string;
    try {
      body = formBody(signedAlipayForm(method, buildContent(), credentials, nowMs()));
    } catch (error) {
      return { kind: 'not_sent', reason: 'encode_failed', detail: (error as Error).message };
    }
    if (closed) return { kind: 'not_sent', reason: 'closed', detail: 'the channel is closed' };
    const sentAtMs = nowMs();
    const result = await transport({ url, body, contentType: 'application/x-www-form-urlencoded;charset=utf-8', timeoutMs, answerBytesMax });
    if (result.kind !== 'answer') {
      options.logger?.warn({ channel: options.name, method, ...logFields, outcome: result.kind, reason: result.reason, detail: result.detail }, 'alipay call without an answer');
      return result.kind === 'not_sent' ? result : { ...result, sentAtMs };
    }
    const latencyMs = Math.max(0, nowMs() - sentAtMs);
    const answer = readAlipayAnswer(result.body, alipayResponseKey(method));
    if (answer === null) {
      options.logger?.warn({ channel: options.name, method, ...logFields }, 'alipay answer is not a JSON answer object');
      return { kind: 'no_answer', reason: 'malformed_answer', detail: 'the answer holds no response object', sentAtMs };
    }
    if (answer.sign === null || !verifyAlipaySignature(answer.signedText, answer.sign, options.alipayPublicKey)) {
      options.logger?.error({ channel: options.name, method, ...logFields, signed: answer.sign !== null }, 'alipay answer signature does not verify');
      return { kind: 'no_answer', reason: 'bad_signature', detail: answer.sign === null ? 'the answer is not signed' : 'the answer signature does not verify', sentAtMs };
    }
    options.logger?.debug({ channel: options.name, method, ...logFields, code: answer.response['code'], subCode: answer.response['sub_code'] }, 'alipay answer');
    return { kind: 'answer', response: answer.response, sentAtMs, latencyMs };
  }

  async function tradeCall(method: string, buildContent: () => Record<string, unknown>, timeoutMs: number, logFields: object, meaning: typeof meaningOfPayAnswer): Promise<QrCallResult> {
    const result = await call(method, buildContent, timeoutMs, logFields);
    if (result.kind !== 'answer') return result;
    return { kind: 'answer', ...meaning(result.response), sentAtMs: result.sentAtMs, latencyMs: result.latencyMs };
  }

  return {
    name: options.name,
    protocol: 'alipay',
    method: 'alipay',
    pay: (request: QrPayRequest, { timeoutMs }) =>
      tradeCall(alipayMethods.pay, () => payBizContent(request), timeoutMs, { outTradeNo: request.outTradeNo, authCode: maskAuthCode(request.authCode) }, meaningOfPayAnswer),
    query: (outTradeNo: string, { timeoutMs }) => tradeCall(alipayMethods.query, () => ({ out_trade_no: outTradeNo }), timeoutMs, { outTradeNo }, meaningOfQueryAnswer),
    async cancel(outTradeNo: string, { timeoutMs }): Promise<QrCancelResult> {
      const result = await call(alipayMethods.cancel, () => ({ out_trade_no: outTradeNo }), timeoutMs, { outTradeNo });
      if (result.kind !== 'answer') return result;
      return { kind: 'answer', ...meaningOfCancelAnswer(result.response), sentAtMs: result.sentAtMs, latencyMs: result.latencyMs };
    },
    async refund(request: QrRefundRequest, { timeoutMs }): Promise<QrRefundResult> {
      const result = await call(alipayMethods.refund, () => refundBizContent(request), timeoutMs, { outTradeNo: request.outTradeNo, outRefundNo: request.outRefundNo });
      if (result.kind !== 'answer') return result;
      return { kind: 'answer', ...meaningOfRefundAnswer(result.response, request.refundMinor), sentAtMs: result.sentAtMs, latencyMs: result.latencyMs };
    },
    async refundQuery(outTradeNo: string, outRefundNo: string, { timeoutMs }): Promise<QrRefundResult> {
      const result = await call(alipayMethods.refundQuery, () => ({ out_trade_no: outTradeNo, out_request_no: outRefundNo }), timeoutMs, { outTradeNo, outRefundNo });
      if (result.kind !== 'answer') return result;
      return { kind: 'answer', ...meaningOfRefundQueryAnswer(result.response), sentAtMs: result.sentAtMs, latencyMs: result.latencyMs };
    },
    async close(): Promise<void> {
      closed = true;
      agent?.destroy();
    },
  };
}
