// The terminal listener: one TCP server per configured listener, speaking its dialect and framing
// (docs/contracts/terminal-link.md). It turns 0800 into sign-on/sign-off/echo, 0200 sales into engine
// authorizations (a resend waits for and gets the original answer), 0400/0401 into the terminal's
// own reversals, and answers every other request with a clear refusal. A frame that is too large
// or cannot be decoded gets no answer: it is logged (never its bytes) and the connection is closed.
// Terminal security (docs/terminal-keys.md): a sign-on gets fresh working keys in DE 62 under the
// terminal's master key; every request that moves or reveals money is checked against its MAC before
// anything else happens (a missing or bad MAC is answered A0 and nothing is processed), and its answer
// carries a MAC; reversals and voids are taken only on a connection that has signed that terminal on.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import {
  encodeFrame,
  FrameDecoder,
  getDialect,
  getText,
  packMessage,
  responseMtiFor,
  responseTpduFor,
  unpackMessage,
  type Dialect,
  type IsoComposite,
  type IsoFieldValue,
  type IsoMessage,
} from '../../core/iso8583/index.ts';
import { refusalCashierMessage } from '../../core/payments/txn-refusal-text.ts';
import type { TxnRefusal } from '../../core/payments/txn-rule-result.ts';
import { defaultBusinessTimeZone, localTimeOf } from '../../core/time/local-time.ts';
import { cashierMessage, cashierMessageWithNote, classifyOutcome, classifyResponseCode, terminalVerdictText, type Diagnosis } from '../../core/declines/index.ts';
import { CardNumber, fingerprintPan } from '../../core/cards/pan.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { BilingualText, EntryMode, Language } from '../../core/vocabulary.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import type { FollowUpRequest, FollowUpResult, FollowUpUseCases, SaleRequest, SaleResult, SaleUseCases } from '../../core/ports/payments.ts';
import { requestHashOf } from '../../core/payments/request-hash.ts';
import type { FollowUpOperation } from '../../core/payments/follow-up-request.ts';
import { formatBatchTotals, parseBatchTotals } from '../../core/payments/batch-totals.ts';
import { checkMessageMac, isMacCheckedMti, isMacSignedAnswerMti, macFieldOf, packWithMac, type MacMode } from '../../core/crypto/terminal-mac.ts';
import { keySetOf } from '../../core/crypto/working-key-block.ts';
import type { MacKey, WorkingKeys } from '../../app/terminal-keys/working-keys.ts';

/** Why a request's MAC was refused; the label of reswipe_terminal_mac_rejected_total. */
export type MacRejection = 'missing' | 'bad' | 'no_working_keys';

/** What one connection has done: the terminals it signed on (reversals and voids need one). */
interface ConnectionState {
  readonly signedOn: Set<string>;
}

/** Terminals one connection may sign on (a connection is normally one terminal; a concentrator may carry a few). */
const signedOnPerConnectionMax = 64;
/** At most one `terminal.mac_rejected` event per terminal per this interval, so a flood of forged MACs cannot flood the store; the metric counts all. */
const macRejectedEventIntervalMs = 1_000;

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

export interface TerminalServerOptions {
  listener: TerminalListenerSettings;
  engine: Pick<SaleUseCases, 'authorize' | 'waitUntilAnswered' | 'reverseByTerminal' | 'settings'>;
  /** Void, refund, completion, cancel, balance inquiry, settlement and upload; without it those are refused (40). */
  transactions?: Pick<FollowUpUseCases, 'followUp' | 'balanceInquiry' | 'settleBatch' | 'uploadBatchEntry' | 'findOriginalForTerminal'>;
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
  keys?: Pick<WorkingKeys, 'issue' | 'macKeyOf'>;
  /** Called for every refused MAC (the metric). */
  onMacRejected?: (reason: MacRejection) => void;
  /** TLS server options (certificate, key, client CA for mutual TLS), read from listeners[].tls; absent means plain TCP. */
  tls?: TlsOptions;
}

/** Terminals whose last "last seen" write is remembered; beyond it the oldest is forgotten (and may be written again early). */
const lastSeenTerminalsMax = 100_000;

const networkCodes = { signOn: ['001', '003', '004'], signOff: ['002'], echo: ['301'] } as const;

/** ISO 4217 numeric to alphabetic for the currencies terminals send in DE 49. */
const currencyAlphaByNumeric: Readonly<Record<string, string>> = Object.freeze({
  '156': 'CNY', '344': 'HKD', '446': 'MOP', '901': 'TWD', '840': 'USD', '978': 'EUR', '826': 'GBP', '392': 'JPY', '410': 'KRW', '702': 'SGD',
});

