// Balance inquiry (0200, DE 3 310000): one try on the best running channel. It moves no money, so it
// is not stored as a payment and never reversed: an unanswered inquiry is simply failed, and every
// inquiry is counted as a `balance.inquired` event (without card data). The message and the reading
// of DE 54 are the core's (src/core/payments/balance-inquiry.ts).
import { classifyOutcome } from '../../core/declines/index.ts';
import { getText } from '../../core/iso8583/index.ts';
import { balanceOfDe54, buildBalanceInquiry } from '../../core/payments/balance-inquiry.ts';
import { diagnosisOfResponseCode } from '../../core/payments/classify-reply.ts';
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
  const message = buildBalanceInquiry({
    stan,
    nowMs,
    localOffsetMinutes: settings.localOffsetMinutes,
    merchant,
    acquirerId: named.settings.acquirerId,
    terminalId: request.terminalId ?? settings.httpTerminalId,
    currency: request.currency,
    card: request.card,
  });
  const leftMs = (request.deadlineMs ?? nowMs + settings.terminalTimeoutMs) - settings.replyMarginMs - nowMs;
  const result = await named.channel.send(message, { timeoutMs: Math.max(1, Math.min(named.settings.timeoutMs, leftMs)) });
  await store.write((tx) =>
    tx.appendEvent({ type: 'balance.inquired', subjectId: request.terminalId, payload: { merchantId: merchant.id, channel: named.settings.name, result: result.kind }, atMs: clock.nowMs() }),
  );
  if (result.kind !== 'reply') return { kind: 'failed', diagnosis: classifyOutcome(result.kind === 'not_sent' ? 'not_sent' : 'no_reply') };
  const code = getText(result.message, 39) ?? '96';
  const de54 = getText(result.message, 54) ?? null;
  return { kind: 'answered', responseCode: code, balanceMinor: balanceOfDe54(de54), de54, diagnosis: diagnosisOfResponseCode(code) };
}
