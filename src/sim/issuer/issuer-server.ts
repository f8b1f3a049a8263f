// The issuer simulator's I/O shell: a TCP listener speaking the host link (docs/contracts/host-link.md,
// iso87-ascii, 2-byte or 4-digit ASCII framing) whose every message goes through the pure rules
// (decide-issuer-response.ts) and the fault plan (fault-plan.ts), plus the admin HTTP API. Events
// are written to the optional ledger file and applied to the books before any reply leaves.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from '../../adapters/log/logger.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import {
  describeMessage,
  encodeFrame,
  FrameDecoder,
  getDialect,
  packMessage,
  responseMtiFor,
  unpackMessage,
  unpackMessageLocating,
  type Dialect,
  type FramingKind,
  type IsoMessage,
} from '../../core/iso8583/index.ts';
import { SeededRandom } from '../../core/time/random.ts';
import type { KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { checkMessageMac, macFieldOf, packWithMac } from '../../core/crypto/terminal-mac.ts';
import { decideIssuerResponse } from './decide-issuer-response.ts';
import { decideFault, isProcessedBeforeFault, type FaultSettings } from './fault-plan.ts';
import { IssuerBook, type IssuerEvent } from './issuer-book.ts';
import { startIssuerAdminApi, type IssuerAdminApi, type IssuerControls, type IssuerStats, type ReversalReceipt } from './issuer-admin-api.ts';
import { LedgerFile, readLedgerFile } from './ledger-file.ts';

export interface IssuerServerOptions {
  readonly host: string;
  /** ISO 8583 port; 0 picks a free one. */
  readonly port: number;
  /** Admin HTTP port on the same host; 0 picks a free one. */
  readonly adminPort: number;
  readonly framing: FramingKind;
  readonly frameBytesMax: number;
  readonly connectionsMax: number;
  /** Late replies waiting at once; beyond this a late reply is dropped (logged) rather than queued. */
  readonly lateRepliesMax: number;
  readonly recordsMax: number;
  readonly seed: number;
  readonly faults: FaultSettings;
  readonly ledgerFile: string | undefined;
  readonly logger: Logger;
  /** Wall clock; tests may pass their own. */
  readonly nowMs?: () => number;
  /** TLS on the ISO 8583 port (certificate, key, and a client CA to demand the gateway's certificate); absent means plain TCP. The admin API stays plain HTTP. */
  readonly tls?: TlsOptions;
  /** Host-link MAC (docs/issuer-simulator.md): requests must carry a good MAC (else `A0`, nothing processed) and every answer carries one. */
  readonly mac?: { readonly algorithm: KeyAlgorithm; readonly key: Uint8Array };
}

export const issuerServerDefaults = {
  host: '127.0.0.1',
  port: 9583,
  adminPort: 9584,
  framing: 'binary2' as FramingKind,
  frameBytesMax: 4096,
  connectionsMax: 256,
  lateRepliesMax: 10_000,
  recordsMax: 100_000,
} as const;

/** Reversal receipts kept for GET /reversals, the oldest dropped first. */
const reversalReceiptsMax = 10_000;

export interface RunningIssuerServer extends IssuerControls {
  readonly adminPort: number;
  readonly host: string;
  close(): Promise<void>;
}

/** Bytes the codec must reject: a non-numeric MTI and a cut-off bitmap. */
const malformedPayload = Buffer.from('02Z0\x80', 'latin1');

export async function startIssuerServer(options: IssuerServerOptions): Promise<RunningIssuerServer> {
  const log = options.logger;
  const nowMs = options.nowMs ?? (() => Date.now());
  const dialect: Dialect = getDialect('iso87-ascii');
  const book = new IssuerBook({ recordsMax: options.recordsMax });
  const faultRandom = new SeededRandom(options.seed);
  const authRandom = new SeededRandom((options.seed ^ 0x5eed5eed) >>> 0);
  let faults = options.faults;
  const stats: IssuerStats = { messages: 0, undecodable: 0, framesTooLarge: 0, outcomes: {}, faults: {}, lateRepliesDropped: 0, macRejected: 0 };

  let ledgerFile: LedgerFile | null = null;
  if (options.ledgerFile !== undefined) {
    const replayed = readLedgerFile(options.ledgerFile);
    for (const event of replayed) book.apply(event);
    ledgerFile = new LedgerFile(options.ledgerFile);
    log.info({ ledgerFile: options.ledgerFile, eventsReplayed: replayed.length }, 'issuer ledger replayed');
  }

  const record = (events: readonly IssuerEvent[]): void => {
    ledgerFile?.append(events);
    for (const event of events) book.apply(event);
  };

  const sockets = new Set<Socket>();
  const lateTimers = new Set<NodeJS.Timeout>();

  const mac = options.mac;
  const pack = (message: IsoMessage): Buffer => (mac === undefined ? packMessage(dialect, message) : packWithMac(dialect, message, mac.algorithm, mac.key));

  const send = (socket: Socket, response: IsoMessage): void => {
    if (socket.destroyed) return;
    socket.write(encodeFrame(options.framing, pack(response)));
  };

  /** The answer as a forger or a garbled line would deliver it: the MAC field present, its bytes wrong. */
  const sendWithBadMac = (socket: Socket, response: IsoMessage): void => {
    if (socket.destroyed) return;
    const de = macFieldOf(dialect, response);
    const bytes = mac === undefined ? packMessage(dialect, { ...response, fields: { ...response.fields, [de]: Buffer.alloc(8) } }) : pack(response);
    const { layout } = unpackMessageLocating(dialect, bytes, de);
    if (layout.field === null) throw new Error(`broken invariant: DE ${de} missing from a packed answer`);
    for (let at = layout.field.start; at < layout.field.end; at += 1) bytes[at] = (bytes[at] as number) ^ 0x5a;
    socket.write(encodeFrame(options.framing, bytes));
  };

  /** With --mac-key, a request without a good MAC is answered A0 and never reaches the rules: nothing is charged. */
  const refusedForMac = (socket: Socket, frame: Uint8Array, request: IsoMessage): boolean => {
    if (mac === undefined) return false;
    const responseMti = responseMtiFor(request.mti);
    if (responseMti === undefined) return false;
    const check = checkMessageMac(dialect, frame, request, mac.algorithm, mac.key);
    if (check === 'ok') return false;
    stats.messages += 1;
    stats.macRejected += 1;
    log.warn({ mti: request.mti, check }, 'request MAC missing or wrong: answered A0, nothing processed');
    const fields: IsoMessage['fields'] = { 39: 'A0' };
    for (const field of [3, 4, 7, 11, 32, 41, 42, 49, 70, 90]) {
      const value = request.fields[field];
      if (value !== undefined) fields[field] = value;
    }
    send(socket, { mti: responseMti, fields });
    return true;
  };

  const reversalsReceived: ReversalReceipt[] = [];
  let connections = 0;

  const handleMessage = (socket: Socket, request: IsoMessage, connection: number): void => {
    stats.messages += 1;
    if (request.mti.startsWith('04')) {
      if (reversalsReceived.length >= reversalReceiptsMax) reversalsReceived.shift();
      reversalsReceived.push({ mti: request.mti, original: String(request.fields[90] ?? ''), stan: String(request.fields[11] ?? ''), connection, atMs: nowMs() });
    }
    const fault = decideFault(request, faults, faultRandom);
    if (fault !== null) {
      stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
      log.info({ fault, message: describeMessage(request) }, 'issuer fault injected');
    }
    if (!isProcessedBeforeFault(fault)) {
      if (fault === 'drop_on_receipt') socket.destroy();
      return;
    }
    const decision = decideIssuerResponse(book, request, { nowMs: nowMs(), random: authRandom });
    stats.outcomes[decision.outcome] = (stats.outcomes[decision.outcome] ?? 0) + 1;
    record(decision.events);
    const response = decision.response;
    log.debug({ outcome: decision.outcome, request: describeMessage(request), response: response === null ? null : describeMessage(response) }, 'issuer answered');
    if (response === null) return;
    switch (fault) {
      case null:
        send(socket, response);
        return;
      case 'reply_lost':
        return;
      case 'late_reply': {
        if (lateTimers.size >= options.lateRepliesMax) {
          stats.lateRepliesDropped += 1;
          log.warn({ lateRepliesMax: options.lateRepliesMax }, 'late reply dropped: too many waiting');
          return;
        }
        const timer = setTimeout(() => {
          lateTimers.delete(timer);
          send(socket, response);
        }, faults.lateReplyMs);
        lateTimers.add(timer);
        return;
      }
      case 'drop_after_processing':
        socket.destroy();
        return;
      case 'malformed_reply':
        if (!socket.destroyed) socket.write(encodeFrame(options.framing, malformedPayload));
        return;
      case 'duplicate_reply':
        send(socket, response);
        send(socket, response);
        return;
      case 'bad_answer_mac':
        sendWithBadMac(socket, response);
        return;
      case 'no_reply':
      case 'drop_on_receipt':
        return; // handled above: never processed
    }
  };

  const handleConnection = (socket: Socket): void => {
    sockets.add(socket);
    connections += 1;
    const connection = connections;
    const decoder = new FrameDecoder({ framing: options.framing, frameBytesMax: options.frameBytesMax });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (error) => log.debug({ err: error.message }, 'issuer connection error'));
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        // host-link.md: a frame over the limit gets no answer, is logged, and the connection closes.
        stats.framesTooLarge += 1;
        log.warn({ err: error instanceof ReswipeError ? error.code : String(error) }, 'unusable frame: closing the connection');
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        // A fault may have closed the connection: what else was in the chunk never reached the issuer.
        if (socket.destroyed) return;
        let request: IsoMessage;
        try {
          request = unpackMessage(dialect, frame);
        } catch (error) {
          stats.undecodable += 1;
          log.warn({ err: error instanceof ReswipeError ? `${error.code}: ${error.message}` : String(error) }, 'undecodable message ignored');
          continue;
        }
        if (refusedForMac(socket, frame, request)) continue;
        handleMessage(socket, request, connection);
      }
    });
  };

  const isoServer: Server = options.tls === undefined ? createServer(handleConnection) : createTlsServer(options.tls, handleConnection);
  isoServer.on('tlsClientError', (error: NodeJS.ErrnoException) => log.info({ reason: error.code ?? 'handshake failed' }, 'issuer TLS handshake failed'));
  isoServer.maxConnections = options.connectionsMax;
  const isoPort = await listen(isoServer, options.host, options.port);

  const running: RunningIssuerServer = {
    isoPort,
    adminPort: 0,
    host: options.host,
    seed: options.seed,
    book,
    stats,
    reversalsReceived,
    faults: () => faults,
    setFaults(settings) {
      faults = settings;
      log.info({ faults: settings }, 'issuer fault settings changed');
    },
    reset() {
      record([{ type: 'reset', atMs: nowMs() }]);
      log.info('issuer books reset');
    },
    async close() {
      await closeAll();
    },
  };

  let admin: IssuerAdminApi;
  try {
    admin = await startIssuerAdminApi({ host: options.host, port: options.adminPort, server: running, logger: log });
  } catch (error) {
    isoServer.close();
    ledgerFile?.close();
    throw error;
  }

  let closing: Promise<void> | null = null;
  const closeAll = (): Promise<void> => {
    closing ??= (async () => {
      for (const timer of lateTimers) clearTimeout(timer);
      lateTimers.clear();
      const closed = new Promise<void>((resolve) => isoServer.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await admin.close();
      ledgerFile?.close();
    })();
    return closing;
  };

  return { ...running, adminPort: admin.port, close: closeAll };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new ReswipeError('RSW_SIM_LISTEN_FAILED', { host, port, reason: error.message }, { cause: error }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