export class TerminalServer {
  readonly #options: TerminalServerOptions;
  readonly #dialect: Dialect;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Open connections per client address, for connectionsPerAddressMax; an address leaves the map with its last connection. */
  readonly #connectionsByAddress = new Map<string, number>();
  #refusedByAddressCap = 0;
  readonly #work = new Set<Promise<void>>();
  #port = 0;
  #closing = false;
  /** Per terminal id (DE 41), when its lastSeenAtMs was last written (or that write was started); oldest first. */
  readonly #lastSeenWrittenAtMs = new Map<string, number>();
  /** Per terminal id, when its last mac_rejected event was written and how many refusals went unrecorded since. */
  readonly #macRejectedEvents = new Map<string, { atMs: number; suppressed: number }>();

  constructor(options: TerminalServerOptions) {
    if (options.macMode !== 'off' && options.keys === undefined) {
      throw new Error(`broken invariant: listener ${options.listener.name} checks MACs (${options.macMode}) but has no terminal keys`);
    }
    this.#options = options;
    this.#dialect = getDialect(options.listener.dialect, (path) => readFileSync(path, 'utf8'));
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
    const connection: ConnectionState = { signedOn: new Set() };
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
        const work = this.#handleFrame(request, frame, connection)
          .then((response) => {
            if (response !== null) answer(encodeFrame(listener.framing.length, response));
          })
          .catch((error: unknown) => {
            logger.error({ listener: listener.name, mti: request.mti, error: isReswipeError(error) ? error.code : error instanceof Error ? error.message : 'unknown' }, 'terminal request failed');
          })
          .finally(() => {
            inFlight -= 1;
            this.#work.delete(work);
            if (sessionOver && inFlight === 0) socket.end();
          });
        this.#work.add(work);
      }
    });
  }

  /**
   * Records that a terminal was seen: at most one store write per terminal per lastSeenWriteIntervalMs,
   * started in the background (never awaited by the request, so a sale's answer waits for nothing
   * extra) and awaited by close(). The write is a narrow UPDATE that moves lastSeenAtMs forward only
   * and ignores unknown ids, so a stray DE 41 creates nothing; it is throttled like a known one.
   */
  #noteSeen(terminalId: string, nowMs: number): void {
    if (terminalId === '') return;
    const writtenAtMs = this.#lastSeenWrittenAtMs.get(terminalId);
    if (writtenAtMs !== undefined && nowMs - writtenAtMs < (this.#options.lastSeenWriteIntervalMs ?? 10_000)) return;
    this.#rememberSeenWrite(terminalId, nowMs);
    const { store, logger, listener } = this.#options;
    const work = store
      .write((tx) => tx.touchTerminal(terminalId, nowMs))
      .then(
        () => undefined,
        (error: unknown) => {
          if (this.#lastSeenWrittenAtMs.get(terminalId) === nowMs) this.#lastSeenWrittenAtMs.delete(terminalId);
          logger.warn({ listener: listener.name, terminalId, error: isReswipeError(error) ? error.code : 'unknown' }, 'terminal last-seen write failed; the next message retries it');
        },
      )
      .finally(() => this.#work.delete(work));
    this.#work.add(work);
  }

  #rememberSeenWrite(terminalId: string, atMs: number): void {
    // Delete first so the entry moves to the end: the map stays ordered oldest write first.
    this.#lastSeenWrittenAtMs.delete(terminalId);
    this.#lastSeenWrittenAtMs.set(terminalId, atMs);
    if (this.#lastSeenWrittenAtMs.size > lastSeenTerminalsMax) {
      const oldest = this.#lastSeenWrittenAtMs.keys().next();
      if (oldest.done !== true) this.#lastSeenWrittenAtMs.delete(oldest.value);
    }
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

  /**
   * The packed answer to one frame, or null: checks the MAC of a request that moves or reveals money
   * first (refusing with A0 before anything is processed), then handles it and MACs the answer under
   * the key the request was checked with.
   */
  async #handleFrame(request: IsoMessage, frame: Uint8Array, connection: ConnectionState): Promise<Buffer | null> {
    const responseMti = responseMtiFor(request.mti);
    let signWith: MacKey | null = null;
    if (responseMti !== undefined && this.#options.macMode !== 'off' && isMacCheckedMti(request.mti)) {
      let checked: { key: MacKey | null } | { refused: MacRejection };
      try {
        checked = await this.#checkMac(request, frame);
      } catch (error) {
        if (!isReswipeError(error)) throw error;
        this.#options.logger.error({ listener: this.#options.listener.name, mti: request.mti, code: error.code }, 'terminal MAC could not be checked; refused');
        return packMessage(this.#dialect, this.#answer(request, responseMti, safeCode(error.isoResponseCode ?? '96'), null));
      }
      if ('refused' in checked) {
        await this.#macRefused(request, checked.refused);
        return packMessage(this.#dialect, this.#answer(request, responseMti, classifyResponseCode('A0'), null));
      }
      signWith = checked.key;
    }
    const response = await this.#handle(request, connection);
    if (response === null) return null;
    if (signWith !== null && isMacSignedAnswerMti(response.mti)) return packWithMac(this.#dialect, response, signWith.algorithm, signWith.macKey);
    return packMessage(this.#dialect, response);
  }

  /** The MAC key a request checked out against (null: none sent, and the listener lets that pass), or why it is refused. */
  async #checkMac(request: IsoMessage, frame: Uint8Array): Promise<{ key: MacKey | null } | { refused: MacRejection }> {
    const keys = this.#options.keys;
    const sent = request.fields[macFieldOf(this.#dialect, request)];
    if (!(sent instanceof Uint8Array)) return this.#options.macMode === 'required' ? { refused: 'missing' } : { key: null };
    const terminalId = (getText(request, 41) ?? '').trim();
    if (keys === undefined || terminalId === '') return { refused: 'no_working_keys' };
    let key = await keys.macKeyOf(terminalId);
    if (key === null) return { refused: 'no_working_keys' };
    let check = checkMessageMac(this.#dialect, frame, request, key.algorithm, key.macKey);
    if (check === 'bad') {
      // The remembered key may be stale: a sign-on served by another gateway node issued new keys.
      key = await keys.macKeyOf(terminalId, true);
      if (key === null) return { refused: 'no_working_keys' };
      check = checkMessageMac(this.#dialect, frame, request, key.algorithm, key.macKey);
    }
    switch (check) {
      case 'ok':
        return { key };
      case 'bad':
        return { refused: 'bad' };
      case 'missing':
        return { refused: 'missing' };
    }
  }

  /** Logs, counts and records a refused MAC (the event at most once per terminal per interval; never the MAC bytes). */
  async #macRefused(request: IsoMessage, reason: MacRejection): Promise<void> {
    const { listener, logger, store, clock } = this.#options;
    const terminalId = (getText(request, 41) ?? '').trim();
    this.#options.onMacRejected?.(reason);
    logger.warn({ listener: listener.name, terminalId, mti: request.mti, reason }, 'terminal MAC refused (A0); nothing was processed');
    const nowMs = clock.nowMs();
    const last = this.#macRejectedEvents.get(terminalId);
    if (last !== undefined && nowMs - last.atMs < macRejectedEventIntervalMs) {
      last.suppressed += 1;
      return;
    }
    this.#macRejectedEvents.delete(terminalId);
    this.#macRejectedEvents.set(terminalId, { atMs: nowMs, suppressed: 0 });
    if (this.#macRejectedEvents.size > lastSeenTerminalsMax) {
      const oldest = this.#macRejectedEvents.keys().next();
      if (oldest.done !== true) this.#macRejectedEvents.delete(oldest.value);
    }
    try {
      await store.write((tx) =>
        tx.appendEvent({ type: 'terminal.mac_rejected', subjectId: terminalId === '' ? null : terminalId, payload: { listener: listener.name, mti: request.mti, reason, suppressedBefore: last?.suppressed ?? 0 }, atMs: nowMs }),
      );
    } catch (error) {
      logger.warn({ listener: listener.name, terminalId, error: isReswipeError(error) ? error.code : 'unknown' }, 'terminal.mac_rejected event could not be written');
    }
  }

  /** Reversals and voids need a connection that signed the terminal on: DE 41 and 42 are printed on every receipt. */
  #needsSignOn(request: IsoMessage, responseMti: string, connection: ConnectionState): IsoMessage | null {
    const terminalId = (getText(request, 41) ?? '').trim();
    if (connection.signedOn.has(terminalId)) return null;
    this.#options.logger.warn({ listener: this.#options.listener.name, terminalId, mti: request.mti }, 'reversal or void on a connection that has not signed this terminal on; refused (77)');
    return this.#answer(request, responseMti, classifyResponseCode('77'), null);
  }

  /** The answer to one request, or null when none is owed. Exported behaviour, see docs/terminal-link.md. */
  async #handle(request: IsoMessage, connection: ConnectionState): Promise<IsoMessage | null> {
    const responseMti = responseMtiFor(request.mti);
    if (responseMti === undefined) return null; // A response or a malformed MTI: terminals are owed nothing.
    const processingCode = getText(request, 3) ?? '';
    const conditionCode = getText(request, 25) ?? '00';
    const transactions = this.#options.transactions;
    // Any request counts as a sign of life (issue 7: "last seen, any message or echo"); sign-on and sign-off write it themselves.
    if (request.mti !== '0800') this.#noteSeen((getText(request, 41) ?? '').trim(), this.#options.clock.nowMs());
    switch (request.mti) {
      case '0800':
        return this.#networkManagement(request, responseMti, connection);
      case '0200':
        if (processingCode === '000000' && conditionCode !== '06') return this.#sale(request, responseMti, true);
        if (transactions === undefined) return this.#refuse(request, responseMti, '40');
        if (processingCode === '000000') return this.#followUp(request, responseMti, 'completion', transactions);
        if (processingCode === '200000') return this.#needsSignOn(request, responseMti, connection) ?? this.#followUp(request, responseMti, conditionCode === '06' ? 'completion_void' : 'void', transactions);
        if (processingCode === '310000') return this.#balance(request, responseMti, transactions);
        return this.#refuse(request, responseMti, '40');
      case '0100':
        if (processingCode === '030000') return this.#sale(request, responseMti, false);
        if (processingCode === '200000' && transactions !== undefined) return this.#needsSignOn(request, responseMti, connection) ?? this.#followUp(request, responseMti, 'preauth_cancel', transactions);
        return this.#refuse(request, responseMti, '40');
      case '0220':
      case '0221':
        if (processingCode === '200000' && transactions !== undefined) return this.#followUp(request, responseMti, 'refund', transactions);
        return this.#refuse(request, responseMti, '40');
      case '0500':
        if (transactions !== undefined) return this.#settlement(request, responseMti, transactions);
        return this.#refuse(request, responseMti, '40');
      case '0320':
        if (transactions !== undefined) return this.#batchUpload(request, responseMti, transactions);
        return this.#refuse(request, responseMti, '40');
      case '0400':
      case '0401':
        return this.#needsSignOn(request, responseMti, connection) ?? this.#reversal(request, responseMti);
      default:
        return this.#refuse(request, responseMti, '12');
    }
  }

  /** Void, completion, cancel, completion void or refund advice naming an original by DE 90, DE 61 or DE 37. */
  async #followUp(request: IsoMessage, responseMti: string, operation: FollowUpOperation, transactions: NonNullable<TerminalServerOptions['transactions']>): Promise<IsoMessage> {
    const { engine, clock, listener, logger } = this.#options;
    const terminalId = (getText(request, 41) ?? '').trim();
    const merchantId = getText(request, 42) ?? '';
    const stan = getText(request, 11) ?? '';
    const transmittedAt = getText(request, 7) ?? `${getText(request, 13) ?? localTimeOf(clock.nowMs(), engine.settings.businessTimeZone ?? defaultBusinessTimeZone).mmdd}${getText(request, 12) ?? '000000'}`;
    if (this.#closing) return this.#answer(request, responseMti, classifyResponseCode('96'), null);
    const amountText = getText(request, 4) ?? '';
    const amountMinor = /^[0-9]{1,12}$/.test(amountText) ? Number(amountText) : NaN;
    const currencyNumeric = getText(request, 49) ?? '156';
    const named = followUpOriginalOf(request);
    const original = named === null ? null : await transactions.findOriginalForTerminal(terminalId, named, merchantId);
    const pan = panOf(request);
    const expiry = getText(request, 14);
    const track2 = getText(request, 35);
    const deadlineMs = clock.nowMs() + engine.settings.terminalTimeoutMs;
    const scope = `iso:${terminalId}`;
    const key = `${stan}:${transmittedAt}`;
    const followUp: FollowUpRequest = {
      operation,
      intake: 'iso',
      merchantId,
      originalPaymentId: original?.id ?? `unknown:${named?.rrn ?? named?.stan ?? ''}`,
      terminalId,
      amountMinor,
      currency: currencyAlphaByNumeric[currencyNumeric] ?? currencyNumeric,
      reference: null,
      idempotency: {
        scope,
        key,
        requestHash: requestHashOf({ mti: request.mti.slice(0, 3), processingCode: getText(request, 3), condition: getText(request, 25) ?? '00', amountMinor: amountText, currency: currencyNumeric, terminalId, merchantId, original: original?.id ?? null }),
      },
      terminalStan: stan,
      terminalTransmittedAt: transmittedAt,
      ...(pan === null && track2 === undefined ? {} : { card: { ...(pan === null ? {} : { pan }), ...(expiry === undefined ? {} : { expiry }), ...(track2 === undefined ? {} : { track2 }) } }),
      deadlineMs,
    };
    let result: FollowUpResult;
    try {
      result = await transactions.followUp(followUp);
      if (result.kind === 'in_progress') {
        await engine.waitUntilAnswered(scope, key, deadlineMs - engine.settings.replyMarginMs);
        result = await transactions.followUp(followUp);
      }
    } catch (error) {
      if (!isReswipeError(error)) throw error;
      logger.warn({ listener: listener.name, terminalId, operation, code: error.code }, 'follow-up refused before anything was sent');
      return this.#answer(request, responseMti, classifyResponseCode(error.isoResponseCode ?? '96'), null);
    }
    switch (result.kind) {
      case 'refused': {
        // The standard code for the terminal, and the reason ("该批次已结算，不能撤销，请做退货") in DE 63, in the listener's language.
        const answer = this.#answer(request, responseMti, safeCode(result.refusal.isoResponseCode), null);
        answer.fields[63] = refusalCashierMessage(result.refusal, listener.language);
        logger.info({ listener: listener.name, terminalId, operation, code: result.refusal.code }, 'follow-up refused');
        return answer;
      }
      case 'completed':
        return this.#answer(request, responseMti, result.diagnosis, result.view.status === 'approved' ? { authCode: result.view.authCode, rrn: result.view.rrn } : { authCode: null, rrn: result.view.rrn }, result.view.recovery);
      case 'replayed': {
        const diagnosis = result.view.status === 'approved' ? classifyResponseCode('00') : safeCode(result.view.responseCode ?? '96');
        return this.#answer(request, responseMti, diagnosis, { authCode: result.view.authCode, rrn: result.view.rrn });
      }
      case 'in_progress':
        return this.#answer(request, responseMti, classifyOutcome('no_reply'), null);
      case 'idempotency_mismatch':
        return this.#answer(request, responseMti, classifyResponseCode('94'), null);
    }
  }

  /** Balance inquiry: one try upstream, DE 54 passed back, nothing stored as money. */
  async #balance(request: IsoMessage, responseMti: string, transactions: NonNullable<TerminalServerOptions['transactions']>): Promise<IsoMessage> {
    const pan = panOf(request);
    if (pan === null) return this.#answer(request, responseMti, classifyResponseCode('14'), null);
    const expiry = getText(request, 14);
    const track2 = getText(request, 35);
    const currencyNumeric = getText(request, 49) ?? '156';
    const result = await transactions.balanceInquiry({
      merchantId: getText(request, 42) ?? '',
      terminalId: (getText(request, 41) ?? '').trim(),
      card: { pan, ...(expiry === undefined ? {} : { expiry }), ...(track2 === undefined ? {} : { track2 }), entryMode: entryModeOf(getText(request, 22)) },
      currency: currencyAlphaByNumeric[currencyNumeric] ?? currencyNumeric,
      deadlineMs: this.#options.clock.nowMs() + this.#options.engine.settings.terminalTimeoutMs,
    });
    if (result.kind === 'failed') return this.#answer(request, responseMti, result.diagnosis, null);
    const answer = this.#answer(request, responseMti, result.diagnosis, null);
    if (result.de54 !== null) answer.fields[54] = result.de54;
    return answer;
  }

  /** 0500: DE 48 totals against the journal; 00 closes the batch, 95 asks for a 0320 upload. */
  async #settlement(request: IsoMessage, responseMti: string, transactions: NonNullable<TerminalServerOptions['transactions']>): Promise<IsoMessage> {
    const terminalId = (getText(request, 41) ?? '').trim();
    const totals = parseBatchTotals(getText(request, 48) ?? '');
    const batchNo = batchNoOf(request) ?? (await this.#options.store.getTerminal(terminalId))?.batchNo ?? '000001';
    const fields: Record<number, IsoFieldValue> = {};
    copy(request, fields, [7, 11, 12, 13, 32, 41, 42, 48, 60]);
    if (totals === null) {
      fields[39] = '30';
      return this.#response(request, responseMti, fields);
    }
    try {
      const result = await transactions.settleBatch({ terminalId, batchNo, totals });
      fields[39] = result.responseCode;
      fields[63] = result.responseCode === '00' ? 'batch settled' : `totals differ: journal ${formatBatchTotals(result.journal)}; upload the batch (0320)`;
    } catch (error) {
      if (!isReswipeError(error)) throw error;
      fields[39] = error.isoResponseCode ?? '96';
    }
    return this.#response(request, responseMti, fields);
  }

  /** 0320: one transaction of the batch; always acknowledged, mismatches recorded for reconciliation. */
  async #batchUpload(request: IsoMessage, responseMti: string, transactions: NonNullable<TerminalServerOptions['transactions']>): Promise<IsoMessage> {
    const terminalId = (getText(request, 41) ?? '').trim();
    const amountText = getText(request, 4) ?? '0';
    await transactions.uploadBatchEntry({
      terminalId,
      batchNo: batchNoOf(request) ?? '000000',
      stan: getText(request, 11) ?? '',
      amountMinor: /^[0-9]{1,12}$/.test(amountText) ? Number(amountText) : 0,
      processingCode: getText(request, 3) ?? '',
    });
    const fields: Record<number, IsoFieldValue> = {};
    copy(request, fields, [3, 4, 7, 11, 32, 41, 42, 60]);
    fields[39] = '00';
    return this.#response(request, responseMti, fields);
  }

  async #networkManagement(request: IsoMessage, responseMti: string, connection: ConnectionState): Promise<IsoMessage> {
    const isCups = this.#dialect.name === 'cups-pos';
    const de60 = request.fields[60];
    const code = isCups ? (typeof de60 === 'object' && !(de60 instanceof Uint8Array) ? de60['3'] : undefined) : getText(request, 70);
    const terminalId = (getText(request, 41) ?? '').trim();
    const nowMs = this.#options.clock.nowMs();
    let responseCode = '00';
    let workingKeyBlock: Buffer | null = null;
    if (code !== undefined && (networkCodes.signOn as readonly string[]).includes(code) || code !== undefined && (networkCodes.signOff as readonly string[]).includes(code)) {
      const signedOn = (networkCodes.signOn as readonly string[]).includes(code);
      const known = terminalId === '' ? false : await this.#options.store.write(async (tx) => {
        const terminal = await tx.getTerminal(terminalId);
        if (terminal === null) return false;
        await tx.upsertTerminal({ ...terminal, signedOn, lastSeenAtMs: nowMs, updatedAtMs: nowMs });
        await tx.appendEvent({ type: signedOn ? 'terminal.signed_on' : 'terminal.signed_off', subjectId: terminalId, payload: { listener: this.#options.listener.name }, atMs: nowMs });
        return true;
      });
      if (!known) responseCode = '97';
      else this.#rememberSeenWrite(terminalId, nowMs);
      if (known && signedOn) {
        const keys = await this.#issueWorkingKeys(terminalId, code);
        if (keys.responseCode !== '00') responseCode = keys.responseCode;
        else if (connection.signedOn.size < signedOnPerConnectionMax || connection.signedOn.has(terminalId)) connection.signedOn.add(terminalId);
        if (keys.de62 !== null) workingKeyBlock = keys.de62;
      } else if (known) {
        connection.signedOn.delete(terminalId);
      }
      this.#options.logger.info({ listener: this.#options.listener.name, terminalId, code, known, responseCode, workingKeys: workingKeyBlock !== null }, signedOn ? 'terminal sign-on' : 'terminal sign-off');
    } else if (code === undefined || !(networkCodes.echo as readonly string[]).includes(code)) {
      responseCode = '12';
    } else {
      this.#noteSeen(terminalId, nowMs);
    }
    const fields: Record<number, IsoFieldValue> = {};
    copy(request, fields, isCups ? [7, 11, 12, 13, 32, 41, 42, 60] : [7, 11, 32, 41, 42, 70]);
    fields[39] = responseCode;
    if (workingKeyBlock !== null && responseCode === '00') fields[62] = workingKeyBlock;
    return this.#response(request, responseMti, fields);
  }

  /**
   * New working keys for a sign-on, as DE 62. A terminal without a master key signs on without keys
   * where MACs are optional or off, and is refused (97) where they are required: it could not send a
   * single sale.
   */
  async #issueWorkingKeys(terminalId: string, code: string): Promise<{ responseCode: string; de62: Buffer | null }> {
    const { keys, macMode, logger, listener } = this.#options;
    if (keys === undefined) return { responseCode: '00', de62: null };
    const issued = await keys.issue(terminalId, keySetOf(this.#dialect.name === 'cups-pos' ? code : '003'));
    switch (issued.kind) {
      case 'issued':
        return { responseCode: '00', de62: issued.de62 };
      case 'no_master_key':
        if (macMode !== 'required') return { responseCode: '00', de62: null };
        logger.warn({ listener: listener.name, terminalId }, 'sign-on refused (97): the terminal has no master key; run reswipe terminal-keys import or generate');
        return { responseCode: '97', de62: null };
      case 'rotated_meanwhile':
        return { responseCode: '96', de62: null };
    }
  }

  async #sale(request: IsoMessage, responseMti: string, capture: boolean): Promise<IsoMessage> {
    const { engine, clock, listener } = this.#options;
    const terminalId = (getText(request, 41) ?? '').trim();
    const merchantId = getText(request, 42) ?? '';
    const stan = getText(request, 11) ?? '';
    // The retransmission key is DE 41 + 11 + 7. Terminals without DE 7 (classic cups-pos) are keyed by their
    // local date and time (DE 13 + 12) instead, falling back to today's date: a STAN is unique per terminal and day.
    const transmittedAt = getText(request, 7) ?? `${getText(request, 13) ?? localTimeOf(clock.nowMs(), engine.settings.businessTimeZone ?? defaultBusinessTimeZone).mmdd}${getText(request, 12) ?? '000000'}`;
    if (this.#closing) {
      // Shutting down: refuse before anything is stored or sent, so the terminal may retry elsewhere at once.
      return this.#answer(request, responseMti, classifyResponseCode('96'), null);
    }
    const pan = panOf(request);
    if (pan === null) return this.#answer(request, responseMti, classifyResponseCode('14'), null);
    const currencyNumeric = getText(request, 49) ?? '156';
    const amountText = getText(request, 4) ?? '';
    const amountMinor = /^[0-9]{1,12}$/.test(amountText) ? Number(amountText) : NaN;
    const deadlineMs = clock.nowMs() + engine.settings.terminalTimeoutMs;
    const scope = `iso:${terminalId}`;
    const key = `${stan}:${transmittedAt}`;
    const expiry = getText(request, 14);
    const track2 = getText(request, 35);
    const pinBlock = request.fields[52];
    const iccData = request.fields[55];
    const cvv = cvvOf(request);
    // The card enters the request hash only as its keyed fingerprint; under the retired keys too, so a
    // retransmission that straddles a key rotation is still a replay (docs/card-data.md).
    const requestHashUnder = (panKey: string): string =>
      requestHashOf({ mti: request.mti, processingCode: getText(request, 3), amountMinor: amountText, currency: currencyNumeric, terminalId, merchantId, card: fingerprintPan(pan, panKey) });
    const sale: SaleRequest = {
      intake: 'iso',
      // DE 42 is ans15 and merchant ids are exactly 15 characters, so it is used as sent.
      merchantId,
      terminalId,
      amountMinor,
      currency: currencyAlphaByNumeric[currencyNumeric] ?? currencyNumeric,
      card: {
        number: new CardNumber(pan),
        entryMode: entryModeOf(getText(request, 22)),
        ...(expiry === undefined ? {} : { expiry }),
        ...(cvv === undefined ? {} : { cvv }),
        ...(track2 === undefined ? {} : { track2 }),
        ...(pinBlock instanceof Uint8Array ? { pinBlock } : {}),
        ...(iccData instanceof Uint8Array ? { iccData } : {}),
      },
      capture,
      reference: null,
      idempotency: {
        scope,
        key,
        requestHash: requestHashUnder(engine.settings.panKey),
        requestHashesRetired: (engine.settings.panKeysRetired ?? []).map((retired) => requestHashUnder(retired.key)),
      },
      terminalStan: stan,
      terminalTransmittedAt: transmittedAt,
      deadlineMs,
    };
    let result: SaleResult;
    try {
      result = await engine.authorize(sale);
      if (result.kind === 'in_progress') {
        // A resend while the original is still running: the terminal waits for the original's answer.
        await engine.waitUntilAnswered(scope, key, deadlineMs - engine.settings.replyMarginMs);
        result = await engine.authorize(sale);
      }
    } catch (error) {
      if (!isReswipeError(error)) throw error;
      this.#options.logger.warn({ listener: listener.name, terminalId, code: error.code, field: error.field }, 'sale refused before anything was sent');
      return this.#answer(request, responseMti, classifyResponseCode(error.isoResponseCode ?? '96'), null);
    }
    switch (result.kind) {
      case 'completed':
      case 'replayed':
        return this.#answer(request, responseMti, result.diagnosis, result.view.status === 'approved' ? { authCode: result.view.authCode, rrn: result.view.rrn } : { authCode: null, rrn: result.view.rrn }, result.view.recovery);
      case 'in_progress':
        return this.#answer(request, responseMti, classifyOutcome('no_reply'), null);
      case 'idempotency_mismatch':
        return this.#answer(request, responseMti, classifyResponseCode('94'), null);
    }
  }

  async #reversal(request: IsoMessage, responseMti: string): Promise<IsoMessage> {
    const terminalId = (getText(request, 41) ?? '').trim();
    const original = originalOf(request);
    const amountText = getText(request, 4) ?? '';
    let responseCode = '25';
    let refusal: TxnRefusal | undefined;
    if (original !== null) {
      try {
        // Whether this 0400 may undo the sale (its terminal, merchant, amount, window) is the engine's decision.
        const outcome = await this.#options.engine.reverseByTerminal({
          terminalId,
          merchantId: getText(request, 42) ?? '',
          amountMinor: /^[0-9]{1,12}$/.test(amountText) ? Number(amountText) : null,
          originalStan: original.stan,
          originalTransmittedAt: original.transmittedAt,
          ...(original.dateMmdd === undefined ? {} : { originalDateMmdd: original.dateMmdd }),
          reasonCode: getText(request, 39) ?? '06',
        });
        responseCode = outcome.responseCode;
        refusal = outcome.refusal;
      } catch (error) {
        if (!isReswipeError(error)) throw error;
        responseCode = error.isoResponseCode ?? '96';
      }
    }
    const fields: Record<number, IsoFieldValue> = {};
    copy(request, fields, [3, 4, 7, 11, 32, 41, 42, 49, 61, 90]);
    fields[39] = responseCode;
    // A refused reversal says why in DE 63, in the listener's language, as a refused follow-up does.
    if (refusal !== undefined) fields[63] = refusalCashierMessage(refusal, this.#options.listener.language);
    return this.#response(request, responseMti, fields);
  }

  #refuse(request: IsoMessage, responseMti: string, code: string): IsoMessage {
    this.#options.logger.info({ listener: this.#options.listener.name, mti: request.mti, processingCode: getText(request, 3), code }, 'request type not supported yet; refused');
    return this.#answer(request, responseMti, classifyResponseCode(code), null);
  }

  /** A 0x10 response with the echoes, DE 39, DE 44 verdict and DE 63 cashier message of terminal-link.md. */
  #answer(request: IsoMessage, responseMti: string, diagnosis: Diagnosis, approval: { authCode: string | null; rrn: string | null } | null, recovery?: BilingualText | null): IsoMessage {
    const fields: Record<number, IsoFieldValue> = {};
    copy(request, fields, [3, 4, 7, 11, 12, 13, 25, 32, 41, 42, 49, 60]);
    if (approval?.rrn) fields[37] = approval.rrn.padEnd(12, ' ').slice(0, 12);
    if (diagnosis.code === '00' && approval?.authCode) fields[38] = approval.authCode.padEnd(6, ' ').slice(0, 6);
    fields[39] = diagnosis.code;
    fields[44] = terminalVerdictText(diagnosis);
    // After more than one try, how they ended follows the advice when DE 63 has room for both.
    fields[63] = cashierMessageWithNote(diagnosis, this.#options.listener.language, recovery?.[this.#options.listener.language]);
    return this.#response(request, responseMti, fields);
  }

  #response(request: IsoMessage, responseMti: string, fields: Record<number, IsoFieldValue>): IsoMessage {
    const response: IsoMessage = { mti: responseMti, fields };
    if (request.tpdu !== undefined) response.tpdu = responseTpduFor(request.tpdu);
    if (request.header !== undefined) response.header = request.header;
    return response;
  }
}

