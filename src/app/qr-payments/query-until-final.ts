// Use case step: drive one QR trade from its pay to an end while the client waits. The pure rules
// (src/core/qr/qr-sale-decision.ts) name each next call: a pay (the first, or again only after a pay
// that provably never left), queries with bounded backoff while the customer is paying or the outcome
// is unknown, then cancels (撤销) when the budget runs out. Nothing here decides money safety; it
// performs what the rules say and records each pay attempt durably before it is sent.
import type { QrCallResult, QrCancelResult, QrChannelPort } from '../../core/ports/qr-channel.ts';
import type { AttemptRecord, PaymentRecord } from '../../core/ports/store.ts';
import type { QrSaleRequest } from '../../core/ports/qr-payments.ts';
import {
  decideQrNext,
  firstQrAction,
  initialQrSaleProgress,
  recordQrAction,
  recordQrObservation,
  type QrNextAction,
  type QrObservation,
  type QrSaleSettings,
} from '../../core/qr/qr-sale-decision.ts';
import { buildQrAttempt, withQrCall, type QrEnd } from '../../core/qr/qr-sale-records.ts';
import { newRandomId } from '../../core/time/random.ts';
import { writeDurably } from '../payments/durable-write.ts';
import type { QrChannelEntry, QrPaymentDeps } from './qr-deps.ts';

export interface QrTradeRun {
  payment: PaymentRecord;
  request: QrSaleRequest;
  /** The channels of the method, in route order; the first is used, the next only after a pay not sent. */
  route: readonly QrChannelEntry[];
  attempt: AttemptRecord;
  budgetEndMs: number;
}

export interface QrTradeEnd {
  end: QrEnd;
  /** The attempt as it stands at the end (provider trade number and code folded in). */
  attempt: AttemptRecord;
  /** The provider code that explains the end (a refusal's), or null. */
  providerCode: string | null;
  /** Why the trade went to the follow-up queue, when it did. */
  followUpReason: string | null;
}

/** Runs pay, queries and cancels until the rules name an end; never throws for a provider's answer. */
export async function queryUntilFinal(deps: QrPaymentDeps, run: QrTradeRun): Promise<QrTradeEnd> {
  let attempt = run.attempt;
  let routeIndex = 0;
  let entry = run.route[routeIndex]!;
  let progress = initialQrSaleProgress(run.budgetEndMs);
  let action: QrNextAction = firstQrAction();
  let lastCode: string | null = null;
  const settings: QrSaleSettings = { ...deps.settings.sale, callTimeoutMs: entry.timeoutMs };
  for (;;) {
    switch (action.kind) {
      case 'approve':
        return { end: 'approved', attempt, providerCode: null, followUpReason: null };
      case 'decline':
        return { end: action.state === 'not_sent' ? 'not_sent' : 'declined', attempt, providerCode: action.providerCode ?? lastCode, followUpReason: null };
      case 'cancelled':
        return { end: 'cancelled', attempt, providerCode: lastCode, followUpReason: null };
      case 'follow_up':
        return { end: 'unknown', attempt, providerCode: lastCode, followUpReason: action.reason };
      case 'pay':
      case 'query':
      case 'cancel':
        break;
    }
    if (action.kind !== 'pay' && action.afterMs > 0) await deps.sleep(action.afterMs);
    if (action.kind === 'pay' && progress.paysSent > 0) {
      // The earlier pay provably never left: this one is a new attempt, on the next channel when there is one.
      if (routeIndex + 1 < run.route.length) routeIndex += 1;
      entry = run.route[routeIndex]!;
      attempt = await writeNextPayAttempt(deps, run, attempt, entry.port.name);
    }
    progress = recordQrAction(progress, action);
    const observation = await call(deps, entry, run, action);
    if (observation.call !== 'cancel') {
      attempt = withQrCall(attempt, observation.result);
      if (observation.result.kind === 'answer' && observation.result.providerCode !== null) lastCode = observation.result.providerCode;
    } else if (observation.result.kind === 'answer' && observation.result.providerCode !== null) {
      deps.logger.info({ paymentId: run.payment.id, code: observation.result.providerCode, callAgain: observation.result.callAgain }, 'QR cancel answered');
    }
    action = decideQrNext({ ...settings, callTimeoutMs: entry.timeoutMs }, progress, observation, deps.clock.nowMs());
    progress = recordQrObservation(progress, observation);
  }
}

async function call(deps: QrPaymentDeps, entry: QrChannelEntry, run: QrTradeRun, action: Extract<QrNextAction, { kind: 'pay' | 'query' | 'cancel' }>): Promise<QrObservation> {
  const options = { timeoutMs: entry.timeoutMs };
  const outTradeNo = run.payment.id;
  const port: QrChannelPort = entry.port;
  try {
    switch (action.kind) {
      case 'pay':
        return {
          call: 'pay',
          result: await port.pay(
            {
              outTradeNo,
              authCode: run.request.authCode,
              amountMinor: run.payment.amountMinor,
              currency: run.payment.currency,
              description: run.request.reference ?? `reswipe ${run.payment.merchantId}`,
              merchantId: run.payment.merchantId,
              terminalId: run.payment.terminalId,
              ...(run.request.clientIp === undefined ? {} : { clientIp: run.request.clientIp }),
            },
            options,
          ),
        };
      case 'query':
        return { call: 'query', result: await port.query(outTradeNo, options) };
      case 'cancel':
        return { call: 'cancel', result: await port.cancel(outTradeNo, options) };
    }
  } catch (error) {
    // An adapter that throws broke its contract; whatever it was doing may have reached the provider.
    deps.logger.error({ paymentId: outTradeNo, call: action.kind, error: error instanceof Error ? error.message : 'unknown' }, 'QR channel threw; treated as no answer');
    const noAnswer = { kind: 'no_answer' as const, reason: 'connection_lost' as const, detail: 'the channel threw', sentAtMs: deps.clock.nowMs() };
    return action.kind === 'cancel' ? { call: 'cancel', result: noAnswer satisfies QrCancelResult } : { call: action.kind, result: noAnswer satisfies QrCallResult };
  }
}

/** The earlier attempt `not_sent` and the next one `pending`, in one write before the pay is sent again. */
async function writeNextPayAttempt(deps: QrPaymentDeps, run: QrTradeRun, previous: AttemptRecord, channel: string): Promise<AttemptRecord> {
  const nowMs = deps.clock.nowMs();
  return writeDurably(deps.store, async (tx) => {
    await tx.updateAttempt({ ...previous, outcome: 'not_sent', completedAtMs: nowMs });
    const next = buildQrAttempt({
      id: newRandomId(deps.random, 'att'),
      paymentId: run.payment.id,
      seq: previous.seq + 1,
      channel,
      stan: await tx.nextStan(channel),
      upstreamTerminalId: run.payment.terminalId ?? deps.settings.httpTerminalId,
      nowMs,
    });
    await tx.insertAttempt(next);
    return next;
  });
}
