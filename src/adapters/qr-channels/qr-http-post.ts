// One bounded HTTP(S) POST for the QR channels, answering in the port's three ways
// (src/core/ports/qr-channel.ts): a body, `not_sent` (no connection was ever made, so the provider
// cannot have seen the request) or `no_answer` (the request may have arrived: timeout, connection lost,
// an HTTP error, a body too large). No redirects are followed (node:http never does), the answer is
// capped, and the whole exchange has one deadline.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { QrHttpResult, QrHttpTransport } from '../../core/ports/qr-channel.ts';

export type QrPostResult = QrHttpResult;

export interface QrPostTarget {
  readonly url: URL;
  readonly agent: HttpAgent | HttpsAgent;
}

export interface QrAgentOptions {
  readonly socketsMax: number;
  /** The client certificate and the trusted CAs, for HTTPS. */
  readonly tls?: SecureContextOptions;
}

/**
 * An idle kept-alive connection is closed after this, before a typical server's own keep-alive limit
 * (5 s and more), so a request rarely meets a connection the server is closing: that would read as
 * `no_answer` (safe, but a needless query).
 */
const idleSocketTimeoutMs = 4_000;

/** Keep-alive connections, a bounded number of them, for one channel. */
export function createQrAgent(baseUrl: URL, options: QrAgentOptions): HttpAgent | HttpsAgent {
  const common = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: options.socketsMax, maxTotalSockets: options.socketsMax, maxFreeSockets: Math.min(options.socketsMax, 8), timeout: idleSocketTimeoutMs };
  return baseUrl.protocol === 'https:' ? new HttpsAgent({ ...common, ...options.tls, minVersion: 'TLSv1.2', rejectUnauthorized: true }) : new HttpAgent(common);
}

/** Error codes that say no connection was ever made, whatever the socket's state looked like. */
const neverConnectedCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** POSTs `body` and reads at most `answerBytesMax` bytes of answer before `timeoutMs` runs out. */
export function qrPost(target: QrPostTarget, body: string, options: { contentType: string; timeoutMs: number; answerBytesMax: number }): Promise<QrPostResult> {
  return new Promise((resolve) => {
    let settled = false;
    // Whether a connection stood at some point: from then on the provider may have the request.
    let connected = false;
    let request: ClientRequest | null = null;
    const deadline = setTimeout(() => {
      finish(connected ? { kind: 'no_answer', reason: 'timeout', detail: `no answer within ${options.timeoutMs} ms` } : { kind: 'not_sent', reason: 'no_connection', detail: `no connection within ${options.timeoutMs} ms` });
      request?.destroy();
    }, options.timeoutMs);
    function finish(result: QrPostResult): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    }
    const isHttps = target.url.protocol === 'https:';
    try {
      request = (isHttps ? httpsRequest : httpRequest)(target.url, {
        method: 'POST',
        agent: target.agent,
        headers: { 'content-type': options.contentType, 'content-length': Buffer.byteLength(body), accept: 'text/xml, application/json, */*' },
      });
    } catch (error) {
      finish({ kind: 'not_sent', reason: 'no_connection', detail: error instanceof Error ? error.message : String(error) });
      return;
    }
    request.on('socket', (socket: Socket) => {
      // A kept-alive socket is already connected; a new one says so when its (TLS) handshake is done.
      if (!socket.connecting) {
        connected = true;
        return;
      }
      const event = isHttps ? 'secureConnect' : 'connect';
      const onConnected = (): void => {
        connected = true;
      };
      socket.once(event, onConnected);
      // A socket that never connects is destroyed; one that does is reused: it must not keep our listener.
      request?.once('close', () => socket.off(event, onConnected));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'error';
      if (!connected || neverConnectedCodes.has(code)) finish({ kind: 'not_sent', reason: 'no_connection', detail: `${code}: ${error.message}` });
      else finish({ kind: 'no_answer', reason: 'connection_lost', detail: `${code}: ${error.message}` });
    });
    request.on('response', (response: IncomingMessage) => {
      connected = true;
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > options.answerBytesMax) {
          finish({ kind: 'no_answer', reason: 'malformed_answer', detail: `answer larger than ${options.answerBytesMax} bytes` });
          response.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          finish({ kind: 'no_answer', reason: 'malformed_answer', detail: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` });
          return;
        }
        finish({ kind: 'answer', status, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', (error) => finish({ kind: 'no_answer', reason: 'connection_lost', detail: error.message }));
      response.on('aborted', () => finish({ kind: 'no_answer', reason: 'connection_lost', detail: 'the answer was cut off' }));
    });
    request.end(body);
  });
}

/** The production transport of a channel: qrPost over the channel's own kept-alive connections. */
export function qrHttpTransport(agent: HttpAgent | HttpsAgent): QrHttpTransport {
  return (request) => qrPost({ url: request.url, agent }, request.body, { contentType: request.contentType, timeoutMs: request.timeoutMs, answerBytesMax: request.answerBytesMax });
}
