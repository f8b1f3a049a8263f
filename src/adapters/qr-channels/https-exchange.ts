// One HTTP(S) request to a QR provider, answered in the port's three ways: the provider's bytes, provably
// not sent (no connection was ever made), or no answer (the request may have arrived: UNKNOWN). The line
// between the last two is the socket's connection: before it, nothing left this process.
// Bounded: one keep-alive Agent per channel with a fixed socket count, a deadline per request, a
// maximum answer size; redirects are never followed (a 3xx is an answer that proves nothing).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

export interface ExchangeLimits {
  timeoutMs: number;
  answerBytesMax: number;
}

export type ExchangeResult =
  | { kind: 'answer'; status: number; body: string; sentAtMs: number; latencyMs: number }
  | { kind: 'not_sent'; reason: 'no_connection' | 'closed'; detail: string }
  | { kind: 'no_answer'; reason: 'timeout' | 'connection_lost' | 'malformed_answer'; detail: string; sentAtMs: number };

export interface HttpsExchange {
  post(body: string, contentType: string, limits: ExchangeLimits): Promise<ExchangeResult>;
  close(): void;
}

/** A client for one provider URL, with its own Agent (keep-alive, `socketsMax` sockets at most). */
export function createHttpsExchange(options: { url: string; socketsMax: number; nowMs: () => number; tlsCa?: string | Buffer }): HttpsExchange {
  const target = new URL(options.url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error(`${options.url}: only http and https URLs`);
  const secure = target.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.socketsMax, maxFreeSockets: options.socketsMax, scheduling: 'lifo' as const };
  const agent = secure ? new HttpsAgent({ ...agentOptions, ...(options.tlsCa !== undefined ? { ca: options.tlsCa } : {}) }) : new HttpAgent(agentOptions);
  let closed = false;

  function post(body: string, contentType: string, limits: ExchangeLimits): Promise<ExchangeResult> {
    if (closed) return Promise.resolve({ kind: 'not_sent', reason: 'closed', detail: 'the channel is closed' });
    const sentAtMs = options.nowMs();
    const payload = Buffer.from(body, 'utf8');
    return new Promise<ExchangeResult>((resolve) => {
      let settled = false;
      // True once a socket is connected for this request: from then on a failure is UNKNOWN.
      let connected = false;
      const finish = (result: ExchangeResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };
      const failure = (reason: 'timeout' | 'connection_lost' | 'malformed_answer', detail: string): void => {
        if (!connected && reason !== 'malformed_answer') finish({ kind: 'not_sent', reason: 'no_connection', detail });
        else finish({ kind: 'no_answer', reason, detail, sentAtMs });
      };
      const send = secure ? httpsRequest : httpRequest;
      const request = send(
        target,
        { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': payload.length, accept: 'application/json, text/xml' } },
        (response: IncomingMessage) => readAnswer(response),
      );
      const deadline = setTimeout(() => {
        failure('timeout', `no answer within ${limits.timeoutMs} ms`);
        request.destroy();
      }, limits.timeoutMs);
      request.on('socket', (socket: Socket) => {
        // A reused keep-alive socket is already connected.
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
        socket.once('secureConnect', () => (connected = true));
      });
      request.on('error', (error: NodeJS.ErrnoException) => failure('connection_lost', `${error.code ?? 'error'}: ${error.message}`));
      const readAnswer = (response: IncomingMessage): void => {
        connected = true;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.answerBytesMax) {
            failure('malformed_answer', `answer larger than ${limits.answerBytesMax} bytes`);
            response.destroy();
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => failure('connection_lost', error.message));
        response.on('aborted', () => failure('connection_lost', 'answer cut short'));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status !== 200) {
            failure('malformed_answer', `HTTP status ${status}`);
            return;
          }
          finish({ kind: 'answer', status, body: Buffer.concat(chunks, size).toString('utf8'), sentAtMs, latencyMs: Math.max(0, options.nowMs() - sentAtMs) });
        });
      };
      request.end(payload);
    });
  }

  return {
    post,
    close: () => {
      closed = true;
      agent.destroy();
    },
  };
}
