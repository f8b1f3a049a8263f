// The simulated upstream: one issuer (the pure rules of src/sim/issuer/ over an IssuerBook) behind
// a seeded network that loses, delays, duplicates and reorders messages and drops connections.
// SimChannel is what composeGateway's channel factory builds in the simulation instead of the TCP
// UpstreamChannel (a GatewayChannel), and behaves the way the real one does: a reply
// matched by STAN + DE 7 resolves the send, a reply after the timeout is reported as a late
// unmatched reply, a duplicate reply as an unmatched one, and a send that never left is `not_sent`.
import type { ChannelHealth, ChannelSendResult, UnmatchedReplyInfo } from '../../src/adapters/channels/upstream-channel.ts';
import type { GatewayChannel } from '../../src/app/compose-gateway.ts';
import { getText, type IsoMessage } from '../../src/core/iso8583/index.ts';
import { nextIntInclusive, nextUnit, type Random } from '../../src/core/time/random.ts';
import { isQrEntryMode, isUnionPayQrCode } from '../../src/core/payments/unionpay-qr-request.ts';
import { decideIssuerResponse, requestKey } from '../../src/sim/issuer/decide-issuer-response.ts';
import { IssuerBook } from '../../src/sim/issuer/issuer-book.ts';
import type { VirtualScheduler } from './virtual-scheduler.ts';

/** Probabilities per upstream request (each in [0, 1], summing to at most 1) plus delay ranges. */
export interface NetworkFaults {
  /** The connection is down: nothing leaves, the channel says not_sent. */
  notSent: number;
  /** The request is lost on the way: the issuer never sees it, the send times out. */
  requestLost: number;
  /** The issuer processes the request (money may move) and the reply is lost. */
  replyLost: number;
  /** The connection drops after the request left; the request reaches the issuer half of the time. */
  connectionLost: number;
  /** The reply arrives as bytes the codec rejects (after processing). */
  malformedReply: number;
  /** The reply arrives twice. */
  duplicateReply: number;
  /** The reply is delayed beyond the channel timeout (a late reply). */
  lateReply: number;
  /** One-way delay drawn uniformly from [0, delayMsMax]; different delays reorder messages. */
  delayMsMax: number;
}

export const healthyNetwork: NetworkFaults = Object.freeze({
  notSent: 0,
  requestLost: 0,
  replyLost: 0,
  connectionLost: 0,
  malformedReply: 0,
  duplicateReply: 0,
  lateReply: 0,
  delayMsMax: 40,
});

type Fault = 'none' | 'notSent' | 'requestLost' | 'replyLost' | 'connectionLost' | 'malformedReply' | 'duplicateReply' | 'lateReply';
const faultNames = ['notSent', 'requestLost', 'replyLost', 'connectionLost', 'malformedReply', 'duplicateReply', 'lateReply'] as const;

/** Counts of what the network and the issuer did, for the run summary. */
export interface NetworkStats {
  sent: number;
  faults: Record<Fault, number>;
  issuerProcessed: number;
  lateReplies: number;
  unmatchedReplies: number;
  /** How the issuer handled what reached it (approved, declined, duplicate, reversed, reversal_unknown = a reversal that overtook its sale, ...). */
  issuerOutcomes: Record<string, number>;
}

/**
 * A request whose DE 2 has the shape of a UnionPay QR code (19 digits starting 62), as the issuer saw it:
 * the test's own record of which codes reached the bank and when (the issuer's books keep only
 * fingerprints). Some test cards have that shape too: `qrEntry` (DE 22 `03x`) tells a scanned code apart.
 */
export interface UnionPayQrPresentation {
  /** DE 2 in full (test memory only; never written anywhere). */
  code: string;
  qrEntry: boolean;
  mti: string;
  /** The issuer's request key (DE 32, 41, 11, 7): its ledger record, if it answered with money. */
  key: string;
  amountMinor: number;
  atMs: number;
  /** DE 39 the issuer answered (null: it answered nothing). */
  responseCode: string | null;
  /** The issuer moved money on this request. */
  charged: boolean;
}

