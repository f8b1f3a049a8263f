// The QR sandbox's WeChat Pay API v2 provider: pay/micropay, pay/orderquery, secapi/pay/reverse,
// secapi/pay/refund and pay/refundquery with the real protocol (flat XML, MD5 or HMAC-SHA256
// signatures over the merchant key), answering from the magic auth codes (wechatpay-magic-codes.ts)
// and keeping a book of trades (wechatpay-book.ts). Protocol faults (bad XML, bad signature, missing
// fields, wrong appid) answer return_code FAIL unsigned, as WeChat does; business outcomes answer
// return_code SUCCESS, signed, with result_code and err_code.
import { randomBytes } from 'node:crypto';
import { decodeFlatXml, encodeFlatXml } from '../../core/qr/flat-xml.ts';
import { maskAuthCode } from '../../core/qr/mask-auth-code.ts';
import { wechatSign, verifyWechatSign, wechatSignTypes, type WechatSignType } from '../../core/qr/wechatpay-sign.ts';
import { WechatBook, type WechatTrade } from './wechatpay-book.ts';
import { isWellFormedWechatAuthCode, wechatMagicBehaviour, wechatMagicCodeTable } from './wechatpay-magic-codes.ts';
import type { QrMagicCode, QrSandboxAnswer, QrSandboxProvider, QrSandboxRequest } from './qr-sandbox-provider.ts';

export interface WechatSandboxOptions {
  readonly appId: string;
  readonly mchId: string;
  readonly key: string;
  readonly tradesMax?: number;
  /** The clock of time_end and refund times: the wall clock by default, virtual time in the simulation. */
  readonly nowMs?: () => number;
}

export const wechatSandboxDefaults = Object.freeze({ appId: 'wxd930ea5d5a258f4f', mchId: '10000100', key: '192006250b4c09247ec02edce69f6a2d' });

export const wechatSandboxPaths = ['/pay/micropay', '/pay/orderquery', '/secapi/pay/reverse', '/secapi/pay/refund', '/pay/refundquery'] as const;

type Fields = Record<string, string>;

/** A business answer: return_code SUCCESS, signed. */
interface BusinessAnswer {
  readonly fields: Fields;
  readonly silent?: boolean;
}

