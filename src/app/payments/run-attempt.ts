// The perform step of a send effect: the attempt stored `pending` (already, by the intent unit, for the
// first one; by the attempt unit otherwise), its request built and sent, and the channel's answer turned
// into the state machine's next event (classify-reply.ts and sale-event.ts, in the core). A UnionPay QR
// sale (entry mode `qr`) is built in its channel dialect's QR layout (docs/qr-unionpay.md).
import type { IsoMessage } from '../../core/iso8583/index.ts';
import { classifyReply } from '../../core/payments/classify-reply.ts';
import type { PaymentDecisionState, PaymentEffect, PaymentEvent } from '../../core/payments/payment-decision.ts';
import { saleEventOf } from '../../core/payments/sale-event.ts';
import { buildUpstreamUnionPayQrSale, unionPayQrDialectOf } from '../../core/payments/unionpay-qr-request.ts';
import { buildUpstreamSale, type UpstreamSaleBasics } from '../../core/payments/upstream-request.ts';
import type { ChannelSendResult } from '../../core/ports/channel.ts';
import { writeAttemptUnit } from './attempt-unit.ts';
import { errorText } from './error-text.ts';
import type { SaleContext } from './sale-context.ts';
import type { SaleServices } from './sale-deps.ts';

export async function runAttempt(deps: SaleServices, context: SaleContext, state: PaymentDecisionState, send: Extract<PaymentEffect, { kind: 'send' }>): Promise<PaymentEvent> {
  const channel = deps.channels.get(send.channel);
  const channelSettings = deps.settings.channels.find((candidate) => candidate.name === send.channel);
  const request = context.request;
  const persisted = context.persistedSeq === send.seq ? context.attempts.get(send.seq) : undefined;
  context.persistedSeq = null;
  // The first attempt was persisted with the payment; a later one gets its own write before it is sent.
  const startedAtMs = persisted?.createdAtMs ?? deps.clock.nowMs();
  const attempt = persisted ?? (await writeAttemptUnit(deps, context.payment.id, request, send, startedAtMs));
  if (persisted === undefined) context.stored = null;
  context.attempts.set(send.seq, attempt);
  context.storedAttempts.set(send.seq, attempt);
  const previousChannel = context.attempts.get(send.seq - 1)?.channel;
  if (previousChannel !== undefined && previousChannel !== send.channel) deps.router?.recordFailover(previousChannel, send.channel);
  const attemptsSoFar = state.attempts.length;
  if (channel === undefined || channelSettings === undefined) {
    return eventOf(deps, context, attemptsSoFar, send.seq, { kind: 'not_sent', reason: 'closed', detail: 'channel not running' });
  }
  let message: IsoMessage;
  try {
    const basics: UpstreamSaleBasics = {
      amountMinor: request.amountMinor,
      currency: request.currency,
      merchant: { id: context.merchant.id, name: context.merchant.name, mcc: context.merchant.mcc },
      upstreamTerminalId: attempt.upstreamTerminalId,
      acquirerId: channelSettings.acquirerId,
      stan: attempt.stan,
      nowMs: startedAtMs,
      localOffsetMinutes: deps.settings.localOffsetMinutes,
    };
    if (request.card.entryMode === 'qr') {
      const dialect = unionPayQrDialectOf(channelSettings.dialect);
      // The route holds only channels with a QR layout; one changed under a running sale is not sent to.
      if (dialect === null) return eventOf(deps, context, attemptsSoFar, send.seq, { kind: 'not_sent', reason: 'encode_failed', detail: 'the channel dialect has no UnionPay QR layout' });
      message = buildUpstreamUnionPayQrSale({ ...basics, qrCode: request.card.number.reveal() }, dialect);
    } else {
      message = buildUpstreamSale({ ...basics, card: request.card });
    }
    if (!request.capture) message = { mti: '0100', fields: { ...message.fields, 3: '030000' } };
  } catch (error) {
    deps.logger.error({ paymentId: context.payment.id, error: errorText(error) }, 'could not build the upstream request');
    return eventOf(deps, context, attemptsSoFar, send.seq, { kind: 'not_sent', reason: 'encode_failed', detail: 'request could not be built' });
  }
  const timeoutMs = Math.max(1, Math.min(channelSettings.timeoutMs, send.timeoutMs));
  // A node whose own lease may have lapsed (paused, cut off from the database) may see its sale taken
  // over by another node, which reverses it: a request sent now could be charged after that reversal.
  if (!deps.cluster.mayAct()) {
    deps.logger.error({ paymentId: context.payment.id, channel: send.channel }, 'this node lost its lease; the attempt is not sent');
    return eventOf(deps, context, attemptsSoFar, send.seq, { kind: 'not_sent', reason: 'closed', detail: 'this gateway node lost its lease' });
  }
  const result = await channel.send(message, { timeoutMs });
  return eventOf(deps, context, attemptsSoFar, send.seq, result);
}

/** Records the answer on the attempt in memory (the outcome unit writes it) and returns the event. */
function eventOf(deps: SaleServices, context: SaleContext, attemptsSoFar: number, seq: number, result: ChannelSendResult): PaymentEvent {
  const nowMs = deps.clock.nowMs();
  const attempt = context.attempts.get(seq);
  if (attempt === undefined) throw new Error(`broken invariant: attempt ${seq} not recorded`);
  const classified = classifyReply(result, nowMs);
  context.attempts.set(seq, { ...attempt, ...classified.fields });
  if (result.kind === 'not_sent') deps.logger.warn({ paymentId: context.payment.id, channel: attempt.channel, reason: result.reason }, 'attempt not sent');
  if (result.kind === 'no_reply') deps.logger.warn({ paymentId: context.payment.id, channel: attempt.channel, stan: attempt.stan, reason: result.reason }, 'attempt outcome unknown; reversal queued');
  return saleEventOf(context.recovery, classified, { seq, channel: attempt.channel, attemptsSoFar, nowMs });
}