/**
 * The original a follow-up names: DE 90 (STAN and the original's whole DE 7, UTC), cups-pos DE 61 (STAN
 * and 61.3, the terminal's local MMDD), and DE 37 (RRN).
 */
export function followUpOriginalOf(request: IsoMessage): { rrn?: string; stan?: string; dateMmdd?: string; transmittedAt?: string } | null {
  const found: { rrn?: string; stan?: string; dateMmdd?: string; transmittedAt?: string } = {};
  const rrn = getText(request, 37)?.trim();
  if (rrn !== undefined && rrn !== '') found.rrn = rrn;
  const de90 = getText(request, 90);
  if (de90 !== undefined && /^[0-9]{20}/.test(de90)) {
    found.stan = de90.slice(4, 10);
    found.transmittedAt = de90.slice(10, 20);
  } else {
    const de61 = request.fields[61];
    if (typeof de61 === 'object' && !(de61 instanceof Uint8Array)) {
      const composite = de61 as IsoComposite;
      if (composite['2'] !== undefined && /^[0-9]{6}$/.test(composite['2'])) found.stan = composite['2'];
      if (composite['3'] !== undefined && /^[0-9]{4}$/.test(composite['3'])) found.dateMmdd = composite['3'];
    }
  }
  return found.rrn === undefined && found.stan === undefined ? null : found;
}

