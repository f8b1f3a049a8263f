// Balance inquiry (0200, DE 3 310000): one try on the best running channel. It moves no money, so it
// is not stored as a payment and never reversed: an unanswered inquiry is simply failed, and every
// inquiry is counted as a `balance.inquired` event (without card data).
import { classifyOutcome } from '../../core/declines/index.ts';
import { getText, type IsoMessage } from '../../core/iso8583/index.ts';
import { diagnosisOfResponseCode } from '../../core/payments/classify-reply.ts';
import { entryModeCodeOf } from '../../core/payments/follow-up-request.ts';
import { currencyNumericFor } from '../../core/payments/reversal-message.ts';
import { localDateTime } from '../../core/payments/upstream-fields.ts';
import { transmissionDateTime } from '../../core/payments/upstream-request.ts';
import type { BalanceRequest, BalanceResult } from '../../core/ports/payments.ts';
import { channelNamed, type FollowUpContext } from './follow-up-context.ts';

export async function inquireBalance(context: FollowUpContext, request: BalanceRequest): Promise<BalanceResult> {
  const { store, clock, settings } = context;
  const nowMs = clock.nowMs();
  const channelName = [...settings.channels].filter((c) => !c.disabled && context.channels.has(c.name)).sort((a, b) => a.priority - b.priority)[0]?.name;
  const named = channelName === undefined ? null : channelNamed(context, channelName);
  const merchant = await store.getMerchant(request.merchantId);
  if (named === null || merchant === null) return { kind: 'failed', diagnosis: classifyOutcome('not_sent') };
  const stan = await store.write((tx) => tx.nextStan(named.settings.name));
  const local = localDateTime(nowMs, settings.localOffsetMinutes);
  const fields: IsoMessage['fields'] = {
    3: '310000',
    4: '000000000000',
    7: transmissionDateTime(nowMs),
    11: stan,
    12: local.time,
    13: local.date,
    18: merchant.mcc,
    22: entryModeCodeOf(request.card.entryMode ?? 'swipe'),
    25: '00',
    32: named.settings.acquirerId,
    41: (request.terminalId ?? settings.httpTerminalId).padEnd(8, ' ').slice(0, 8),
    42: merchant.id.padEnd(15, ' ').slice(0, 15),
    49: currencyNumericFor(request.currency),
  };
  if (request.card.pan !== undefined) fields[2] = request.card.pan;
  if (request.card.expiry !== undefined) fields[14] = request.card.expiry;
  if (request.card.track2 !== undefined) fields[35] = request.card.track2;
  const leftMs = (request.deadlineMs ?? nowMs + settings.terminalTimeoutMs) - settings.replyMarginMs - nowMs;
  const result = await named.channel.send({ mti: '0200', fields }, { timeoutMs: Math.max(1, Math.min(named.settings.timeoutMs, leftMs)) });
  await store.write((tx) =>
    tx.appendEvent({ type: 'balance.inquired', subjectId: request.terminalId, payload: { merchantId: merchant.id, channel: named.settings.name, result: result.kind }, atMs: clock.nowMs() }),
  );
  if (result.kind !== 'reply') return { kind: 'failed', diagnosis: classifyOutcome(result.kind === 'not_sent' ? 'not_sent' : 'no_reply') };
  const code = getText(result.message, 39) ?? '96';
  const de54 = getText(result.message, 54) ?? null;
  const parsed = de54 === null ? null : /^\d{2}\d{2}\d{3}([CD])(\d{12})/.exec(de54);
  const balanceMinor = parsed === null || parsed[2] === undefined ? null : Number(parsed[2]) * (parsed[1] === 'D' ? -1 : 1);
  return { kind: 'answered', responseCode: code, balanceMinor, de54, diagnosis: diagnosisOfResponseCode(code) };
}
