// The WeChat Pay API v2 merchant channel (付款码支付): pay/micropay, pay/orderquery,
// secapi/pay/reverse, secapi/pay/refund and pay/refundquery over HTTP(S), flat XML bodies signed with
// the merchant key (MD5 or HMAC-SHA256, src/core/qr/wechatpay-sign.ts). Every answer that says
// return_code SUCCESS must carry a signature that verifies under our key, or it is `no_answer /
// bad_signature`: never trusted. What each answer means is decided in src/core/qr/wechatpay-v2-answers.ts.
// The merchant certificate (PKCS#12 as WeChat issues it, or PEM) rides every HTTPS connection: the
// secapi calls need it. docs/qr-wechatpay.md has the configuration and the states.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { QrCallResult, QrCancelResult, QrChannelPort, QrHttpTransport, QrPayRequest, QrRefundRequest, QrRefundResult } from '../../core/ports/qr-channel.ts';
import { decodeFlatXml, encodeFlatXml } from '../../core/qr/flat-xml.ts';
import { verifyWechatSign, wechatSign, wechatSignTypes, type WechatSignType } from '../../core/qr/wechatpay-sign.ts';
import { readMicropayAnswer, readOrderQueryAnswer, readRefundAnswer, readRefundQueryAnswer, readReverseAnswer, type WechatAnswerReading, type WechatRefundReading, type WechatTradeReading } from '../../core/qr/wechatpay-v2-answers.ts';
import { createQrAgent, qrHttpTransport, type QrPostTarget } from './qr-http-post.ts';

export interface WechatPayV2ChannelConfig {
  readonly name: string;
  /** `https://api.mch.weixin.qq.com`, or a sandbox's URL. */
  readonly baseUrl: string;
  readonly appId: string;
  readonly mchId: string;
  /** The API key (API密钥) set in the merchant platform: 32 characters. */
  readonly key: string;
  readonly signType?: WechatSignType;
  /** The merchant certificate: `apiclient_cert.p12` (PKCS#12), or a PEM certificate (with keyFile, or the key in the same file). */
  readonly certFile?: string;
  /** The PKCS#12 password; WeChat sets it to the mchId, the default. */
  readonly certPassword?: string;
  /** The PEM private key of a PEM certFile, when it is a separate file. */
  readonly keyFile?: string;
  /** PEM CAs to trust instead of the system's (a sandbox with a test certificate). */
  readonly caFile?: string;
  /** The default deadline of one call; each call of the port names its own. */
  readonly timeoutMs: number;
  /** Most connections at once (default 16). */
  readonly socketsMax?: number;
  /** Largest answer read (default 64 KiB). */
  readonly answerBytesMax?: number;
  /** spbill_create_ip when the request names none: the IP of the machine calling WeChat. */
  readonly serverIp?: string;
}

export interface WechatPayV2ChannelDeps {
  /** Wall clock for sentAtMs and latency (a test may pass its own). */
  readonly nowMs?: () => number;
  /** nonce_str: 32 random hex digits by default. */
  readonly nonce?: () => string;
  /** How requests travel: HTTP(S) over the channel's own connections by default; the simulation delivers them in process. */
  readonly transport?: QrHttpTransport;
}

export const wechatPayV2Limits = Object.freeze({ socketsMaxDefault: 16, socketsMax: 256, answerBytesMaxDefault: 65_536, answerBytesMax: 1_048_576, timeoutMsMin: 100, timeoutMsMax: 120_000 });

/** out_trade_no: at most 32 of [A-Za-z0-9_-|*]. */
const outTradeNoPattern = /^[A-Za-z0-9_\-|*]{1,32}$/;
/** out_refund_no: at most 64 of [A-Za-z0-9_-|*@]. */
const outRefundNoPattern = /^[A-Za-z0-9_\-|*@]{1,64}$/;

