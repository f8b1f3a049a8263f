// An ISO 8583 TCP client for one upstream channel (a bank, a switch, a processor): a small pool of
// connections, bounded in-flight requests, reply matching by MTI class + DE 11 + DE 41 + DE 7,
// echo keep-alive and reconnect with capped backoff. Its one promise to the engine is the
// three-way answer of ChannelSendResult: a reply, provably never sent (safe to retry), or sent with
// no answer (UNKNOWN: money may have moved, so the engine must reverse, never resend).
import { createConnection, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import {
  describeMessage,
  encodeFrame,
  FrameDecoder,
  getDialect,
  packMessage,
  unpackMessage,
  upstreamMatchKey,
  type IsoMessage,
} from '../../core/iso8583/index.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { checkMessageMac, packWithMac } from '../../core/crypto/terminal-mac.ts';
import type { ChannelSendResult, LoggerLike, UnmatchedReplyInfo } from '../../core/ports/channel.ts';

export type { ChannelSendResult, LoggerLike, UnmatchedReplyInfo } from '../../core/ports/channel.ts';

/** The channel's zone MAC key (channels[].mac, opened in memory at start): every message out carries a MAC, every one in must. */
export interface ChannelMacKey {
  algorithm: KeyAlgorithm;
  key: Uint8Array;
}

/** Why a message from upstream was refused for its MAC; the label of reswipe_channel_mac_rejected_total. */
export type ChannelMacRejection = 'missing' | 'bad';

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
  /** Most timed-out keys remembered at once (oldest forgotten first); default max(1024, 4 * inFlightMax). */
  lateKeysMax?: number;
  /** TLS client options (CA for the bank's certificate, client certificate and key), read from channels[].tls; absent means plain TCP. */
  tls?: ConnectionOptions;
  /** Host-link MAC (docs/channels.md); absent means messages travel without one. */
  mac?: ChannelMacKey;
  /** Called for every message from upstream refused for its MAC. */
  onMacRejected?: (reason: ChannelMacRejection) => void;
}

export interface ChannelHealth {
  name: string;
  connected: number;
  connections: number;
  inFlight: number;
  lastEchoOkAtMs: number | null;
  consecutiveFailures: number;
}

type NoReplyReason = Extract<ChannelSendResult, { kind: 'no_reply' }>['reason'];
type NotSentReason = Extract<ChannelSendResult, { kind: 'not_sent' }>['reason'];

/** One pool slot: at most one socket at a time, reopened with backoff whenever it closes. */
interface Slot {
  readonly index: number;
  socket: Socket | null;
  /** Id of the current (or last) socket, unique within the channel: the connection a loss belongs to. */
  connectionId: number;
  isOpen: boolean;
  decoder: FrameDecoder | null;
  /** Requests (echoes included) sent on this slot's current socket and still waiting. */
  inFlight: number;
  lastTrafficAtMs: number;
  echoPending: boolean;
  /** Consecutive failed connects, for the backoff; reset by a successful connect. */
  connectFailures: number;
  /** Why the current socket is being closed, when we close it on purpose. */
  closeReason: NoReplyReason | null;
  reconnectTimer: NodeJS.Timeout | null;
  connectTimer: NodeJS.Timeout | null;
}

interface Pending {
  readonly key: string;
  readonly slot: Slot;
  readonly sentAtMs: number;
  readonly isEcho: boolean;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (result: ChannelSendResult) => void;
}

const echoStanFirst = 900_000;
const echoStanLast = 999_999;

export class UpstreamChannel {
  private readonly options: UpstreamChannelOptions;
  private readonly dialect: ReturnType<typeof getDialect>;
  private readonly nowMs: () => number;
  private readonly lateWindowMs: number;
  private readonly lateKeysMax: number;
  private readonly echoTimeoutMs: number;
  private readonly slots: Slot[] = [];
  /** Every request waiting for a reply, by match key, across the pool. */
  private readonly pending = new Map<string, Pending>();
  /** Keys of requests that timed out, with the instant they stop counting as late; insertion order is expiry order. */
  private readonly lateKeys = new Map<string, number>();
  private readonly unmatchedHandlers: Array<(message: IsoMessage, info: UnmatchedReplyInfo) => void> = [];
  private requestsInFlight = 0;
  private echoStanNext = echoStanFirst;
  private echoTimer: NodeJS.Timeout | null = null;
  private lastEchoOkAtMs: number | null = null;
  private consecutiveFailures = 0;
  private started = false;
  /** TLS options for the next connection; replaced by setTls when certificates are renewed. */
  private tlsOptions: ConnectionOptions | undefined;
  private closed = false;
  private nextSlotStart = 0;
  /** The last id handed to a socket; 0 stands for "not connected yet". */
  private connectionIdLast = 0;
  /** The connection that most recently closed or failed to open: what a `no_connection` belongs to. */
  private connectionIdLastLost = 0;