/** yyyyMMddHHmmss in China time (UTC+8), as WeChat's time_end. */
function chinaTime(epochMs: number): string {
  return new Date(epochMs + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** yyyy-MM-dd HH:mm:ss in China time, as WeChat's refund_success_time. */
function chinaDateTime(epochMs: number): string {
  return new Date(epochMs + 8 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);
}

function fail(errCode: string, description: string, extra: Fields = {}): BusinessAnswer {
  return { fields: { result_code: 'FAIL', err_code: errCode, err_code_des: description, ...extra } };
}

function isPositiveFen(text: string | undefined): boolean {
  return text !== undefined && /^[1-9][0-9]{0,11}$/.test(text);
}

export class WechatPaySandbox implements QrSandboxProvider {
  readonly name = 'wechatpay-v2';
  readonly book: WechatBook;
  private readonly nowMs: () => number;

  constructor(private readonly options: WechatSandboxOptions = wechatSandboxDefaults) {
    this.book = new WechatBook(options.tradesMax);
    this.nowMs = options.nowMs ?? Date.now;
  }

  handles(path: string): boolean {
    return (wechatSandboxPaths as readonly string[]).includes(path);
  }

  view(): unknown {
    return this.book.view();
  }

  reset(): void {
    this.book.reset();
  }

  magicCodes(): readonly QrMagicCode[] {
    return wechatMagicCodeTable();
  }

  async handle(request: QrSandboxRequest): Promise<QrSandboxAnswer> {
    if (request.method !== 'POST') return this.protocolFail('REQUIRE_POST_METHOD: 请使用post方法');
    const decoded = decodeFlatXml(request.body);
    if (!decoded.ok) return this.protocolFail(`XML_FORMAT_ERROR: XML格式错误 (${decoded.reason})`);
    const fields = decoded.fields;
    const signType = (fields.sign_type ?? 'MD5') as WechatSignType;
    if (!(wechatSignTypes as readonly string[]).includes(signType)) return this.protocolFail('PARAM_ERROR: sign_type 无效');
    for (const name of ['appid', 'mch_id', 'nonce_str', 'sign']) {
      if ((fields[name] ?? '') === '') return this.protocolFail(`LACK_PARAMS: 缺少参数 ${name}`);
    }
    if (fields.appid !== this.options.appId) return this.protocolFail('APPID_NOT_EXIST: appid不存在');
    if (fields.mch_id !== this.options.mchId) return this.protocolFail('MCHID_NOT_EXIST: mch_id不存在');
    if (!verifyWechatSign(fields, this.options.key, signType)) return this.protocolFail('SIGNERROR: 签名错误');
    if (request.path.startsWith('/secapi/') && request.clientCertificate === 'missing_or_untrusted') return this.protocolFail('证书错误: no trusted client certificate');
    const answer = this.answerBusiness(request.path, fields);
    return this.signed(answer, signType);
  }

  private answerBusiness(path: string, fields: Fields): BusinessAnswer {
    switch (path) {
      case '/pay/micropay':
        return this.micropay(fields);
      case '/pay/orderquery':
        return this.orderQuery(fields);
      case '/secapi/pay/reverse':
        return this.reverse(fields);
      case '/secapi/pay/refund':
        return this.refund(fields);
      default:
        return this.refundQuery(fields);
    }
  }

  private micropay(fields: Fields): BusinessAnswer {
    for (const name of ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'auth_code']) {
      if ((fields[name] ?? '') === '') return fail('LACK_PARAMS', `缺少参数 ${name}`);
    }
    const outTradeNo = fields.out_trade_no as string;
    const authCode = fields.auth_code as string;
    if (!/^[A-Za-z0-9_\-|*]{1,32}$/.test(outTradeNo)) return fail('PARAM_ERROR', 'out_trade_no 格式错误');
    if (!isPositiveFen(fields.total_fee)) return fail('PARAM_ERROR', 'total_fee 必须为正整数');
    if ((fields.fee_type ?? 'CNY') !== 'CNY') return fail('PARAM_ERROR', 'fee_type 只支持 CNY');
    const earlier = this.book.trades.get(outTradeNo);
    if (earlier !== undefined) {
      switch (earlier.state) {
        case 'SUCCESS':
        case 'REFUND':
          return fail('ORDERPAID', '订单已支付');
        case 'REVOKED':
          return fail('ORDERREVERSED', '订单已撤销');
        case 'CLOSED':
        case 'PAYERROR':
        case 'NOTPAY':
          return fail('ORDERCLOSED', '订单已关闭');
        case 'USERPAYING':
          return fail('USERPAYING', '需要用户输入支付密码');
      }
    }
    if (!isWellFormedWechatAuthCode(authCode)) return fail('AUTH_CODE_INVALID', '付款码无效，请重新扫码');
    const behaviour = wechatMagicBehaviour(authCode);
    const totalFee = Number(fields.total_fee);
    const trade: WechatTrade = {
      outTradeNo,
      transactionId: this.book.nextId('transaction'),
      totalFee,
      feeType: 'CNY',
      authCodeMasked: maskAuthCode(authCode),
      behaviour,
      state: 'USERPAYING',
      paidFee: 0,
      refundedFee: 0,
      reversedFee: 0,
      queries: 0,
      reverseCalls: 0,
      timeEnd: '',
      refunds: [],
    };
    switch (behaviour.kind) {
      case 'paid':
        this.markPaid(trade);
        this.book.add(trade);
        return { fields: { result_code: 'SUCCESS', ...this.tradeFacts(trade) } };
      case 'paying_then_paid':
      case 'paying_then_cancelled':
        this.book.add(trade);
        return fail('USERPAYING', '需要用户输入支付密码');
      case 'refused':
        trade.state = 'PAYERROR';
        this.book.add(trade);
        return fail(behaviour.errCode, behaviour.description);
      case 'system_error_paid':
        this.markPaid(trade);
        this.book.add(trade);
        return fail('SYSTEMERROR', '系统超时');
      case 'system_error_nothing':
        return fail('SYSTEMERROR', '系统超时');
      case 'bank_error':
        return fail('BANKERROR', '银行系统异常');
      case 'silent_paid':
        this.markPaid(trade);
        this.book.add(trade);
        return { fields: { result_code: 'SUCCESS', ...this.tradeFacts(trade) }, silent: true };
    }
  }

  private orderQuery(fields: Fields): BusinessAnswer {
    const trade = this.findTrade(fields);
    if (trade === undefined) return fail('ORDERNOTEXIST', '此交易订单号不存在');
    trade.queries += 1;
    if (trade.state === 'USERPAYING') {
      const behaviour = trade.behaviour;
      if (behaviour.kind === 'paying_then_paid' && trade.queries >= behaviour.queries) this.markPaid(trade);
      if (behaviour.kind === 'paying_then_cancelled' && trade.queries >= behaviour.queries) trade.state = 'PAYERROR';
    }
    const stateText: Record<string, string> = {
      SUCCESS: '支付成功',
      REFUND: '转入退款',
      NOTPAY: '未支付',
      CLOSED: '已关闭',
      REVOKED: '已撤销（付款码支付）',
      USERPAYING: '用户支付中（付款码支付）',
      PAYERROR: '支付失败(其他原因，如银行返回失败)',
    };
    const paid = trade.state === 'SUCCESS' || trade.state === 'REFUND';
    return {
      fields: {
        result_code: 'SUCCESS',
        out_trade_no: trade.outTradeNo,
        trade_state: trade.state,
        trade_state_desc: stateText[trade.state] ?? '',
        ...(paid ? this.tradeFacts(trade) : {}),
      },
    };
  }

  private reverse(fields: Fields): BusinessAnswer {
    const outTradeNo = fields.out_trade_no ?? '';
    if (outTradeNo === '' && (fields.transaction_id ?? '') === '') return fail('LACK_PARAMS', '缺少参数 out_trade_no', { recall: 'N' });
    const trade = this.findTrade(fields);
    if (trade === undefined) {
      // Nothing to reverse; the out_trade_no is remembered as reversed so a late micropay gets ORDERREVERSED.
      if (!/^[A-Za-z0-9_\-|*]{1,32}$/.test(outTradeNo)) return fail('PARAM_ERROR', 'out_trade_no 格式错误', { recall: 'N' });
      this.book.add({
        outTradeNo,
        transactionId: '',
        totalFee: 0,
        feeType: 'CNY',
        authCodeMasked: '',
        behaviour: { kind: 'paid' },
        state: 'REVOKED',
        paidFee: 0,
        refundedFee: 0,
        reversedFee: 0,
        queries: 0,
        reverseCalls: 1,
        timeEnd: '',
        refunds: [],
      });
      return { fields: { result_code: 'SUCCESS', recall: 'N' } };
    }
    trade.reverseCalls += 1;
    if (trade.behaviour.kind === 'system_error_paid' && trade.reverseCalls <= trade.behaviour.reverseFailures) {
      return fail('SYSTEMERROR', '系统超时，请重新调用撤销', { recall: 'Y' });
    }
    switch (trade.state) {
      case 'SUCCESS':
        trade.reversedFee = trade.paidFee;
        trade.state = 'REVOKED';
        return { fields: { result_code: 'SUCCESS', recall: 'N' } };
      case 'REFUND':
        return fail('TRADE_ERROR', '订单已发生退款，不能撤销', { recall: 'N' });
      case 'USERPAYING':
      case 'NOTPAY':
        trade.state = 'REVOKED';
        return { fields: { result_code: 'SUCCESS', recall: 'N' } };
      case 'REVOKED':
      case 'CLOSED':
      case 'PAYERROR':
        return { fields: { result_code: 'SUCCESS', recall: 'N' } };
    }
  }

  private refund(fields: Fields): BusinessAnswer {
    for (const name of ['out_refund_no', 'total_fee', 'refund_fee']) {
      if ((fields[name] ?? '') === '') return fail('LACK_PARAMS', `缺少参数 ${name}`);
    }
    const trade = this.findTrade(fields);
    if (trade === undefined || trade.transactionId === '') return fail('ORDERNOTEXIST', '订单不存在');
    if (!isPositiveFen(fields.total_fee) || !isPositiveFen(fields.refund_fee)) return fail('PARAM_ERROR', 'total_fee 与 refund_fee 必须为正整数');
    if (Number(fields.total_fee) !== trade.totalFee) return fail('PARAM_ERROR', '订单金额或退款金额与之前请求不一致');
    const outRefundNo = fields.out_refund_no as string;
    if (!/^[A-Za-z0-9_\-|*@]{1,64}$/.test(outRefundNo)) return fail('PARAM_ERROR', 'out_refund_no 格式错误');
    const refundFee = Number(fields.refund_fee);
    const earlier = this.book.findRefund(outRefundNo);
    if (earlier !== null) {
      // The same refund asked again refunds nothing more.
      if (earlier.trade !== trade || earlier.refund.refundFee !== refundFee) return fail('PARAM_ERROR', '订单金额或退款金额与之前请求不一致');
      return { fields: { result_code: 'SUCCESS', ...this.refundFacts(trade, earlier.refund) } };
    }
    if (trade.state !== 'SUCCESS' && trade.state !== 'REFUND') return fail('TRADE_STATE_ERROR', '订单状态错误');
    if (trade.refundedFee + refundFee > trade.paidFee) return fail('ERROR', '累计退款金额大于支付金额');
    const refund = { outRefundNo, refundId: this.book.nextId('refund'), refundFee, status: 'SUCCESS' as const, successTime: chinaDateTime(this.nowMs()) };
    trade.refunds.push(refund);
    trade.refundedFee += refundFee;
    trade.state = 'REFUND';
    return { fields: { result_code: 'SUCCESS', ...this.refundFacts(trade, refund) } };
  }

  private refundQuery(fields: Fields): BusinessAnswer {
    const outRefundNo = fields.out_refund_no ?? '';
    const found = outRefundNo === '' ? null : this.book.findRefund(outRefundNo);
    const trade = found?.trade ?? (outRefundNo === '' ? this.findTrade(fields) : undefined);
    const refunds = found !== null ? [found.refund] : (trade?.refunds ?? []);
    if (trade === undefined || refunds.length === 0) return fail('REFUNDNOTEXIST', '退款订单查询失败');
    const listed: Fields = {};
    refunds.forEach((refund, index) => {
      listed[`out_refund_no_${index}`] = refund.outRefundNo;
      listed[`refund_id_${index}`] = refund.refundId;
      listed[`refund_fee_${index}`] = String(refund.refundFee);
      listed[`refund_status_${index}`] = refund.status;
      listed[`refund_success_time_${index}`] = refund.successTime;
    });
    return {
      fields: {
        result_code: 'SUCCESS',
        transaction_id: trade.transactionId,
        out_trade_no: trade.outTradeNo,
        total_fee: String(trade.totalFee),
        cash_fee: String(trade.totalFee),
        refund_count: String(refunds.length),
        ...listed,
      },
    };
  }

  private findTrade(fields: Fields): WechatTrade | undefined {
    const outTradeNo = fields.out_trade_no ?? '';
    if (outTradeNo !== '') return this.book.trades.get(outTradeNo);
    const transactionId = fields.transaction_id ?? '';
    if (transactionId === '') return undefined;
    return [...this.book.trades.values()].find((trade) => trade.transactionId === transactionId);
  }

  private markPaid(trade: WechatTrade): void {
    trade.state = 'SUCCESS';
    trade.paidFee = trade.totalFee;
    trade.timeEnd = chinaTime(this.nowMs());
  }

  private tradeFacts(trade: WechatTrade): Fields {
    return {
      openid: 'oUpF8uN95-Ptaags6E_roPHg7AG0',
      is_subscribe: 'N',
      trade_type: 'MICROPAY',
      bank_type: 'CMC',
      total_fee: String(trade.totalFee),
      cash_fee: String(trade.totalFee),
      fee_type: trade.feeType,
      transaction_id: trade.transactionId,
      out_trade_no: trade.outTradeNo,
      time_end: trade.timeEnd,
    };
  }

  private refundFacts(trade: WechatTrade, refund: { outRefundNo: string; refundId: string; refundFee: number }): Fields {
    return {
      transaction_id: trade.transactionId,
      out_trade_no: trade.outTradeNo,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_fee: String(refund.refundFee),
      total_fee: String(trade.totalFee),
      cash_fee: String(trade.totalFee),
    };
  }

  private signed(answer: BusinessAnswer, signType: WechatSignType): QrSandboxAnswer {
    const fields: Fields = {
      return_code: 'SUCCESS',
      return_msg: 'OK',
      appid: this.options.appId,
      mch_id: this.options.mchId,
      nonce_str: randomBytes(16).toString('hex'),
      ...answer.fields,
    };
    const sign = wechatSign(fields, this.options.key, signType);
    // A wrong signature that still looks like one: the last hex digit changed.
    const badSign = sign.slice(0, -1) + (sign.endsWith('0') ? '1' : '0');
    return {
      status: 200,
      contentType: 'text/xml; charset=utf-8',
      body: encodeFlatXml({ ...fields, sign }),
      bodyWithBadSignature: encodeFlatXml({ ...fields, sign: badSign }),
      delivery: answer.silent === true ? 'silent' : 'answer',
    };
  }

  private protocolFail(message: string): QrSandboxAnswer {
    const body = encodeFlatXml({ return_code: 'FAIL', return_msg: message });
    return { status: 200, contentType: 'text/xml; charset=utf-8', body, bodyWithBadSignature: null, delivery: 'answer' };
  }
}
