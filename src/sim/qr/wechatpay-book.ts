// The WeChat Pay sandbox's book of trades: for each out_trade_no, where it stands and how much was
// paid, refunded and reversed, so tests check money against the provider's side. Bounded: the oldest
// trades are forgotten past tradesMax.
import type { WechatMagicBehaviour } from './wechatpay-magic-codes.ts';

/** WeChat's trade_state values. */
export type WechatTradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

export interface WechatRefund {
  readonly outRefundNo: string;
  readonly refundId: string;
  readonly refundFee: number;
  readonly status: 'SUCCESS' | 'PROCESSING' | 'REFUNDCLOSE' | 'CHANGE';
  readonly successTime: string;
}

export interface WechatTrade {
  readonly outTradeNo: string;
  readonly transactionId: string;
  readonly totalFee: number;
  readonly feeType: string;
  /** First 4 and last 4 digits only: the sandbox keeps no full code either. */
  readonly authCodeMasked: string;
  readonly behaviour: WechatMagicBehaviour;
  state: WechatTradeState;
  /** Fen that left the customer for the merchant (the trade's total once paid). */
  paidFee: number;
  /** Fen given back by refunds. */
  refundedFee: number;
  /** Fen given back by a reverse (撤销) of a paid trade. */
  reversedFee: number;
  queries: number;
  reverseCalls: number;
  timeEnd: string;
  readonly refunds: WechatRefund[];
}

export const wechatBookTradesMax = 100_000;

export class WechatBook {
  readonly trades = new Map<string, WechatTrade>();
  private serial = 0;

  constructor(private readonly tradesMax = wechatBookTradesMax) {}

  /** A fresh provider id: WeChat's transaction_id is 28 digits, refund_id 29 to 32. */
  nextId(kind: 'transaction' | 'refund'): string {
    this.serial += 1;
    const serial = String(this.serial).padStart(10, '0');
    return kind === 'transaction' ? `420000${'0'.repeat(12)}${serial}` : `5030${'0'.repeat(15)}${serial}`;
  }

  add(trade: WechatTrade): void {
    this.trades.set(trade.outTradeNo, trade);
    if (this.trades.size > this.tradesMax) {
      const oldest = this.trades.keys().next().value;
      if (oldest !== undefined) this.trades.delete(oldest);
    }
  }

  findRefund(outRefundNo: string): { trade: WechatTrade; refund: WechatRefund } | null {
    for (const trade of this.trades.values()) {
      const refund = trade.refunds.find((candidate) => candidate.outRefundNo === outRefundNo);
      if (refund !== undefined) return { trade, refund };
    }
    return null;
  }

  reset(): void {
    this.trades.clear();
  }

  /** The book as JSON: every trade and the totals the merchant holds. */
  view(): { trades: unknown[]; totals: { paidFee: number; refundedFee: number; reversedFee: number; heldFee: number } } {
    let paidFee = 0;
    let refundedFee = 0;
    let reversedFee = 0;
    const trades = [...this.trades.values()].map((trade) => {
      paidFee += trade.paidFee;
      refundedFee += trade.refundedFee;
      reversedFee += trade.reversedFee;
      return {
        outTradeNo: trade.outTradeNo,
        transactionId: trade.transactionId,
        state: trade.state,
        totalFee: trade.totalFee,
        feeType: trade.feeType,
        paidFee: trade.paidFee,
        refundedFee: trade.refundedFee,
        reversedFee: trade.reversedFee,
        authCode: trade.authCodeMasked,
        behaviour: trade.behaviour.kind,
        queries: trade.queries,
        reverseCalls: trade.reverseCalls,
        refunds: trade.refunds.map((refund) => ({ ...refund })),
      };
    });
    return { trades, totals: { paidFee, refundedFee, reversedFee, heldFee: paidFee - refundedFee - reversedFee } };
  }
}