  constructor(options: UpstreamChannelOptions) {
    validateOptions(options);
    this.options = Object.freeze({ ...options });
    this.dialect = getDialect(options.dialect);
    this.nowMs = options.nowMs ?? Date.now;
    this.tlsOptions = options.tls;
    this.lateWindowMs = options.lateWindowMs ?? 600_000;
    this.lateKeysMax = options.lateKeysMax ?? Math.max(1024, 4 * options.inFlightMax);
    this.echoTimeoutMs = options.echoTimeoutMs ?? options.echoIntervalMs;
    for (let index = 0; index < options.connections; index++) {
      this.slots.push({
        index,
        socket: null,
        connectionId: 0,
        isOpen: false,
        decoder: null,
        inFlight: 0,
        lastTrafficAtMs: 0,
        echoPending: false,
        connectFailures: 0,
        closeReason: null,
        reconnectTimer: null,
        connectTimer: null,
      });
    }
  }

  /** Opens the pool; reconnects forever with backoff; never throws. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const slot of this.slots) this.connect(slot);
    if (this.options.echoIntervalMs > 0) {
      // Check idleness a few times per interval so an idle connection is echoed within 1.5 intervals.
      const tickMs = Math.max(5, Math.floor(this.options.echoIntervalMs / 2));
      this.echoTimer = setInterval(() => this.echoIdleSlots(), tickMs);
      this.echoTimer.unref();
    }
  }

  /** Sends one request and waits for its reply; never rejects. */
  send(request: IsoMessage, options: { timeoutMs: number }): Promise<ChannelSendResult> {
    if (this.closed) return Promise.resolve(notSent('closed', `channel ${this.options.name} is closed`));
    if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
      return Promise.resolve(notSent('encode_failed', `timeoutMs must be a positive number, got ${options.timeoutMs}`));
    }
    let key: string;
    let frame: Buffer;
    try {
      const payload = this.pack(request);
      // Key the request as the host will see it (fixed fields padded), so the echoed reply matches.
      key = upstreamMatchKey(unpackMessage(this.dialect, payload));
      if (payload.length > this.options.frameBytesMax) {
        return Promise.resolve(notSent('encode_failed', `message of ${payload.length} bytes exceeds frameBytesMax ${this.options.frameBytesMax}`));
      }
      frame = encodeFrame(this.options.framing, payload);
    } catch (error) {
      return Promise.resolve(notSent('encode_failed', describeError(error)));
    }
    // A second request with the same key could not be told apart from the first when the reply comes.
    if (this.pending.has(key)) return Promise.resolve(notSent('encode_failed', 'a request with the same MTI class, DE 11, DE 41 and DE 7 is already waiting'));
    if (this.requestsInFlight >= this.options.inFlightMax) {
      return Promise.resolve(notSent('in_flight_full', `${this.requestsInFlight} requests already waiting (inFlightMax ${this.options.inFlightMax})`));
    }
    const slot = this.pickSlot();
    if (slot === null) {
      return Promise.resolve({ ...notSent('no_connection', `no open connection to ${this.options.host}:${this.options.port}`), connectionId: this.connectionIdLastLost });
    }
    return new Promise<ChannelSendResult>((resolve) => {
      this.requestsInFlight++;
      this.transmit(slot, key, frame, false, options.timeoutMs, (result) => {
        this.requestsInFlight--;
        resolve(result);
      });
    });
  }

  /** Called for every reply no waiting request claims; `late` when it answers a timed-out request. */
  onUnmatchedReply(handler: (message: IsoMessage, info: UnmatchedReplyInfo) => void): void {
    this.unmatchedHandlers.push(handler);
  }

  /** Renewed TLS material (client certificate, CA) for connections opened from now on; open connections keep theirs. */
  setTls(options: ConnectionOptions): void {
    if (this.tlsOptions === undefined) throw new Error(`broken invariant: channel ${this.options.name} was built without TLS`);
    this.tlsOptions = options;
  }

  health(): ChannelHealth {
    return {
      name: this.options.name,
      connected: this.slots.filter((slot) => slot.isOpen).length,
      connections: this.options.connections,
      inFlight: this.requestsInFlight,
      lastEchoOkAtMs: this.lastEchoOkAtMs,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  /** Stops reconnecting, fails waiting requests as `no_reply/connection_lost`, closes every socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.echoTimer !== null) clearInterval(this.echoTimer);
    this.echoTimer = null;
    for (const pending of [...this.pending.values()]) this.settle(pending, { kind: 'no_reply', reason: 'connection_lost', sentAtMs: pending.sentAtMs, connectionId: pending.slot.connectionId });
    const closing: Array<Promise<void>> = [];
    for (const slot of this.slots) {
      if (slot.reconnectTimer !== null) clearTimeout(slot.reconnectTimer);
      if (slot.connectTimer !== null) clearTimeout(slot.connectTimer);
      slot.reconnectTimer = null;
      slot.connectTimer = null;
      const socket = slot.socket;
      if (socket !== null && !socket.closed) {
        closing.push(new Promise<void>((resolve) => socket.once('close', () => resolve())));
        socket.destroy();
      }
    }
    await Promise.all(closing);
  }

  /** Registers the request as waiting, then writes it: from the write on, its fate is unknown until a reply. */
  private transmit(slot: Slot, key: string, frame: Buffer, isEcho: boolean, timeoutMs: number, resolve: (result: ChannelSendResult) => void): void {
    const socket = slot.socket;
    if (socket === null) throw new Error('broken invariant: transmit on a slot without a socket');
    const sentAtMs = this.nowMs();
    const timer = setTimeout(() => this.onTimeout(key), timeoutMs);
    const pending: Pending = { key, slot, sentAtMs, isEcho, timer, resolve };
    this.pending.set(key, pending);
    slot.inFlight++;
    slot.lastTrafficAtMs = sentAtMs;
    try {
      socket.write(frame);
    } catch (error) {
      // We cannot prove no byte left, so this is unknown, never not_sent.
      this.options.logger.error({ channel: this.options.name, slot: slot.index, error: describeError(error) }, 'upstream write failed');
      this.settle(pending, { kind: 'no_reply', reason: 'connection_lost', sentAtMs, connectionId: slot.connectionId });
      socket.destroy();
    }
  }

  private settle(pending: Pending, result: ChannelSendResult): void {
    if (this.pending.get(pending.key) !== pending) return;
    this.pending.delete(pending.key);
    clearTimeout(pending.timer);
    pending.slot.inFlight--;
    if (pending.isEcho) pending.slot.echoPending = false;
    pending.resolve(result);
  }

  private onTimeout(key: string): void {
    const pending = this.pending.get(key);
    if (pending === undefined) return;
    this.consecutiveFailures++;
    if (pending.isEcho) {
      this.options.logger.warn({ channel: this.options.name, slot: pending.slot.index }, 'echo got no reply in time; reconnecting');
      this.settle(pending, { kind: 'no_reply', reason: 'timeout', sentAtMs: pending.sentAtMs });
      pending.slot.closeReason = 'connection_lost';
      pending.slot.socket?.destroy();
      return;
    }
    this.rememberLateKey(key);
    this.options.logger.warn({ channel: this.options.name, slot: pending.slot.index, key }, 'upstream request timed out; outcome unknown');
    this.settle(pending, { kind: 'no_reply', reason: 'timeout', sentAtMs: pending.sentAtMs });
  }

  private rememberLateKey(key: string): void {
    const nowMs = this.nowMs();
    for (const [oldKey, expiresAtMs] of this.lateKeys) {
      if (expiresAtMs > nowMs && this.lateKeys.size < this.lateKeysMax) break;
      this.lateKeys.delete(oldKey);
    }
    this.lateKeys.delete(key);
    this.lateKeys.set(key, nowMs + this.lateWindowMs);
  }

  private isLate(key: string): boolean {
    const expiresAtMs = this.lateKeys.get(key);
    return expiresAtMs !== undefined && expiresAtMs > this.nowMs();
  }

  /** The open slot with the fewest waiting requests; ties rotate so load spreads. */
  private pickSlot(): Slot | null {
    let best: Slot | null = null;
    const count = this.slots.length;
    for (let offset = 0; offset < count; offset++) {
      const slot = this.slots[(this.nextSlotStart + offset) % count];
      if (slot === undefined || !slot.isOpen || slot.socket === null) continue;
      if (!slot.socket.writable || slot.socket.destroyed) continue;
      if (best === null || slot.inFlight < best.inFlight) best = slot;
    }
    this.nextSlotStart = (this.nextSlotStart + 1) % count;
    return best;
  }

  private connect(slot: Slot): void {
    if (this.closed) return;
    slot.reconnectTimer = null;
    slot.closeReason = null;
    const { host, port } = this.options;
    const tls = this.tlsOptions;
    const socket = tls === undefined ? createConnection({ host, port }) : connectTls({ ...tls, host, port });
    slot.socket = socket;
    this.connectionIdLast += 1;
    slot.connectionId = this.connectionIdLast;
    slot.connectTimer = setTimeout(() => {
      slot.connectTimer = null;
      socket.destroy(new Error(`connect timed out after ${this.options.connectTimeoutMs} ms`));
    }, this.options.connectTimeoutMs);
    socket.setNoDelay(true);
    // Over TLS a connection is usable (and the bank proven) only once the handshake has verified its certificate.
    let isSecured = false;
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      isSecured = true;
      if (slot.connectTimer !== null) clearTimeout(slot.connectTimer);
      slot.connectTimer = null;
      if (this.closed) {
        socket.destroy();
        return;
      }
      socket.setKeepAlive(true);
      slot.isOpen = true;
      slot.connectFailures = 0;
      slot.decoder = new FrameDecoder({ framing: this.options.framing, frameBytesMax: this.options.frameBytesMax });
      slot.lastTrafficAtMs = this.nowMs();
      this.options.logger.info({ channel: this.options.name, slot: slot.index, host, port, tls: tls !== undefined }, 'upstream connected');
    });
    socket.on('data', (chunk: Buffer) => this.onData(slot, socket, chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (tls !== undefined && !isSecured) {
        // An untrusted or mismatched bank certificate is an operator's problem to see, not a transient one.
        this.options.logger.warn({ channel: this.options.name, slot: slot.index, reason: error.code ?? describeError(error) }, 'upstream TLS handshake failed');
        return;
      }
      this.options.logger.debug({ channel: this.options.name, slot: slot.index, error: describeError(error) }, 'upstream socket error');
    });
    socket.once('close', () => this.onClose(slot, socket));
  }

  private onClose(slot: Slot, socket: Socket): void {
    if (slot.socket !== socket) return;
    if (slot.connectTimer !== null) clearTimeout(slot.connectTimer);
    slot.connectTimer = null;
    const wasOpen = slot.isOpen;
    const reason: NoReplyReason = slot.closeReason ?? 'connection_lost';
    slot.isOpen = false;
    slot.socket = null;
    slot.decoder = null;
    slot.echoPending = false;
    this.connectionIdLastLost = slot.connectionId;
    for (const pending of [...this.pending.values()]) {
      if (pending.slot === slot) this.settle(pending, { kind: 'no_reply', reason, sentAtMs: pending.sentAtMs, connectionId: slot.connectionId });
    }
    if (this.closed) return;
    if (wasOpen) {
      this.consecutiveFailures++;
      this.options.logger.warn({ channel: this.options.name, slot: slot.index, reason }, 'upstream connection closed; reconnecting');
    } else {
      slot.connectFailures++;
      this.consecutiveFailures++;
    }
    const delayMs = reconnectDelayMs(slot.connectFailures, this.options.reconnectBackoffMs, this.options.reconnectBackoffMsMax);
    slot.reconnectTimer = setTimeout(() => this.connect(slot), delayMs);
  }

  private onData(slot: Slot, socket: Socket, chunk: Buffer): void {
    if (slot.socket !== socket || slot.decoder === null) return;
    slot.lastTrafficAtMs = this.nowMs();
    let frames: Buffer[];
    try {
      frames = slot.decoder.push(chunk);
    } catch (error) {
      this.dropMalformed(slot, socket, error);
      return;
    }
    for (const frame of frames) {
      let message: IsoMessage;
      try {
        message = unpackMessage(this.dialect, frame);
      } catch (error) {
        this.dropMalformed(slot, socket, error);
        return;
      }
      const macRejection = this.macRejectionOf(frame, message);
      if (macRejection !== null) this.onMacRejected(slot, message, macRejection);
      else this.onMessage(slot, message);
      if (slot.socket !== socket) return;
    }
  }

  /** Packs a message for the wire, with its MAC in DE 64 (DE 128 with a secondary bitmap) when the channel has a MAC key. */
  private pack(message: IsoMessage): Buffer {
    const mac = this.options.mac;
    return mac === undefined ? packMessage(this.dialect, message) : packWithMac(this.dialect, message, mac.algorithm, mac.key);
  }

  private macRejectionOf(frame: Uint8Array, message: IsoMessage): ChannelMacRejection | null {
    const mac = this.options.mac;
    if (mac === undefined) return null;
    const check = checkMessageMac(this.dialect, frame, message, mac.algorithm, mac.key);
    switch (check) {
      case 'ok':
        return null;
      case 'missing':
      case 'bad':
        return check;
    }
  }

  /**
   * A message whose MAC is missing or wrong is not an answer: anyone on the path could have written it.
   * The request it claims to answer gets `no_reply/bad_mac` (unknown: the engine reverses it, never
   * approves on it), and its key is remembered so a genuine reply arriving later is reported as late.
   * The connection stays open: framing is intact, and the genuine reply may still come on it.
   */
  private onMacRejected(slot: Slot, message: IsoMessage, reason: ChannelMacRejection): void {
    const key = matchKeyOf(message);
    const pending = key === null ? undefined : this.pending.get(key);
    this.options.logger.warn({ channel: this.options.name, slot: slot.index, reason, answers: pending !== undefined, mti: message.mti, stan: message.fields[11] === undefined ? null : String(message.fields[11]) }, 'message from upstream refused: MAC missing or wrong; treated as no reply');
    this.options.onMacRejected?.(reason);
    if (pending === undefined) return;
    this.consecutiveFailures++;
    if (!pending.isEcho) this.rememberLateKey(pending.key);
    this.settle(pending, { kind: 'no_reply', reason: 'bad_mac', sentAtMs: pending.sentAtMs });
  }

  /** A frame we cannot read means we no longer know where the next one starts: close the connection. */
  private dropMalformed(slot: Slot, socket: Socket, error: unknown): void {
    this.options.logger.error({ channel: this.options.name, slot: slot.index, error: describeError(error) }, 'malformed frame from upstream; closing the connection');
    slot.closeReason = 'malformed_reply';
    socket.destroy();
  }

  private onMessage(slot: Slot, message: IsoMessage): void {
    if (message.mti === '0800') {
      this.answerHostEcho(slot, message);
      return;
    }
    const key = matchKeyOf(message);
    const pending = key === null ? undefined : this.pending.get(key);
    if (pending !== undefined) {
      const nowMs = this.nowMs();
      this.consecutiveFailures = 0;
      if (pending.isEcho) {
        const code = message.fields[39];
        if (code === undefined || code === '00') this.lastEchoOkAtMs = nowMs;
        else this.options.logger.warn({ channel: this.options.name, slot: slot.index, responseCode: String(code) }, 'echo answered with a non-00 code');
      }
      this.settle(pending, { kind: 'reply', message, sentAtMs: pending.sentAtMs, latencyMs: Math.max(0, nowMs - pending.sentAtMs) });
      return;
    }
    const late = key !== null && this.isLate(key);
    this.options.logger.warn(
      { channel: this.options.name, slot: slot.index, late, message: describeSafely(message) },
      late ? 'late reply to a request that already timed out' : 'unmatched reply from upstream',
    );
    for (const handler of this.unmatchedHandlers) {
      try {
        handler(message, { late, channel: this.options.name });
      } catch (error) {
        this.options.logger.error({ channel: this.options.name, error: describeError(error) }, 'unmatched-reply handler threw');
      }
    }
  }

  /** Hosts may probe us too; answering keeps them from dropping the link. */
  private answerHostEcho(slot: Slot, message: IsoMessage): void {
    const socket = slot.socket;
    if (socket === null || !socket.writable) return;
    const fields: IsoMessage['fields'] = { 39: '00' };
    for (const field of [7, 11, 70]) {
      const value = message.fields[field];
      if (value !== undefined) fields[field] = value;
    }
    try {
      socket.write(encodeFrame(this.options.framing, this.pack({ mti: '0810', fields })));
      slot.lastTrafficAtMs = this.nowMs();
    } catch (error) {
      this.options.logger.warn({ channel: this.options.name, error: describeError(error) }, 'could not answer the host echo');
    }
  }

  private echoIdleSlots(): void {
    if (this.closed) return;
    const nowMs = this.nowMs();
    for (const slot of this.slots) {
      if (!slot.isOpen || slot.echoPending || slot.socket === null || !slot.socket.writable) continue;
      if (nowMs - slot.lastTrafficAtMs < this.options.echoIntervalMs) continue;
      const echo: IsoMessage = {
        mti: '0800',
        fields: { 7: transmissionDateTime(nowMs), 11: this.nextEchoStan(), 32: this.options.acquirerId, 70: '301' },
      };
      let key: string;
      let frame: Buffer;
      try {
        const payload = this.pack(echo);
        key = upstreamMatchKey(unpackMessage(this.dialect, payload));
        frame = encodeFrame(this.options.framing, payload);
      } catch (error) {
        this.options.logger.error({ channel: this.options.name, error: describeError(error) }, 'could not build the echo');
        continue;
      }
      if (this.pending.has(key)) continue;
      slot.echoPending = true;
      this.transmit(slot, key, frame, true, this.echoTimeoutMs, () => undefined);
    }
  }

  private nextEchoStan(): string {
    if (this.options.nextEchoStan !== undefined) return this.options.nextEchoStan();
    const stan = this.echoStanNext;
    this.echoStanNext = stan >= echoStanLast ? echoStanFirst : stan + 1;
    return String(stan).padStart(6, '0');
  }
}

