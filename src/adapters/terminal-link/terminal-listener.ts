// The terminal listener: one TCP (or TLS) server per configured listener, speaking its dialect and
// framing (docs/contracts/terminal-link.md), bounding what one peer can hold (connections in total and
// per address, idle, lifetime, requests in flight, write backpressure). Each frame is unpacked, its MAC
// checked when it moves or reveals money (terminal-mac-guard.ts: a missing or bad MAC is answered A0
// and nothing is processed), parsed once into a typed request (parse-terminal-request.ts), handled
// (handle-terminal-request.ts, the use cases through their ports) and answered, MACed under the key the
// request was checked with (build-terminal-answer.ts). A frame that is too large or cannot be decoded
// gets no answer: it is logged (never its bytes) and the connection is closed. Without a socket,
// handleFrame() runs that same per-frame path on a frame's bytes for one connection's state
// (newConnection()): the deterministic simulation (docs/simulation.md) drives terminals through it.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import { encodeFrame, FrameDecoder, getDialect, packMessage, responseMtiFor, unpackMessage, type Dialect, type IsoMessage } from '../../core/iso8583/index.ts';
import { isMacCheckedMti, type MacMode } from '../../core/crypto/terminal-mac.ts';
import { classifyResponseCode } from '../../core/declines/index.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { Store } from '../../core/ports/store.ts';
import type { MacKey, WorkingKeyPort } from '../../core/ports/terminal-keys.ts';
import type { Clock } from '../../core/time/clock.ts';
import { defaultBusinessTimeZone, localTimeOf } from '../../core/time/local-time.ts';
import type { Language } from '../../core/vocabulary.ts';
import { buildDiagnosisAnswer, diagnosisOfCode, packAnswer } from './build-terminal-answer.ts';
import type { QrSaleUseCases } from '../../core/ports/qr-payments.ts';
import { handleTerminalRequest, type TerminalConnection, type TerminalFollowUpUseCases, type TerminalLink, type TerminalSaleUseCases } from './handle-terminal-request.ts';
import { parseTerminalRequest, type TerminalParseContext } from './parse-terminal-request.ts';
import { TerminalLastSeen } from './terminal-last-seen.ts';
import { TerminalMacGuard, type MacRejection } from './terminal-mac-guard.ts';

export type { MacRejection };

export interface TerminalListenerSettings {
  name: string;
  host: string;
  port: number;
  /** `cups-pos`, `iso87-ascii`, or a path to a dialect JSON file. */
  dialect: string;
  framing: { length: 'binary2' | 'ascii4'; frameBytesMax: number };
  connectionsMax: number;
  /** Open connections from one client address; default 20. */
  connectionsPerAddressMax?: number;
  /** Closed after this long without a complete frame; default 10 minutes. */
  idleTimeoutMs?: number;
  /** Absolute lifetime: closed once nothing is in flight; default 1 hour. */
  sessionMsMax?: number;
  /** Answer bytes queued to a peer that does not read; above this the connection is closed; default 256 KiB. */
  writeBufferBytesMax?: number;
  language: Language;
}

export interface TerminalListenerOptions {
  listener: TerminalListenerSettings;
  /** The sale use cases (sale, pre-authorization, the terminal's own reversal). */
  sales: TerminalSaleUseCases;
  /** Void, refund, completion, cancel, balance inquiry, settlement and upload; without them those are refused (40). */
  followUps?: TerminalFollowUpUseCases;
  /** QR sales (DE 22 `03x`, docs/terminal-link.md#qr-sales); without them a QR sale is refused (40). */
  qrSales?: QrSaleUseCases;
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  /** Overrides listener.idleTimeoutMs (tests). */
  idleTimeoutMs?: number;
  /** Requests one connection may have in flight at once (a terminal normally has one); default 4. */
  inFlightPerConnectionMax?: number;
  /** At most one "last seen" store write per terminal per this interval, off the request path; default 10 s. */
  lastSeenWriteIntervalMs?: number;
  /**
   * Terminal MACs on this listener (resolveMacMode): `required`, `optional` or `off`. `required` and
   * `optional` need `keys`.
   */
  macMode: MacMode;
  /** Working keys (issued at sign-on) and MAC keys; without it a sign-on carries no keys. */
  keys?: Pick<WorkingKeyPort, 'issue' | 'macKeyOf'>;
  /** Called for every refused MAC (the metric). */
  onMacRejected?: (reason: MacRejection) => void;
  /** TLS server options (certificate, key, client CA for mutual TLS), read from listeners[].tls; absent means plain TCP. */
  tls?: TlsOptions;
}

