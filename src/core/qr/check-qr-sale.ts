// The local checks of a QR sale, before anything goes to a provider: the merchant and terminal are
// known and enabled, the merchant accepts the method, the amount fits the per-sale limits, and a
// channel serves the method. A failure is a declined payment with the standard code and a reason.
import type { Diagnosis } from '../declines/diagnosis.ts';
import { formatYuan, localDecline } from '../declines/local-decline.ts';
import { qrOutcomeDiagnosis } from '../declines/qr-code-table.ts';
import type { QrMethod } from '../ports/qr-channel.ts';
import type { MerchantRecord, TerminalRecord } from '../ports/store.ts';

const methodNames: Record<QrMethod, { zh: string; en: string }> = {
  wechat: { zh: '微信支付', en: 'WeChat Pay' },
  alipay: { zh: '支付宝', en: 'Alipay' },
  'unionpay-qr': { zh: '银联二维码', en: 'UnionPay QR' },
};

export interface QrSaleCheckInput {
  merchant: MerchantRecord | null;
  /** Null for an HTTP sale that names no terminal. */
  terminal: TerminalRecord | null;
  terminalNamed: boolean;
  intake: 'iso' | 'http';
  method: QrMethod;
  amountMinor: number;
  /** Enabled channels that serve the method. */
  channelsForMethod: number;
}

export type QrSaleCheck = { kind: 'no_party'; decline: Diagnosis } | { kind: 'declined'; decline: Diagnosis } | { kind: 'ok' };

export function checkQrSale(input: QrSaleCheckInput): QrSaleCheck {
  const { merchant, terminal } = input;
  if (merchant === null) return { kind: 'no_party', decline: localDecline('03', { reason: 'merchant is not registered with reswipe', field: 'merchantId', verdict: 'fix' }) };
  if (input.terminalNamed && (terminal === null || terminal.merchantId !== merchant.id)) {
    return { kind: 'no_party', decline: localDecline('97', { reason: 'terminal is not registered with reswipe for this merchant', field: 'terminalId' }) };
  }
  if (merchant.disabled) return { kind: 'declined', decline: localDecline('03', { reason: `merchant ${merchant.id} is disabled`, field: 'merchant.disabled', verdict: 'fix' }) };
  if (terminal !== null && terminal.state !== 'active') {
    return {
      kind: 'declined',
      decline: localDecline('58', { reason: `terminal ${terminal.id} is ${terminal.state}`, field: 'terminal.state', category: 'terminal_setup', party: 'terminal', verdict: 'fix' }),
    };
  }
  if (terminal !== null && input.intake === 'iso' && !terminal.signedOn) {
    return { kind: 'declined', decline: localDecline('22', { reason: `terminal ${terminal.id} is not signed on`, field: 'terminal.signedOn', category: 'terminal_setup', party: 'terminal', verdict: 'fix' }) };
  }
  const name = methodNames[input.method];
  if (!merchant.accepts.includes(input.method)) {
    return {
      kind: 'declined',
      decline: localDecline('58', {
        reason: `merchant ${merchant.id} does not accept ${input.method}`,
        field: 'method',
        party: 'merchant',
        verdict: 'fix',
        cashier: { zh: `本商户未开通${name.zh}收款。请改用其他支付方式。`, en: `This shop does not take ${name.en}. Take another payment method.` },
      }),
    };
  }
  for (const [who, limit] of [['terminal', terminal?.limits.perSaleMinor], ['merchant', merchant.limits.perSaleMinor]] as const) {
    if (limit !== undefined && input.amountMinor > limit) {
      return { kind: 'declined', decline: localDecline('61', { reason: `amount ${formatYuan(input.amountMinor)} CNY exceeds the ${who} per-sale limit of ${formatYuan(limit)} CNY`, field: `${who}.limits.perSaleMinor`, party: 'merchant' }) };
    }
  }
  if (input.channelsForMethod === 0) {
    return { kind: 'declined', decline: { ...qrOutcomeDiagnosis('not_sent', null), verdict: 'fix', reason: `no enabled channel serves ${input.method}`, field: 'method' } };
  }
  return { kind: 'ok' };
}