/** The delay before reconnect number `failures + 1`: doubling from the base, capped. */
export function reconnectDelayMs(failures: number, backoffMs: number, backoffMsMax: number): number {
  if (failures <= 0) return backoffMs;
  return Math.min(backoffMs * 2 ** Math.min(failures, 30), backoffMsMax);
}

/** DE 7: MMDDhhmmss in UTC. */
export function transmissionDateTime(atMs: number): string {
  const at = new Date(atMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  return two(at.getUTCMonth() + 1) + two(at.getUTCDate()) + two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds());
}

/** The masked description for logs; a describer fault must never take the connection down, so fall back to the MTI. */
function describeSafely(message: IsoMessage): unknown {
  try {
    return describeMessage(message);
  } catch (error) {
    return { mti: message.mti, describeError: describeError(error) };
  }
}

function notSent(reason: NotSentReason, detail: string): ChannelSendResult {
  return { kind: 'not_sent', reason, detail };
}

/** An error for logs and details: the stable code for ours, the message otherwise (never raw bytes). */
function describeError(error: unknown): string {
  if (error instanceof ReswipeError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

function validateOptions(options: UpstreamChannelOptions): void {
  const positiveIntegers: Array<[string, number]> = [
    ['connections', options.connections],
    ['inFlightMax', options.inFlightMax],
    ['frameBytesMax', options.frameBytesMax],
    ['reconnectBackoffMs', options.reconnectBackoffMs],
    ['reconnectBackoffMsMax', options.reconnectBackoffMsMax],
    ['connectTimeoutMs', options.connectTimeoutMs],
  ];
  for (const [field, value] of positiveIntegers) {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new ReswipeError('RSW_CHANNEL_OPTIONS_INVALID', { field: `channels.${options.name}.${field}`, reason: 'must be a positive integer' });
    }
  }
  if (!(Number.isInteger(options.echoIntervalMs) && options.echoIntervalMs >= 0)) {
    throw new ReswipeError('RSW_CHANNEL_OPTIONS_INVALID', { field: `channels.${options.name}.echoIntervalMs`, reason: 'must be 0 (off) or a positive integer' });
  }
  if (options.reconnectBackoffMsMax < options.reconnectBackoffMs) {
    throw new ReswipeError('RSW_CHANNEL_OPTIONS_INVALID', { field: `channels.${options.name}.reconnectBackoffMsMax`, reason: 'must be at least reconnectBackoffMs' });
  }
  if (!(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) {
    throw new ReswipeError('RSW_CHANNEL_OPTIONS_INVALID', { field: `channels.${options.name}.port`, reason: 'must be a TCP port 1-65535' });
  }
}

/** The key that matches a message from upstream to its request, or null when its fields cannot make one. */
function matchKeyOf(message: IsoMessage): string | null {
  try {
    return upstreamMatchKey(message);
  } catch {
    return null;
  }
}