export class TerminalListener {
  readonly #options: TerminalListenerOptions;
  readonly #dialect: Dialect;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Open connections per client address, for connectionsPerAddressMax; an address leaves the map with its last connection. */
  readonly #connectionsByAddress = new Map<string, number>();
  #refusedByAddressCap = 0;
  readonly #work = new Set<Promise<void>>();
  #port = 0;
  #closing = false;
  readonly #macGuard: TerminalMacGuard;
  readonly #link: TerminalLink;
  readonly #parseContext: TerminalParseContext;

  constructor(options: TerminalListenerOptions) {
    if (options.macMode !== 'off' && options.keys === undefined) {
      throw new Error(`broken invariant: listener ${options.listener.name} checks MACs (${options.macMode}) but has no terminal keys`);
    }
    this.#options = options;
    this.#dialect = getDialect(options.listener.dialect, (path) => readFileSync(path, 'utf8'));
    const { listener, sales, store, clock, logger } = options;
    this.#macGuard = new TerminalMacGuard({ dialect: this.#dialect, macMode: options.macMode, keys: options.keys, store, clock, logger, listenerName: listener.name, ...(options.onMacRejected === undefined ? {} : { onMacRejected: options.onMacRejected }) });
    const lastSeen = new TerminalLastSeen({ store, logger, listenerName: listener.name, intervalMs: options.lastSeenWriteIntervalMs ?? 10_000, track: (work) => this.#track(work) });
    this.#link = {
      listenerName: listener.name,
      dialectName: this.#dialect.name,
      language: listener.language,
      sales,
      followUps: options.followUps,
      qrSales: options.qrSales,
      store,
      clock,
      logger,
      macMode: options.macMode,
      keys: options.keys,
      isClosing: () => this.#closing,
      lastSeen,
    };
    this.#parseContext = {
      dialectName: this.#dialect.name,
      localDateMmdd: () => localTimeOf(clock.nowMs(), sales.settings.businessTimeZone ?? defaultBusinessTimeZone).mmdd,
    };
    if (options.tls === undefined) {
      this.#server = createServer((socket) => this.#accept(socket));
    } else {
      // The handler sees a connection only once its handshake has succeeded; failed handshakes are logged by reason, never by bytes.
      const server = createTlsServer(options.tls, (socket) => this.#accept(socket));
      server.on('tlsClientError', (error: NodeJS.ErrnoException) => {
        options.logger.info({ listener: options.listener.name, reason: error.code ?? 'handshake failed' }, 'terminal TLS handshake failed');
      });
      this.#server = server;
    }
    this.#server.maxConnections = options.listener.connectionsMax;
  }

  get name(): string {
    return this.#options.listener.name;
  }

  /** Open terminal connections, for metrics. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Connections closed at accept because their address already had connectionsPerAddressMax open. */
  get refusedByAddressCap(): number {
    return this.#refusedByAddressCap;
  }

  /** Answer bytes queued in user space across every connection (the write backpressure bound applies per connection). */
  get queuedWriteBytes(): number {
    let bytes = 0;
    for (const socket of this.#sockets) bytes += socket.writableLength;
    return bytes;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  /** Whether the listener speaks TLS. */
  get isTls(): boolean {
    return this.#options.tls !== undefined;
  }

  /** Serves a renewed certificate to new connections (TlsCertificateReloader); a plain listener has none to replace. */
  setSecureContext(options: SecureContextOptions): void {
    if (this.#options.tls === undefined) throw new Error(`terminal listener ${this.name} has no TLS to reload`);
    (this.#server as TlsServer).setSecureContext(options);
  }

  async start(): Promise<number> {
    const { host, port, name } = this.#options.listener;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(new ReswipeError('RSW_TERMINAL_LISTEN_FAILED', { listener: name, host, port, reason: error.code ?? error.message }));
      };
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    const address = this.#server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
    this.#options.logger.info({ listener: name, host, port: this.#port, dialect: this.#options.listener.dialect, tls: this.isTls }, 'terminal listener started');
    return this.#port;
  }

  /** Stops accepting, lets requests in flight finish (bounded by waitMs), then closes every connection. */
  async close(waitMs = 5_000): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.#work.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.#work]), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      if (timer !== undefined) clearTimeout(timer);
    }
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #accept(socket: Socket): void {
    const { listener, logger } = this.#options;
    if (this.#closing) {
      socket.destroy();
      return;
    }
    // One address may hold only a few of the listener's slots, so a single host cannot lock real terminals out.
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = this.#connectionsByAddress.get(address) ?? 0;
    if (fromAddress >= (listener.connectionsPerAddressMax ?? 20)) {
      this.#refusedByAddressCap += 1;
      logger.warn({ listener: listener.name, clientAddress: address, connectionsPerAddressMax: listener.connectionsPerAddressMax ?? 20 }, 'terminal connection refused: too many from this address');
      socket.destroy();
      return;
    }
    this.#connectionsByAddress.set(address, fromAddress + 1);
    this.#sockets.add(socket);
    const decoder = new FrameDecoder({ framing: listener.framing.length, frameBytesMax: listener.framing.frameBytesMax });
    const inFlightMax = this.#options.inFlightPerConnectionMax ?? 4;
    const writeBufferBytesMax = listener.writeBufferBytesMax ?? 262_144;
    let inFlight = 0;
    let sessionOver = false;
    const connection: TerminalConnection = { signedOn: new Set() };
    socket.setNoDelay(true);
    // Idle means no complete frame: a peer dribbling one byte at a time does not keep its slot.
    const idleTimer = setTimeout(() => {
      logger.info({ listener: listener.name, clientAddress: address }, 'terminal connection idle; closing');
      socket.destroy();
    }, this.#options.idleTimeoutMs ?? listener.idleTimeoutMs ?? 600_000);
    // The absolute lifetime ends a connection however busy it is, but never under a request in flight.
    const sessionTimer = setTimeout(() => {
      sessionOver = true;
      // end(), not destroy(): an answer just written still reaches the terminal; the idle timer bounds a peer that never closes.
      if (inFlight === 0) socket.end();
    }, listener.sessionMsMax ?? 3_600_000);
    socket.on('error', (error: NodeJS.ErrnoException) => logger.debug({ listener: listener.name, reason: error.code ?? 'socket error' }, 'terminal connection error'));
    socket.on('close', () => {
      clearTimeout(idleTimer);
      clearTimeout(sessionTimer);
      this.#sockets.delete(socket);
      const left = (this.#connectionsByAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#connectionsByAddress.delete(address);
      else this.#connectionsByAddress.set(address, left);
    });
    // Write backpressure: while answers wait in user space, stop reading requests (the kernel then
    // pushes back on the peer); past writeBufferBytesMax the peer is not reading at all and is dropped.
    socket.on('drain', () => {
      if (!socket.destroyed) socket.resume();
    });
    const answer = (frame: Buffer): void => {
      if (socket.destroyed) return;
      if (socket.writableLength + frame.length > writeBufferBytesMax) {
        logger.warn({ listener: listener.name, clientAddress: address, writeBufferBytesMax }, 'terminal does not read its answers; closing');
        socket.destroy();
        return;
      }
      if (!socket.write(frame)) socket.pause();
    };
    const requestFailed = (mti: string, error: unknown): void => {
      logger.error({ listener: listener.name, mti, error: isReswipeError(error) ? error.code : error instanceof Error ? error.message : 'unknown' }, 'terminal request failed');
    };
    const requestDone = (work: Promise<void>): void => {
      inFlight -= 1;
      this.#work.delete(work);
      if (sessionOver && inFlight === 0) socket.end();
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        this.#protocolError(socket, error);
        return;
      }
      if (frames.length > 0) idleTimer.refresh();
      for (const frame of frames) {
        let request: IsoMessage;
        try {
          request = unpackMessage(this.#dialect, frame);
        } catch (error) {
          this.#protocolError(socket, error);
          return;
        }
        if (inFlight >= inFlightMax) {
          logger.warn({ listener: listener.name, mti: request.mti, inFlightMax }, 'terminal connection exceeded its in-flight bound; closing');
          socket.destroy();
          return;
        }
        inFlight += 1;
        const mti = request.mti;
        // One reaction for both outcomes (not then + catch + finally: two promises fewer held per request in
        // flight); the helpers it calls are made once per connection, not per request.
        const work: Promise<void> = this.handleMessage(request, frame, connection).then(
          (response) => {
            try {
              if (response !== null) answer(encodeFrame(listener.framing.length, response));
            } catch (error) {
              requestFailed(mti, error);
            }
            requestDone(work);
          },
          (error: unknown) => {
            requestFailed(mti, error);
            requestDone(work);
          },
        );
        this.#work.add(work);
      }
    });
  }

  /** Background work (last-seen writes) close() waits for. */
  #track(work: Promise<void>): void {
    const tracked = work.finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
  }

  #protocolError(socket: Socket, error: unknown): void {
    // Never the bytes: only the code, the field path and the listener.
    const { listener, logger } = this.#options;
    logger.warn(
      { listener: listener.name, code: isReswipeError(error) ? error.code : 'RSW_TERMINAL_PROTOCOL', field: isReswipeError(error) ? error.field : undefined },
      'terminal sent an unusable frame; closing the connection',
    );
    socket.destroy();
  }

  /** The state of a new connection (no terminal signed on yet), for handleFrame without a socket. */
  newConnection(): TerminalConnection {
    return { signedOn: new Set() };
  }

  /**
   * The packed answer to one unframed message's bytes, without a socket: unpacked in the listener's
   * dialect (a message that cannot be decoded throws, where a connection would be closed), then
   * handled as a frame read from `connection` is (handleMessage).
   */
  async handleFrame(frame: Uint8Array, connection: TerminalConnection): Promise<Buffer | null> {
    return this.handleMessage(unpackMessage(this.#dialect, frame), frame, connection);
  }

  /**
   * The packed answer to one unpacked frame, or null when none is owed (a response MTI): checks the MAC of a
   * request that moves or reveals money first (refusing with A0 before anything is processed), then
   * parses and handles it and MACs the answer under the key the request was checked with.
   */
  async handleMessage(message: IsoMessage, frame: Uint8Array, connection: TerminalConnection): Promise<Buffer | null> {
    const responseMti = responseMtiFor(message.mti);
    if (responseMti === undefined) return null;
    const language = this.#options.listener.language;
    let signWith: MacKey | null = null;
    if (this.#options.macMode !== 'off' && isMacCheckedMti(message.mti)) {
      let checked: { key: MacKey | null } | { refused: MacRejection };
      try {
        checked = await this.#macGuard.check(message, frame);
      } catch (error) {
        if (!isReswipeError(error)) throw error;
        this.#options.logger.error({ listener: this.#options.listener.name, mti: message.mti, code: error.code }, 'terminal MAC could not be checked; refused');
        return packMessage(this.#dialect, buildDiagnosisAnswer(message, responseMti, language, diagnosisOfCode(error.isoResponseCode ?? '96'), null));
      }
      if ('refused' in checked) {
        await this.#macGuard.refused(message, checked.refused);
        return packMessage(this.#dialect, buildDiagnosisAnswer(message, responseMti, language, classifyResponseCode('A0'), null));
      }
      signWith = checked.key;
    }
    const request = parseTerminalRequest(message, this.#parseContext);
    if (request === null) return null;
    const response = await handleTerminalRequest(request, { link: this.#link, connection });
    return packAnswer(this.#dialect, response, signWith);
  }
}
