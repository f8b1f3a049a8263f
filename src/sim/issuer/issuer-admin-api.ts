// The issuer simulator's admin HTTP API (plain node:http: five routes do not need a framework):
// GET /healthz, GET /ledger, GET /faults, PUT /faults, POST /reset, GET /cards, and the day's clearing
// file: GET /clearing.csv (the file) and GET /clearing (JSON: the file and the faults applied to it).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../adapters/log/logger.ts';
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import { mergeFaultSettings } from './fault-plan.ts';
import { testCardTableJson } from './format-test-card-table.ts';
import { viewLedger } from './issuer-book.ts';
import { clearingFaultKinds, validateClearingFaults, writeClearingFile } from './clearing-file.ts';
import { assertBusinessDate } from '../../core/fees/business-date.ts';
import type { FaultSettings } from './fault-plan.ts';
import type { IssuerBook } from './issuer-book.ts';
import type { IssuerOutcome } from './decide-issuer-response.ts';
import type { IssuerFault } from './test-cards.ts';

export interface IssuerAdminApi {
  readonly port: number;
  close(): Promise<void>;
}

/** Request bodies larger than this are refused. */
export const adminBodyBytesMax = 4096;
export const ledgerEntriesDefault = 200;
export const ledgerEntriesMax = 10_000;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendError(response: ServerResponse, status: number, code: string, message: string, field?: string): void {
  sendJson(response, status, { error: { code, message, field } });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > adminBodyBytesMax) {
        reject(new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: `body larger than ${adminBodyBytesMax} bytes` }));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Counters the admin API reports. */
export interface IssuerStats {
  messages: number;
  undecodable: number;
  framesTooLarge: number;
  outcomes: Partial<Record<IssuerOutcome, number>>;
  faults: Partial<Record<IssuerFault, number>>;
  lateRepliesDropped: number;
  /** Requests answered A0 because their MAC was missing or wrong (with --mac-key). */
  macRejected: number;
}

/** One reversal (0400/0401) as it reached the issuer: which original (DE 90), on which connection, when. */
export interface ReversalReceipt {
  readonly mti: string;
  readonly original: string;
  readonly stan: string;
  readonly connection: number;
  readonly atMs: number;
}

/** What the admin API reads and changes of a running issuer (the server implements it). */
export interface IssuerControls {
  readonly isoPort: number;
  readonly seed: number;
  readonly book: IssuerBook;
  readonly stats: IssuerStats;
  /** Every reversal received, oldest first (bounded): tests check that no two senders overlapped on one original. */
  readonly reversalsReceived: readonly ReversalReceipt[];
  faults(): FaultSettings;
  setFaults(settings: FaultSettings): void;
  /** Forgets every transaction and restores opening balances (recorded in the ledger file too). */
  reset(): void;
}

async function route(server: IssuerControls, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://admin');
  const where = `${request.method ?? 'GET'} ${url.pathname}`;
  switch (where) {
    case 'GET /healthz':
      return sendJson(response, 200, { status: 'ok', isoPort: server.isoPort, seed: server.seed });
    case 'GET /ledger': {
      const wanted = Number(url.searchParams.get('entries') ?? ledgerEntriesDefault);
      const entriesMax = Number.isInteger(wanted) && wanted >= 0 ? Math.min(wanted, ledgerEntriesMax) : ledgerEntriesDefault;
      return sendJson(response, 200, { ...viewLedger(server.book, entriesMax), stats: server.stats });
    }
    case 'GET /faults':
      return sendJson(response, 200, server.faults());
    case 'GET /reversals':
      // Every 0400/0401 received (bounded, oldest first): which original, on which connection, when.
      return sendJson(response, 200, { data: server.reversalsReceived });
    case 'PUT /faults': {
      let update: unknown;
      try {
        update = JSON.parse(await readBody(request));
      } catch (error) {
        if (isReswipeError(error)) throw error;
        throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: 'the body is not JSON' });
      }
      server.setFaults(mergeFaultSettings(server.faults(), update));
      return sendJson(response, 200, server.faults());
    }
    case 'POST /reset':
      server.reset();
      return sendJson(response, 200, { status: 'reset' });
    case 'GET /cards':
      return sendJson(response, 200, testCardTableJson());
    case 'GET /clearing':
    case 'GET /clearing.csv': {
      const businessDate = assertBusinessDate(url.searchParams.get('date'), 'date');
      const timeZone = url.searchParams.get('timeZone') ?? 'Asia/Shanghai';
      const cutoff = url.searchParams.get('cutoff') ?? '23:00';
      const faults = validateClearingFaults(Object.fromEntries(clearingFaultKinds.map((kind) => [kind, url.searchParams.get(kind)])));
      const file = writeClearingFile(server.book, { businessDate, timeZone, cutoff, faults });
      if (url.pathname === '/clearing') return sendJson(response, 200, file);
      response.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-length': Buffer.byteLength(file.csv) });
      response.end(file.csv);
      return;
    }
    default:
      return sendError(response, 404, 'NOT_FOUND', `no route ${where}; try GET /healthz, GET /ledger, GET /faults, GET /reversals, PUT /faults, POST /reset, GET /cards, GET /clearing.csv?date=YYYY-MM-DD`);
  }
}

export function startIssuerAdminApi(options: { host: string; port: number; server: IssuerControls; logger: Logger }): Promise<IssuerAdminApi> {
  const http = createServer((request, response) => {
    route(options.server, request, response).catch((error: unknown) => {
      if (isReswipeError(error)) return sendError(response, error.httpStatus, error.code, error.message, error.field);
      options.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'admin API failure');
      return sendError(response, 500, 'RSW_INTERNAL', 'internal error');
    });
  });
  http.requestTimeout = 10_000;
  http.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    http.once('error', (error) => reject(new ReswipeError('RSW_SIM_LISTEN_FAILED', { host: options.host, port: options.port, reason: error.message }, { cause: error })));
    http.listen(options.port, options.host, () => {
      const address = http.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : options.port,
        close: () =>
          new Promise<void>((done) => {
            http.closeAllConnections();
            http.close(() => done());
          }),
      });
    });
  });
}