/** The issuer and the wires to it, shared by every gateway generation of one run. */
export class SimUpstream {
  readonly book = new IssuerBook({ recordsMax: 1_000_000 });
  faults: NetworkFaults;
  readonly stats: NetworkStats = {
    sent: 0,
    faults: { none: 0, notSent: 0, requestLost: 0, replyLost: 0, connectionLost: 0, malformedReply: 0, duplicateReply: 0, lateReply: 0 },
    issuerProcessed: 0,
    lateReplies: 0,
    unmatchedReplies: 0,
    issuerOutcomes: {},
  };
  /** Every request with a 62-code in DE 2, in the order the issuer processed them. */
  readonly unionPayQrPresentations: UnionPayQrPresentation[] = [];
  /** Called right after the issuer moved money on a UnionPay QR sale, before its reply leaves (a crash point). */
  afterUnionPayQrCharge: (() => void) | null = null;

  constructor(
    readonly scheduler: VirtualScheduler,
    readonly networkRandom: Random,
    readonly issuerRandom: Random,
    faults: NetworkFaults,
  ) {
    this.faults = faults;
  }

  /** The issuer's pure rules, their events applied to the book at once (the simulated issuer never loses its ledger). */
  process(request: IsoMessage): IsoMessage | null {
    this.stats.issuerProcessed += 1;
    const decision = decideIssuerResponse(this.book, request, { nowMs: this.scheduler.nowMs(), random: this.issuerRandom });
    for (const event of decision.events) this.book.apply(event);
    this.stats.issuerOutcomes[decision.outcome] = (this.stats.issuerOutcomes[decision.outcome] ?? 0) + 1;
    const pan = getText(request, 2);
    if (pan !== undefined && isUnionPayQrCode(pan)) {
      const qrEntry = isQrEntryMode(getText(request, 22));
      const charged = decision.events.some((event) => event.type === 'answered' && event.money !== null);
      this.unionPayQrPresentations.push({
        code: pan,
        qrEntry,
        mti: request.mti,
        key: requestKey(getText(request, 32) ?? '', getText(request, 41) ?? '', getText(request, 11) ?? '', getText(request, 7) ?? ''),
        amountMinor: Number(getText(request, 4) ?? 'NaN'),
        atMs: this.scheduler.nowMs(),
        responseCode: decision.response === null ? null : (getText(decision.response, 39) ?? null),
        charged,
      });
      if (qrEntry && charged) this.afterUnionPayQrCharge?.();
    }
    return decision.response;
  }

  drawFault(): Fault {
    let draw = nextUnit(this.networkRandom);
    for (const name of faultNames) {
      const rate = this.faults[name];
      if (draw < rate) return name;
      draw -= rate;
    }
    return 'none';
  }

  delayMs(): number {
    return nextIntInclusive(this.networkRandom, 0, this.faults.delayMsMax);
  }
}

/** One connection of one gateway generation to the issuer; a crash kills it with its generation. */
export class SimChannel implements GatewayChannel {
  #onUnmatched: ((message: IsoMessage, info: UnmatchedReplyInfo) => void) | null = null;
  #inFlight = 0;
  /** Keys (STAN + DE 7) of requests that timed out: a reply to one of them is late. */
  readonly #timedOut = new Set<string>();

  constructor(
    readonly name: string,
    readonly upstream: SimUpstream,
    readonly epoch: number,
  ) {}

  onUnmatchedReply(handler: (message: IsoMessage, info: UnmatchedReplyInfo) => void): void {
    this.#onUnmatched = handler;
  }

