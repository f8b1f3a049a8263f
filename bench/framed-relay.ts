// The ceiling for bench:auth: a plain framed TCP relay. Each terminal connection gets its own
// upstream connection to the issuer simulator; every frame (2-byte length) is cut out and written
// on unchanged, with no parsing, no store and no decision. Whatever the gateway does on top costs
// throughput relative to this. Prints {"port":n} on stdout once listening.
// Usage: tsx bench/framed-relay.ts --upstream-port <port> [--port 0]
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { encodeFrame, FrameDecoder } from '../src/core/iso8583/index.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, 'upstream-port': { type: 'string' }, 'upstream-host': { type: 'string', default: '127.0.0.1' } } });
const upstreamPort = Number(values['upstream-port']);
if (!Number.isInteger(upstreamPort) || upstreamPort < 1 || upstreamPort > 65535) throw new Error('--upstream-port is required');
const frameBytesMax = 8192;
const connectionsMax = 5_000;
let connections = 0;

function relayFrames(from: Socket, to: Socket): void {
  const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax });
  from.on('data', (chunk) => {
    try {
      for (const frame of decoder.push(chunk)) to.write(encodeFrame('binary2', frame));
    } catch {
      from.destroy();
      to.destroy();
    }
  });
}

const server = createServer((terminal) => {
  if (connections >= connectionsMax) {
    terminal.destroy();
    return;
  }
  connections += 1;
  terminal.setNoDelay(true);
  const upstream = connect({ host: values['upstream-host'], port: upstreamPort });
  upstream.setNoDelay(true);
  relayFrames(terminal, upstream);
  relayFrames(upstream, terminal);
  const close = (): void => {
    terminal.destroy();
    upstream.destroy();
  };
  terminal.on('close', close);
  upstream.on('close', close);
  terminal.on('error', close);
  upstream.on('error', close);
  terminal.on('close', () => {
    connections -= 1;
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