/**
 * Our payment ids are `pay_` and 32 hex digits (36 characters), four too many for out_trade_no: the
 * prefix is dropped, leaving the 128 random bits. Any other id that already fits is sent as it is; one
 * that does not fit is refused (never cut, which could make two payments share an order).
 */
export function wechatOutTradeNo(paymentId: string): string | null {
  const ours = /^pay_([0-9a-f]{32})$/.exec(paymentId);
  if (ours !== null) return ours[1] as string;
  return outTradeNoPattern.test(paymentId) ? paymentId : null;
}

function invalid(field: string, reason: string): ReswipeError {
  return new ReswipeError('RSW_CHANNEL_OPTIONS_INVALID', { field, reason });
}

/** Checks a channel's configuration; throws RSW_CHANNEL_OPTIONS_INVALID naming the field. */
export function checkWechatPayV2Config(config: WechatPayV2ChannelConfig): URL {
  let url: URL;
  try {
    url = new URL(config.baseUrl);
  } catch {
    throw invalid('baseUrl', 'not a URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw invalid('baseUrl', 'must be an http(s) URL without credentials, query or fragment');
  }
  if (!/^[A-Za-z0-9_]{1,32}$/.test(config.appId)) throw invalid('appId', 'must be 1 to 32 letters, digits or _');
  if (!/^[0-9A-Za-z]{1,32}$/.test(config.mchId)) throw invalid('mchId', 'must be 1 to 32 letters or digits');
  if (!/^[\x21-\x7e]{32}$/.test(config.key)) throw invalid('key', 'the API key must be 32 printable ASCII characters');
  if (config.signType !== undefined && !(wechatSignTypes as readonly string[]).includes(config.signType)) throw invalid('signType', `must be ${wechatSignTypes.join(' or ')}`);
  const { timeoutMsMin, timeoutMsMax, socketsMax, answerBytesMax } = wechatPayV2Limits;
  if (!(Number.isInteger(config.timeoutMs) && config.timeoutMs >= timeoutMsMin && config.timeoutMs <= timeoutMsMax)) throw invalid('timeoutMs', `must be an integer from ${timeoutMsMin} to ${timeoutMsMax}`);
  if (config.socketsMax !== undefined && !(Number.isInteger(config.socketsMax) && config.socketsMax >= 1 && config.socketsMax <= socketsMax)) throw invalid('socketsMax', `must be an integer from 1 to ${socketsMax}`);
  if (config.answerBytesMax !== undefined && !(Number.isInteger(config.answerBytesMax) && config.answerBytesMax >= 1_024 && config.answerBytesMax <= answerBytesMax)) {
    throw invalid('answerBytesMax', `must be an integer from 1024 to ${answerBytesMax}`);
  }
  if (config.serverIp !== undefined && !/^(\d{1,3}\.){3}\d{1,3}$|^[0-9A-Fa-f:]{2,39}$/.test(config.serverIp)) throw invalid('serverIp', 'must be an IPv4 or IPv6 address');
  if (url.protocol === 'http:' && config.certFile !== undefined) throw invalid('certFile', 'a client certificate needs an https baseUrl');
  return url;
}

function readFile(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ReswipeError('RSW_TLS_FILE_UNREADABLE', { field, file, reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' }, { cause: error });
  }
}

/** The TLS material of the channel: the merchant certificate (PKCS#12 or PEM) and any CA, proved usable once at start. */
function readWechatTls(config: WechatPayV2ChannelConfig): SecureContextOptions {
  const field = `qrChannels.${config.name}`;
  const options: SecureContextOptions = {};
  if (config.caFile !== undefined) options.ca = readFile(config.caFile, `${field}.caFile`);
  if (config.certFile !== undefined) {
    const cert = readFile(config.certFile, `${field}.certFile`);
    if (/\.(p12|pfx)$/i.test(config.certFile)) {
      options.pfx = cert;
      options.passphrase = config.certPassword ?? config.mchId;
    } else {
      options.cert = cert;
      options.key = config.keyFile === undefined ? cert : readFile(config.keyFile, `${field}.keyFile`);
      if (config.certPassword !== undefined) options.passphrase = config.certPassword;
    }
  }
  try {
    createSecureContext(options);
  } catch (error) {
    // OpenSSL's reason ("mac verify failure", "no start line") never holds key bytes.
    throw new ReswipeError('RSW_TLS_MATERIAL_INVALID', { field, reason: error instanceof Error ? error.message : 'unusable' }, { cause: error });
  }
  return options;
}

/** Cuts text to at most `bytesMax` UTF-8 bytes without splitting a character (WeChat counts bytes). */
function cutUtf8(text: string, bytesMax: number): string {
  let cut = '';
  let bytes = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > bytesMax) break;
    cut += character;
    bytes += size;
  }
  return cut;
}