  /** Always connected: a lost connection is a fault of one request here (connectionLost), never a state the breaker polls. */
  health(): ChannelHealth {
    return { name: this.name, connected: 1, connections: 1, inFlight: this.#inFlight, lastEchoOkAtMs: null, consecutiveFailures: 0 };
  }

  start(): void {}

  /** Nothing to release: a generation's wires die with it (its tasks are dropped by epoch). */
  async close(): Promise<void> {}

  send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult> {
    const { scheduler } = this.upstream;
    const upstream = this.upstream;
    upstream.stats.sent += 1;
    const fault = upstream.drawFault();
    upstream.stats.faults[fault] += 1;
    const sentAtMs = scheduler.nowMs();
    const key = `${getText(request, 11) ?? ''}|${getText(request, 7) ?? ''}`;
    return new Promise<ChannelSendResult>((resolve) => {
      let settled = false;
      this.#inFlight += 1;
      const finish = (result: ChannelSendResult): void => {
        if (settled) return;
        settled = true;
        this.#inFlight -= 1;
        resolve(result);
      };
      if (fault === 'notSent') {
        scheduler.after(0, () => finish({ kind: 'not_sent', reason: 'no_connection', detail: 'simulated: connection down' }), this.epoch);
        return;
      }
      scheduler.after(
        options.timeoutMs,
        () => {
          if (settled) return;
          this.#timedOut.add(key);
          finish({ kind: 'no_reply', reason: 'timeout', sentAtMs });
        },
        this.epoch,
      );
      if (fault === 'requestLost') return;
      if (fault === 'connectionLost') {
        const dropAfterMs = nextIntInclusive(upstream.networkRandom, 0, Math.max(0, options.timeoutMs - 1));
        const reaches = nextUnit(upstream.networkRandom) < 0.5;
        if (reaches) scheduler.after(upstream.delayMs(), () => void upstream.process(request));
        scheduler.after(dropAfterMs, () => finish({ kind: 'no_reply', reason: 'connection_lost', sentAtMs }), this.epoch);
        return;
      }
      const lateExtraMs = fault === 'lateReply' ? options.timeoutMs + nextIntInclusive(upstream.networkRandom, 1, 3 * options.timeoutMs) : 0;
      const backMs = upstream.delayMs() + lateExtraMs;
      const duplicateGapMs = upstream.delayMs() + 1;
      // The issuer acts whatever happens to the gateway afterwards: its task belongs to no generation.
      scheduler.after(upstream.delayMs(), () => {
        const response = upstream.process(request);
        if (response === null || fault === 'replyLost') return;
        const deliver = (): void => {
          if (!settled) {
            if (fault === 'malformedReply') finish({ kind: 'no_reply', reason: 'malformed_reply', sentAtMs });
            else finish({ kind: 'reply', message: response, sentAtMs, latencyMs: scheduler.nowMs() - sentAtMs });
            return;
          }
          if (fault === 'malformedReply') return;
          const late = this.#timedOut.has(key);
          if (late) upstream.stats.lateReplies += 1;
          else upstream.stats.unmatchedReplies += 1;
          this.#onUnmatched?.(response, { late, channel: this.name });
        };
        // Replies travel on this generation's connection: a crashed gateway never reads them.
        scheduler.after(backMs, deliver, this.epoch);
        if (fault === 'duplicateReply') scheduler.after(backMs + duplicateGapMs, deliver, this.epoch);
      });
    });
  }
}

/**
 * The deliberately broken variant the auditor must catch: a channel wrapper that "helpfully"
 * resends a sale that got no reply as a NEW request (new STAN and DE 7), the blind retry the
 * style guide forbids. When the first request was charged and its reply lost, the card is charged
 * twice and only the first charge is ever reversed.
 */
export class BlindResendChannel implements GatewayChannel {
  #stan = 900_000;
  /**
   * The MTIs resent blindly: sales and pre-authorizations by default; refund advices (0220/0221) to test the
   * follow-up audit. `only` narrows it further (UnionPay QR sales alone, to test the one-time code audit).
   */
  constructor(
    readonly inner: SimChannel,
    readonly mtis: readonly string[] = ['0200', '0100'],
    readonly only: (request: IsoMessage) => boolean = () => true,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  health(): ChannelHealth {
    return this.inner.health();
  }
  onUnmatchedReply(handler: (message: IsoMessage, info: UnmatchedReplyInfo) => void): void {
    this.inner.onUnmatchedReply(handler);
  }
  start(): void {
    this.inner.start();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  async send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult> {
    const first = await this.inner.send(request, options);
    if (first.kind !== 'no_reply' || !this.mtis.includes(request.mti) || !this.only(request)) return first;
    this.#stan = this.#stan >= 999_999 ? 900_000 : this.#stan + 1;
    const again: IsoMessage = { mti: request.mti, fields: { ...request.fields, 11: String(this.#stan).padStart(6, '0') } };
    return this.inner.send(again, options);
  }
}
