// What the use cases need of an upstream channel and of a logger. The concrete ISO 8583 TCP client
// (src/adapters/channels/upstream-channel.ts) implements ChannelPort; simulations and tests pass fakes.
import type { IsoMessage } from '../iso8583/index.ts';

/** The subset of a pino logger the channel and the reversal worker use. */
export interface LoggerLike {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  debug(object: object, message?: string): void;
  /**
   * Whether a level would be written (pino has it). A hot path asks before it builds a debug line's
   * object, which is otherwise built on every sale and thrown away; fakes without it log everything.
   */
  isLevelEnabled?(level: 'debug'): boolean;
}

// `connectionId` names the connection a connection-level failure belongs to (connection lost, broken reply,
// no connection: the most recent one that closed or failed to open). Every request in flight on a dropped
// line fails with the same id, so the health monitor counts the loss once, not once per request.
export type ChannelSendResult =
  | { kind: 'reply'; message: IsoMessage; sentAtMs: number; latencyMs: number }
  /** Provably never reached the socket: safe to retry, here or on another channel. */
  | { kind: 'not_sent'; reason: 'no_connection' | 'in_flight_full' | 'closed' | 'encode_failed'; detail: string; connectionId?: number }
  /** Reached the socket and got no usable answer (a reply whose MAC is missing or wrong is none): UNKNOWN, money may have moved. */
  | { kind: 'no_reply'; reason: 'timeout' | 'connection_lost' | 'malformed_reply' | 'bad_mac'; sentAtMs: number; connectionId?: number };

export interface UnmatchedReplyInfo {
  /** True when the reply matches a request of this channel that already timed out. */
  late: boolean;
  channel: string;
}

/** What the engine needs of an upstream channel: the concrete UpstreamChannel, or a fake in tests and simulations. */
export interface ChannelPort {
  readonly name: string;
  send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult>;
}