type Verified = { ok: true; fields: Record<string, string>; sentAtMs: number; latencyMs: number } | Exclude<QrCallResult, { kind: 'answer' }>;

export class WechatPayV2Channel implements QrChannelPort {
  readonly protocol = 'wechatpay-v2' as const;
  readonly method = 'wechat' as const;
  readonly name: string;
  private readonly signType: WechatSignType;
  private readonly baseUrl: URL;
  /** The channel's own connections; null when an injected transport carries the requests. */
  private readonly agent: QrPostTarget['agent'] | null;
  private readonly transport: QrHttpTransport;
  private readonly nowMs: () => number;
  private readonly nonce: () => string;
  private readonly answerBytesMax: number;
  private closed = false;

  constructor(
    private readonly config: WechatPayV2ChannelConfig,
    deps: WechatPayV2ChannelDeps = {},
  ) {
    this.baseUrl = checkWechatPayV2Config(config);
    this.name = config.name;
    this.signType = config.signType ?? 'MD5';
    this.answerBytesMax = config.answerBytesMax ?? wechatPayV2Limits.answerBytesMaxDefault;
    if (deps.transport === undefined) {
      const tls = this.baseUrl.protocol === 'https:' ? readWechatTls(config) : undefined;
      this.agent = createQrAgent(this.baseUrl, { socketsMax: config.socketsMax ?? wechatPayV2Limits.socketsMaxDefault, ...(tls === undefined ? {} : { tls }) });
      this.transport = qrHttpTransport(this.agent);
    } else {
      this.agent = null;
      this.transport = deps.transport;
    }
    this.nowMs = deps.nowMs ?? Date.now;
    this.nonce = deps.nonce ?? (() => randomBytes(16).toString('hex'));
  }

  async pay(request: QrPayRequest, options: { timeoutMs: number }): Promise<QrCallResult> {
    const outTradeNo = wechatOutTradeNo(request.outTradeNo);
    if (outTradeNo === null) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the payment id cannot be an out_trade_no (at most 32 of A-Z a-z 0-9 _ - | *)' };
    if (request.currency !== 'CNY') return { kind: 'not_sent', reason: 'encode_failed', detail: `WeChat Pay 付款码 takes CNY, not ${request.currency}` };
    if (!(Number.isSafeInteger(request.amountMinor) && request.amountMinor > 0)) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the amount must be a positive whole number of fen' };
    // The code is checked for shape only so a typo is refused here; the detail never holds it.
    if (!/^[0-9]{10,32}$/.test(request.authCode)) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the auth code must be 10 to 32 digits' };
    const fields: Record<string, string> = {
      body: cutUtf8(request.description.trim() === '' ? request.merchantId : request.description, 128),
      out_trade_no: outTradeNo,
      total_fee: String(request.amountMinor),
      fee_type: 'CNY',
      spbill_create_ip: request.clientIp ?? this.config.serverIp ?? '127.0.0.1',
      auth_code: request.authCode,
    };
    if (request.terminalId !== null && /^[A-Za-z0-9_-]{1,32}$/.test(request.terminalId)) fields.device_info = request.terminalId;
    const verified = await this.call('/pay/micropay', fields, options.timeoutMs);
    return this.tradeResult(verified, (answer) => readMicropayAnswer(answer, outTradeNo));
  }