/** cups-pos DE 60.2, the batch number. */
function batchNoOf(request: IsoMessage): string | null {
  const de60 = request.fields[60];
  if (typeof de60 === 'object' && !(de60 instanceof Uint8Array)) {
    const batch = (de60 as IsoComposite)['2'];
    if (batch !== undefined) return batch;
  }
  return null;
}

function safeCode(code: string): Diagnosis {
  try {
    return classifyResponseCode(code);
  } catch {
    return classifyResponseCode('96');
  }
}

function copy(from: IsoMessage, to: Record<number, IsoFieldValue>, fields: readonly number[]): void {
  for (const de of fields) {
    const value = from.fields[de];
    if (value !== undefined) to[de] = value;
  }
}

/** DE 2, or the PAN part of DE 35 (before `=` or `D`). */
function panOf(request: IsoMessage): string | null {
  const de2 = getText(request, 2);
  if (de2 !== undefined && /^[0-9]{12,19}$/.test(de2)) return de2;
  const track2 = getText(request, 35);
  const fromTrack = track2?.split(/[=D]/)[0];
  if (fromTrack !== undefined && /^[0-9]{12,19}$/.test(fromTrack)) return fromTrack;
  return null;
}

/** CVV2 from DE 48 `CVV2=nnn` (iso87-ascii); other dialects carry none. */
function cvvOf(request: IsoMessage): string | undefined {
  const de48 = getText(request, 48);
  if (de48 === undefined) return undefined;
  for (const pair of de48.split(';')) {
    const [tag, value] = pair.split('=');
    if (tag === 'CVV2' && value !== undefined) return value;
  }
  return undefined;
}

