// Benchmark: upstream channel throughput and latency against an in-process host that answers at
// once, for pool sizes 1, 2 and 4 at a fixed concurrency. Prints requests per second and p50/p99
// latency, and each pool size as a ratio against the single-connection baseline of the same run.
// Run: npm run bench:channels [-- <requests> <concurrency>]
import { createServer, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, getDialect, packMessage, unpackMessage, type IsoMessage } from '../src/core/iso8583/index.ts';
import { UpstreamChannel } from '../src/adapters/channels/upstream-channel.ts';

const requestsTotal = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 64);
const dialect = getDialect('iso87-ascii');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

function answerFor(request: IsoMessage): IsoMessage {
  return { mti: '0210', fields: { ...request.fields, 37: '000000000001', 38: 'A00001', 39: '00' } };
}

async function startHost(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax: 4096 });
    socket.on('data', (chunk) => {
      const replies = decoder.push(chunk).map((frame) => encodeFrame('binary2', packMessage(dialect, answerFor(unpackMessage(dialect, frame)))));
      if (replies.length > 0) socket.write(Buffer.concat(replies));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function sale(sequence: number): IsoMessage {
  return {
    mti: '0200',
    fields: {
      2: '6222020000000000018',
      3: '000000',
      4: '000000001000',
      7: '1125103000',
      11: String(sequence % 1_000_000).padStart(6, '0'),
      12: '103000',
      13: '1125',
      14: '3012',
      22: '051',
      25: '00',
      32: '48020000',
      41: `T${String(Math.floor(sequence / 1_000_000)).padStart(7, '0')}`,
      42: '898310048160001',
      49: '156',
    },
  };
}

async function run(connections: number, port: number): Promise<{ perSecond: number; p50Ms: number; p99Ms: number }> {
  const channel = new UpstreamChannel({
    name: 'bench',
    host: '127.0.0.1',
    port,
    dialect: 'iso87-ascii',
    framing: 'binary2',
    frameBytesMax: 4096,
    connections,
    inFlightMax: concurrency,
    echoIntervalMs: 0,
    acquirerId: '48020000',
    reconnectBackoffMs: 10,
    reconnectBackoffMsMax: 100,
    connectTimeoutMs: 2000,
    logger: quiet,
  });
  channel.start();
  for (let check = 0; check < 400 && channel.health().connected < connections; check++) await new Promise((resolve) => setTimeout(resolve, 5));
  const latenciesMs: number[] = [];
  let next = 0;
  const startedAt = performance.now();
  async function lane(): Promise<void> {
    while (next < requestsTotal) {
      const sequence = next++;
      const sentAt = performance.now();
      const result = await channel.send(sale(sequence), { timeoutMs: 10_000 });
      if (result.kind !== 'reply') throw new Error(`request ${sequence}: ${result.kind}`);
      latenciesMs.push(performance.now() - sentAt);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => lane()));
  const elapsedMs = performance.now() - startedAt;
  await channel.close();
  latenciesMs.sort((a, b) => a - b);
  const at = (quantile: number): number => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor(quantile * latenciesMs.length))] ?? 0;
  return { perSecond: (requestsTotal / elapsedMs) * 1000, p50Ms: at(0.5), p99Ms: at(0.99) };
}

const host = await startHost();
console.log(`upstream channel: ${requestsTotal} sales per run, ${concurrency} concurrent, in-process host answering at once`);
await run(1, host.port); // warm-up: JIT and codec compilation
let baseline: number | null = null;
for (const connections of [1, 2, 4]) {
  const result = await run(connections, host.port);
  baseline ??= result.perSecond;
  console.log(
    `connections ${connections}: ${Math.round(result.perSecond)} req/s (x${(result.perSecond / baseline).toFixed(2)} vs 1 connection), p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
  );
}
await host.close();