  async query(paymentId: string, options: { timeoutMs: number }): Promise<QrCallResult> {
    const outTradeNo = wechatOutTradeNo(paymentId);
    if (outTradeNo === null) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the payment id cannot be an out_trade_no' };
    const verified = await this.call('/pay/orderquery', { out_trade_no: outTradeNo }, options.timeoutMs);
    return this.tradeResult(verified, (answer) => readOrderQueryAnswer(answer, outTradeNo));
  }

  async cancel(paymentId: string, options: { timeoutMs: number }): Promise<QrCancelResult> {
    const outTradeNo = wechatOutTradeNo(paymentId);
    if (outTradeNo === null) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the payment id cannot be an out_trade_no' };
    const verified = await this.call('/secapi/pay/reverse', { out_trade_no: outTradeNo }, options.timeoutMs);
    if (!('ok' in verified)) return verified;
    const reading = readReverseAnswer(verified.fields);
    if (!reading.ok) return { kind: 'no_answer', reason: 'malformed_answer', detail: reading.reason, sentAtMs: verified.sentAtMs };
    // WeChat does not say whether the reverse closed the order or refunded a payment.
    return { kind: 'answer', ...reading.value, action: null, sentAtMs: verified.sentAtMs, latencyMs: verified.latencyMs };
  }

  async refund(request: QrRefundRequest, options: { timeoutMs: number }): Promise<QrRefundResult> {
    const outTradeNo = wechatOutTradeNo(request.outTradeNo);
    if (outTradeNo === null) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the payment id cannot be an out_trade_no' };
    if (!outRefundNoPattern.test(request.outRefundNo)) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the refund id cannot be an out_refund_no (at most 64 of A-Z a-z 0-9 _ - | * @)' };
    if (request.currency !== 'CNY') return { kind: 'not_sent', reason: 'encode_failed', detail: `WeChat Pay refunds CNY, not ${request.currency}` };
    if (!(Number.isSafeInteger(request.refundMinor) && request.refundMinor > 0 && Number.isSafeInteger(request.totalMinor) && request.refundMinor <= request.totalMinor)) {
      return { kind: 'not_sent', reason: 'encode_failed', detail: 'the refund must be a positive whole number of fen, at most the total' };
    }
    const fields: Record<string, string> = {
      out_trade_no: outTradeNo,
      out_refund_no: request.outRefundNo,
      total_fee: String(request.totalMinor),
      refund_fee: String(request.refundMinor),
      refund_fee_type: 'CNY',
    };
    if (request.reason !== null && request.reason.trim() !== '') fields.refund_desc = cutUtf8(request.reason, 80);
    const verified = await this.call('/secapi/pay/refund', fields, options.timeoutMs);
    return this.refundResult(verified, (answer) => readRefundAnswer(answer, outTradeNo));
  }

