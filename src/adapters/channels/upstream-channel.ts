// An ISO 8583 TCP client for one upstream channel (a bank, a switch, a processor): a small pool of
// connections, bounded in-flight requests, reply matching by MTI class + DE 11 + DE 41 + DE 7,
// echo keep-alive and reconnect with capped backoff. Its one promise to the engine is the
// three-way answer of ChannelSendResult: a reply, provably never sent (safe to retry), or sent with
// no answer (UNKNOWN: money may have moved, so the engine must reverse, never resend).
import type { IsoMessage } from '../../core/iso8583/index.ts';

/** The subset of a pino logger the channel and the reversal worker use. */
export interface LoggerLike {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  debug(object: object, message?: string): void;
}

export type ChannelSendResult =
  | { kind: 'reply'; message: IsoMessage; sentAtMs: number; latencyMs: number }
  /** Provably never reached the socket: safe to retry, here or on another channel. */
  | { kind: 'not_sent'; reason: 'no_connection' | 'in_flight_full' | 'closed' | 'encode_failed'; detail: string }
  /** Reached the socket and got no usable answer: UNKNOWN, money may have moved. */
  | { kind: 'no_reply'; reason: 'timeout' | 'connection_lost' | 'malformed_reply'; sentAtMs: number };

export interface UpstreamChannelOptions {
  name: string;
  host: string;
  port: number;
  /** ISO 8583 dialect name for getDialect(), `iso87-ascii` by default in config. */
  dialect: string;
  framing: 'binary2' | 'ascii4';
  frameBytesMax: number;
  /** Pool size: how many TCP connections to keep open. */
  connections: number;
  /** Requests awaiting a reply across the whole pool; more are refused as `not_sent/in_flight_full`. */
  inFlightMax: number;
  /** An idle connection gets an 0800 echo (DE 70 `301`) this often; 0 turns echo off. */
  echoIntervalMs: number;
  /** DE 32 of echo messages. */
  acquirerId: string;
  reconnectBackoffMs: number;
  reconnectBackoffMsMax: number;
  connectTimeoutMs: number;
  logger: LoggerLike;
  /** Wall clock for sentAtMs/latency and DE 7 of echoes; Date.now by default. */
  nowMs?: () => number;
  /** How long an echo may wait for its 0810 before the connection is dropped; defaults to echoIntervalMs. */
  echoTimeoutMs?: number;
  /** STAN source for echoes; defaults to a local counter in 900000-999999 (see docs/channels.md). */
  nextEchoStan?: () => string;
  /** How long a timed-out request's key is remembered, so its reply is reported as late; default 600000. */
  lateWindowMs?: number;
  /** Most timed-out keys remembered at once (oldest forgotten first); default 4 * inFlightMax, at least 1024. */
  lateKeysMax?: number;
}

export interface UnmatchedReplyInfo {
  /** True when the reply matches a request of this channel that already timed out. */
  late: boolean;
  channel: string;
}

export interface ChannelHealth {
  name: string;
  connected: number;
  connections: number;
  inFlight: number;
  lastEchoOkAtMs: number | null;
  consecutiveFailures: number;
}

export class UpstreamChannel {
  constructor(options: UpstreamChannelOptions) {
    void options;
    throw new Error('UpstreamChannel: implementation follows in the next commit');
  }

  /** Opens the pool; reconnects forever with backoff; never throws. */
  start(): void {}

  /** Sends one request and waits for its reply; never rejects. */
  send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult> {
    void request;
    void options;
    return Promise.resolve({ kind: 'not_sent', reason: 'closed', detail: 'not implemented' });
  }

  /** Called for every reply no waiting request claims; `late` when it answers a timed-out request. */
  onUnmatchedReply(handler: (message: IsoMessage, info: UnmatchedReplyInfo) => void): void {
    void handler;
  }

  health(): ChannelHealth {
    return { name: '', connected: 0, connections: 0, inFlight: 0, lastEchoOkAtMs: null, consecutiveFailures: 0 };
  }

  /** Stops reconnecting, fails waiting requests as `no_reply/connection_lost`, closes every socket. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
