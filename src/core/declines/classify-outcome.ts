// Outcomes that are not response codes: nothing sent, no reply, a late, malformed or forged reply,
// and how reversal ended. While the outcome is unknown the verdict is `wait` and the terminal gets
// DE 39 '98' (docs/contracts/terminal-link.md): the customer may have been charged until the
// reversal settles, so the cashier must not swipe again.
import { assertNever } from '../vocabulary.ts';
import type { Diagnosis, NonCodeOutcome } from './diagnosis.ts';

/** Seconds a cashier is told to wait while reswipe resolves an unknown outcome (the reversal round trip). */
export const unknownOutcomeWaitSeconds = 30;
/** Seconds before a new attempt after nothing was sent or after a confirmed reversal: the channel was failing. */
export const afterChannelFaultWaitSeconds = 30;

const waitCashier = {
  zh: '结果未知，系统正在自动冲正。请勿重复刷卡，稍候查询结果。',
  en: 'Outcome unknown; reswipe is reversing it. Do not swipe again; wait for the result.',
};
const waitCustomer = {
  zh: '支付结果确认中，请稍候，不会重复扣款。',
  en: 'We are confirming the payment. Please wait; you will not be charged twice.',
};

function unknown(meaning: string, category: Diagnosis['category']): Diagnosis {
  return {
    code: '98',
    meaning,
    outcome: 'unknown',
    category,
    party: 'channel',
    verdict: 'wait',
    waitSeconds: unknownOutcomeWaitSeconds,
    automaticRetry: false,
    advice: { cashier: { ...waitCashier }, customer: { ...waitCustomer } },
  };
}

/** The meaning of each non-code outcome in Chinese, for explain text. */
export const nonCodeOutcomeMeaningZh: Readonly<Record<NonCodeOutcome, string>> = {
  not_sent: '未发出：通道拒绝连接或不可用，交易未离开网关',
  no_reply: '已发出，但超时未收到应答',
  late_reply: '应答在超时之后才到达，该笔正在冲正',
  malformed_reply: '应答报文无法解析',
  bad_mac: '应答MAC校验失败，不可信',
  reversed: '结果未知，已冲正，未扣款',
  reversal_failed: '结果未知，冲正在限定时间内未成功，需人工处理',
};

/** Seconds a cashier waits before trying again when the gateway's database was busy and nothing was sent. */
export const storeBusyWaitSeconds = 5;

/**
 * The answer when the gateway's database stayed busy (a lock wait, a deadlock, a serialization
 * failure) through every retry of a sale's first write: nothing was sent upstream and nothing
 * charged, so a retry a few seconds later is safe (docs/cluster.md). 96, but never "wait 10 minutes".
 */
export function storeBusyNotSentDiagnosis(): Diagnosis {
  return {
    code: '96',
    meaning: 'Not sent: the gateway database was busy; nothing left reswipe',
    outcome: 'not_sent',
    category: 'format_system',
    party: 'gateway',
    verdict: 'later',
    waitSeconds: storeBusyWaitSeconds,
    automaticRetry: true,
    advice: {
      cashier: {
        zh: '系统繁忙，交易未发出，未扣款。请几秒后重试。',
        en: 'System busy: the sale was not sent and nothing was charged. Try again in a few seconds.',
      },
      customer: {
        zh: '系统繁忙，未扣款，请稍后几秒重试。',
        en: 'The system was busy for a moment. You were not charged; please try again in a few seconds.',
      },
    },
  };
}

/** Classifies an outcome that carries no response code from upstream. */
export function classifyOutcome(kind: NonCodeOutcome): Diagnosis {
  switch (kind) {
    case 'not_sent':
      return {
        code: '91',
        meaning: 'Not sent: the channel refused the connection or is down; nothing left reswipe',
        outcome: 'not_sent',
        category: 'network',
        party: 'channel',
        verdict: 'later',
        waitSeconds: afterChannelFaultWaitSeconds,
        automaticRetry: true,
        advice: {
          cashier: {
            zh: '网络不通，交易未发出，未扣款。请检查或切换网络，稍后重试。',
            en: 'Network down: the sale was not sent and nothing was charged. Check or switch the network, then retry shortly.',
          },
          customer: {
            zh: '网络暂时不通，未扣款，请稍后重试。',
            en: 'The network is down for a moment. You were not charged; please try again shortly.',
          },
        },
      };
    case 'no_reply':
      return unknown('Sent, but no reply came within the timeout', 'network');
    case 'late_reply':
      return unknown('The reply came after the timeout; the attempt is being reversed', 'network');
    case 'malformed_reply':
      return unknown('The reply could not be parsed', 'format_system');
    case 'bad_mac':
      return unknown('The reply failed its MAC check and cannot be trusted', 'format_system');
    case 'reversed':
      return {
        code: '98',
        meaning: 'The outcome was unknown and the attempt has been reversed; no money moved',
        outcome: 'reversed',
        category: 'network',
        party: 'channel',
        verdict: 'later',
        waitSeconds: afterChannelFaultWaitSeconds,
        automaticRetry: false,
        advice: {
          cashier: {
            zh: '交易已冲正，未扣款。可稍后重试；如网络持续异常，请检查或切换网络。',
            en: 'Reversed: the customer was not charged. Retry shortly; if the network keeps failing, check or switch it.',
          },
          customer: {
            zh: '本次支付已撤销，未扣款，请稍后重试。',
            en: 'This payment was cancelled and you were not charged. Please try again shortly.',
          },
        },
      };
    case 'reversal_failed':
      return {
        code: '98',
        meaning: 'The outcome was unknown and the reversal did not complete within its budget; manual handling',
        outcome: 'unknown',
        category: 'network',
        party: 'merchant',
        verdict: 'fix',
        waitSeconds: null,
        automaticRetry: false,
        advice: {
          cashier: {
            zh: '冲正不成功，请人工处理：勿再次刷此卡，记录本笔交易并联系POS服务商或收单机构核实是否扣款。',
            en: 'Reversal failed, handle manually: do not charge this card again; record the sale and call the POS provider or acquirer to confirm whether it was charged.',
          },
          customer: {
            zh: '支付结果待人工确认，如已扣款将退回，请保留凭证。',
            en: 'The payment needs a manual check. Any charge will be refunded; please keep your receipt.',
          },
        },
      };
    default:
      return assertNever(kind, 'non-code outcome');
  }
}
