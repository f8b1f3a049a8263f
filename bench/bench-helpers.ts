// Shared by the sale benchmarks (bench:engine, bench:http): the gateway they measure, composed by
// composeGateway() as `serve` composes it (router, breaker, fees, metrics, reversal queue), with one
// channel that approves at once in place of the TCP channel, one distinct card per sale, the lane
// runner and the latency percentile, so both figures come from the same gateway and measuring code.
import type { ChannelHealth, ChannelSendResult } from '../src/adapters/channels/upstream-channel.ts';
import { request as httpRequest, type Agent } from 'node:http';
import { createMetrics } from '../src/adapters/http/metrics.ts';
import { composeGateway, type Gateway, type GatewayChannel } from '../src/app/compose-gateway.ts';
import { validateConfig } from '../src/core/config/config-schema.ts';
import type { IsoMessage } from '../src/core/iso8583/index.ts';

export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** A distinct Luhn-valid UnionPay PAN per sale: one card per sale, as in a real shop. */
export function panFor(n: number): string {
  const body = `622202${String(n).padStart(12, '0')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) digit *= 2;
    sum += digit > 9 ? digit - 9 : digit;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** The channel `bank`: approves every request at once, so a figure is the gateway's own cost plus durable writes. */
class ApprovingChannel implements GatewayChannel {
  async send(request: IsoMessage): Promise<ChannelSendResult> {
    return { kind: 'reply', message: { mti: '0210', fields: { ...request.fields, 37: '000000000001', 38: 'A1B2C3', 39: '00' } }, sentAtMs: Date.now(), latencyMs: 0 };
  }
  health(): ChannelHealth {
    return { name: 'bank', connected: 1, connections: 1, inFlight: 0, lastEchoOkAtMs: null, consecutiveFailures: 0 };
  }
  onUnmatchedReply(): void {}
  start(): void {}
  async close(): Promise<void> {}
}

export interface ApprovingGatewayOptions {
  databaseUrl: string;
  synchronous: 'full' | 'normal';
  panKey: string;
  merchantId: string;
  /** Terminals of the merchant, signed on before the bench starts. */
  terminals?: readonly string[];
  /** Serve the HTTP API on a free loopback port (rate limits on, too high to refuse a bench sale). */
  http?: boolean;
  /** More configuration sections (e.g. `webhooks`), merged over the bench's. */
  extraConfig?: Record<string, unknown>;
}

/** The gateway `serve` runs, started, on a fresh store, with the approving channel `bank` and no terminal listener. */
export async function approvingGateway(options: ApprovingGatewayOptions): Promise<Gateway> {
  const terminals = options.terminals ?? [];
  const config = validateConfig({
    database: { url: options.databaseUrl, synchronous: options.synchronous },
    security: { panKey: options.panKey, developmentMode: true },
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0, rateLimit: { perKey: { max: 1_000_000 }, perAddress: { max: 1_000_000 } } },
    listeners: [],
    channels: [{ name: 'bank', host: '127.0.0.1', port: 1, timeoutMs: 10_000, echoIntervalMs: 0 }],
    merchants: [{ id: options.merchantId, name: 'Bench', mcc: '5411', accepts: ['debit', 'credit'], terminals: [...terminals] }],
    ...options.extraConfig,
  });
  const gateway = await composeGateway(config, { logger: silentLogger, channel: () => new ApprovingChannel(), metrics: createMetrics({ collectDefault: false }), http: options.http === true });
  try {
    await gateway.start();
    // Signed on, as after each terminal's 0800 (there is no listener to receive one).
    await gateway.store.write(async (tx) => {
      for (const id of terminals) {
        const terminal = await tx.getTerminal(id);
        if (terminal !== null) await tx.upsertTerminal({ ...terminal, signedOn: true });
      }
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

/** Runs `count` jobs, `lanes` at a time, and returns each job's latency in ms, sorted. */
export async function runLanes(count: number, lanes: number, job: (n: number) => Promise<void>): Promise<number[]> {
  const latenciesMs: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let n = next++; n < count; n = next++) {
        const startedMs = performance.now();
        await job(n);
        latenciesMs.push(performance.now() - startedMs);
      }
    }),
  );
  return latenciesMs.sort((a, b) => a - b);
}

/** The p-th percentile (0-100) of ascending `sorted`, 0 when it is empty. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** POSTs a JSON body over a keep-alive agent to the loopback port; resolves with the status and the body text. */
export function postJson(agent: Agent, port: number, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
