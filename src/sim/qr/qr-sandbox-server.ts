// The QR sandbox: one HTTP (or HTTPS) server that plays the QR providers' merchant APIs, dispatching
// each path to the provider that answers it (wechatpay-sandbox.ts; an Alipay provider beside it), with
// the fault plan (qr-fault-plan.ts) between the socket and the provider, and the admin routes
// (qr-sandbox-admin.ts) under /sandbox/. `reswipe qr-sim` starts it; tests start it in process.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { SeededRandom } from '../../core/time/random.ts';
import { answerAdminRequest, sandboxAdminPrefix } from './qr-sandbox-admin.ts';
import { decideQrFault, noQrFaults, type QrFault, type QrFaultSettings } from './qr-fault-plan.ts';
import type { ClientCertificateCheck, QrSandboxProvider } from './qr-sandbox-provider.ts';

export const qrSandboxDefaults = Object.freeze({ host: '127.0.0.1', port: 8_690, bodyBytesMax: 65_536, connectionsMax: 1_000 });

export interface QrSandboxOptions {
  readonly host: string;
  readonly port: number;
  readonly providers: readonly QrSandboxProvider[];
  readonly seed: number;
  readonly faults?: QrFaultSettings;
  /** Serve HTTPS with these options (readServerTlsOptions); with a `ca`, secapi-style paths check the client certificate. */
  readonly tls?: TlsOptions;
  readonly bodyBytesMax?: number;
  readonly connectionsMax?: number;
}

export interface QrSandboxStats {
  requests: number;
  faults: Record<QrFault, number>;
  silent: number;
}

export interface RunningQrSandbox {
  /** `http://127.0.0.1:PORT` or `https://...`: the base URL a channel is configured with. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  readonly tls: boolean;
  readonly providers: readonly QrSandboxProvider[];
  faults(): QrFaultSettings;
  setFaults(settings: QrFaultSettings): void;
  stats(): QrSandboxStats;
  reset(): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage, bytesMax: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bytesMax) {
        resolve(null);
        request.pause();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function clientCertificateOf(request: IncomingMessage, mutual: boolean): ClientCertificateCheck {
  if (!mutual) return 'not_checked';
  return (request.socket as TLSSocket).authorized === true ? 'verified' : 'missing_or_untrusted';
}

export function startQrSandbox(options: QrSandboxOptions): Promise<RunningQrSandbox> {
  const bodyBytesMax = options.bodyBytesMax ?? qrSandboxDefaults.bodyBytesMax;
  const random = new SeededRandom(options.seed);
  let faults = options.faults ?? noQrFaults;
  const stats: QrSandboxStats = { requests: 0, silent: 0, faults: { drop_request: 0, drop_answer: 0, delay_answer: 0, bad_signature: 0, http_500: 0 } };
  const timers = new Set<NodeJS.Timeout>();
  const held = new Set<ServerResponse>();
  const mutual = options.tls?.ca !== undefined;

  const control = {
    providers: options.providers,
    seed: options.seed,
    faults: () => faults,
    setFaults: (settings: QrFaultSettings) => {
      faults = settings;
    },
    stats: () => structuredClone(stats),
    reset: () => {
      for (const provider of options.providers) provider.reset();
      faults = options.faults ?? noQrFaults;
      stats.requests = 0;
      stats.silent = 0;
      for (const kind of Object.keys(stats.faults) as QrFault[]) stats.faults[kind] = 0;
    },
  };

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const body = await readBody(request, bodyBytesMax);
    if (body === null) {
      send(response, 413, 'text/plain; charset=utf-8', `body larger than ${bodyBytesMax} bytes\n`);
      request.socket.destroy();
      return;
    }
    if (url.pathname.startsWith(sandboxAdminPrefix)) {
      const answer = answerAdminRequest(control, request.method ?? 'GET', url, body);
      send(response, answer.status, 'application/json; charset=utf-8', answer.body);
      return;
    }
    const provider = options.providers.find((candidate) => candidate.handles(url.pathname));
    if (provider === undefined) {
      send(response, 404, 'text/plain; charset=utf-8', `no provider answers ${url.pathname}\n`);
      return;
    }
    stats.requests += 1;
    const fault = decideQrFault(url.pathname, faults, random);
    if (fault !== null) stats.faults[fault] += 1;
    if (fault === 'drop_request') {
      response.socket?.destroy();
      return;
    }
    if (fault === 'http_500') {
      send(response, 500, 'text/html; charset=utf-8', '<html><body>500 Internal Server Error</body></html>\n');
      return;
    }
    const answer = await provider.handle({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType: request.headers['content-type'] ?? '',
      body,
      clientCertificate: clientCertificateOf(request, mutual),
    });
    if (answer.delivery === 'silent') {
      // The provider did its work; nobody will ever hear of it. Held until the client gives up or the sandbox closes.
      stats.silent += 1;
      held.add(response);
      response.on('close', () => held.delete(response));
      return;
    }
    const text = fault === 'bad_signature' && answer.bodyWithBadSignature !== null ? answer.bodyWithBadSignature : answer.body;
    if (fault === 'drop_answer') {
      response.socket?.destroy();
      return;
    }
    if (fault === 'delay_answer') {
      held.add(response);
      const timer = setTimeout(() => {
        timers.delete(timer);
        held.delete(response);
        send(response, answer.status, answer.contentType, text);
      }, faults.delayMs);
      timers.add(timer);
      response.on('close', () => held.delete(response));
      return;
    }
    send(response, answer.status, answer.contentType, text);
  }

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    serve(request, response).catch((caught: unknown) => {
      const reason = caught instanceof Error ? caught.message : String(caught);
      send(response, 500, 'text/plain; charset=utf-8', `sandbox failure: ${reason}\n`);
    });
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(handler)
      : // With a client CA, the certificate is asked for but not demanded at the handshake: only the secapi paths need it.
        createHttpsServer({ ...options.tls, ...(mutual ? { requestCert: true, rejectUnauthorized: false } : {}) }, handler);
  server.maxConnections = options.connectionsMax ?? qrSandboxDefaults.connectionsMax;
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  return new Promise((resolve, reject) => {
    server.once('error', (caught) => reject(new ReswipeError('RSW_SIM_LISTEN_FAILED', { host: options.host, port: options.port, reason: caught.message }, { cause: caught })));
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `${options.tls === undefined ? 'http' : 'https'}://${hostInUrl}:${port}`,
        host: options.host,
        port,
        seed: options.seed,
        tls: options.tls !== undefined,
        providers: options.providers,
        faults: control.faults,
        setFaults: control.setFaults,
        stats: () => structuredClone(stats),
        reset: control.reset,
        close: () =>
          new Promise<void>((done) => {
            for (const timer of timers) clearTimeout(timer);
            timers.clear();
            for (const response of held) response.socket?.destroy();
            held.clear();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