  async refundQuery(paymentId: string, outRefundNo: string, options: { timeoutMs: number }): Promise<QrRefundResult> {
    const outTradeNo = wechatOutTradeNo(paymentId);
    if (outTradeNo === null || !outRefundNoPattern.test(outRefundNo)) return { kind: 'not_sent', reason: 'encode_failed', detail: 'the payment or refund id cannot be sent to WeChat' };
    // WeChat takes one key, out_refund_no first when both are given; out_trade_no is checked in the answer.
    const verified = await this.call('/pay/refundquery', { out_refund_no: outRefundNo }, options.timeoutMs);
    return this.refundResult(verified, (answer) => {
      if (answer.out_trade_no !== undefined && answer.out_trade_no !== '' && answer.out_trade_no !== outTradeNo) return { ok: false, reason: 'the refund belongs to another out_trade_no' };
      return readRefundQueryAnswer(answer, outRefundNo);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent?.destroy();
  }

  private tradeResult(verified: Verified, read: (fields: Record<string, string>) => WechatAnswerReading<WechatTradeReading>): QrCallResult {
    if (!('ok' in verified)) return verified;
    const reading = read(verified.fields);
    if (!reading.ok) return { kind: 'no_answer', reason: 'malformed_answer', detail: reading.reason, sentAtMs: verified.sentAtMs };
    return { kind: 'answer', ...reading.value, sentAtMs: verified.sentAtMs, latencyMs: verified.latencyMs };
  }

  private refundResult(verified: Verified, read: (fields: Record<string, string>) => WechatAnswerReading<WechatRefundReading>): QrRefundResult {
    if (!('ok' in verified)) return verified;
    const reading = read(verified.fields);
    if (!reading.ok) return { kind: 'no_answer', reason: 'malformed_answer', detail: reading.reason, sentAtMs: verified.sentAtMs };
    return { kind: 'answer', ...reading.value, sentAtMs: verified.sentAtMs, latencyMs: verified.latencyMs };
  }

  /** Signs and sends one request; decodes the answer and verifies its signature. */
  private async call(path: string, businessFields: Record<string, string>, timeoutMs: number): Promise<Verified> {
    if (this.closed) return { kind: 'not_sent', reason: 'closed', detail: `channel ${this.name} is closed` };
    if (!(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= wechatPayV2Limits.timeoutMsMax)) {
      return { kind: 'not_sent', reason: 'encode_failed', detail: `timeoutMs must be an integer from 1 to ${wechatPayV2Limits.timeoutMsMax}` };
    }
    const fields: Record<string, string> = { appid: this.config.appId, mch_id: this.config.mchId, nonce_str: this.nonce(), sign_type: this.signType, ...businessFields };
    let body: string;
    try {
      body = encodeFlatXml({ ...fields, sign: wechatSign(fields, this.config.key, this.signType) });
    } catch (error) {
      // The encoder names the field, never its value (which may be the auth code).
      return { kind: 'not_sent', reason: 'encode_failed', detail: error instanceof Error ? error.message : 'cannot encode' };
    }
    const url = new URL(path.slice(1), this.baseUrl.href.endsWith('/') ? this.baseUrl : `${this.baseUrl.href}/`);
    const sentAtMs = this.nowMs();
    const posted = await this.transport({ url, body, contentType: 'text/xml; charset=utf-8', timeoutMs, answerBytesMax: this.answerBytesMax });
    const latencyMs = Math.max(0, this.nowMs() - sentAtMs);
    if (posted.kind === 'not_sent') return posted;
    if (posted.kind === 'no_answer') return { ...posted, sentAtMs };
    const decoded = decodeFlatXml(posted.body, { charsMax: this.answerBytesMax, fieldsMax: 300, valueCharsMax: 8_192 });
    if (!decoded.ok) return { kind: 'no_answer', reason: 'malformed_answer', detail: `the answer is not a WeChat XML document: ${decoded.reason}`, sentAtMs };
    const answer = decoded.fields;
    if (answer.return_code === 'SUCCESS') {
      if (!verifyWechatSign(answer, this.config.key, this.signType)) return { kind: 'no_answer', reason: 'bad_signature', detail: 'the answer says SUCCESS but its signature does not verify under our key', sentAtMs };
      if ((answer.appid !== undefined && answer.appid !== this.config.appId) || (answer.mch_id !== undefined && answer.mch_id !== this.config.mchId)) {
        return { kind: 'no_answer', reason: 'malformed_answer', detail: 'the answer names another appid or mch_id', sentAtMs };
      }
    }
    return { ok: true, fields: answer, sentAtMs, latencyMs };
  }
}

/** Builds the channel; throws RSW_CHANNEL_OPTIONS_INVALID or a TLS error on a bad configuration. */
export function createWechatPayV2Channel(config: WechatPayV2ChannelConfig, deps: WechatPayV2ChannelDeps = {}): QrChannelPort {
  return new WechatPayV2Channel(config, deps);
}