/** DE 22's first two digits to the entry mode words of docs/vocabulary.md. */
export function entryModeOf(posEntryMode: string | undefined): EntryMode {
  switch ((posEntryMode ?? '').slice(0, 2)) {
    case '05':
    case '95':
      return 'chip';
    case '07':
    case '91':
      return 'contactless';
    case '02':
    case '90':
      return 'swipe';
    case '80':
      return 'fallback';
    default:
      return 'manual';
  }
}

/**
 * The original a terminal's 0400/0401 names: DE 90 (MTI, STAN, DE 7) when present; else cups-pos DE 61
 * (STAN and MMDD, no time), else the 0400's own DE 11 and DE 7 (CUPS terminals reuse the original's).
 */
export function originalOf(request: IsoMessage): { stan: string; transmittedAt: string | null; dateMmdd?: string } | null {
  const de90 = getText(request, 90);
  if (de90 !== undefined && /^[0-9]{20}/.test(de90)) return { stan: de90.slice(4, 10), transmittedAt: de90.slice(10, 20) };
  const de61 = request.fields[61];
  if (typeof de61 === 'object' && !(de61 instanceof Uint8Array)) {
    const composite = de61 as IsoComposite;
    const stan = composite['2'];
    if (stan !== undefined && /^[0-9]{6}$/.test(stan)) return { stan, transmittedAt: null, ...(composite['3'] === undefined ? {} : { dateMmdd: composite['3'] }) };
  }
  const stan = getText(request, 11);
  if (stan === undefined) return null;
  return { stan, transmittedAt: getText(request, 7) ?? null };
}
