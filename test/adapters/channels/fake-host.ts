// A tiny upstream host for tests: a real TCP server speaking the iso87-ascii host link through the
// codec, whose answers each test scripts. It is a test double for a bank, not a simulator.
import { createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, getDialect, packMessage, unpackMessage, type IsoMessage } from '../../../src/core/iso8583/index.ts';
import type { LoggerLike } from '../../../src/adapters/channels/upstream-channel.ts';

export const hostDialect = getDialect('iso87-ascii');

export interface HostConnection {
  readonly socket: Socket;
  /** Sends a message on this connection. */
  send(message: IsoMessage): void;
  /** Writes raw bytes (for garbage frames). */
  writeRaw(bytes: Uint8Array): void;
}

/** Decides what to do with a message the host received; `reply` answers on the same connection. */
export type HostBehaviour = (message: IsoMessage, connection: HostConnection) => void;

export interface FakeHost {
  readonly port: number;
  readonly received: IsoMessage[];
  /** How many connections were accepted so far. */
  accepted(): number;
  /** Open connections. */
  openConnections(): HostConnection[];
  setBehaviour(behaviour: HostBehaviour): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** The standard answer: the response MTI, the request's fields, DE 39 as given. */
export function answer(request: IsoMessage, responseCode = '00'): IsoMessage {
  const mti = `${request.mti.slice(0, 2)}${Number(request.mti[2]) + 1}0`;
  const fields: IsoMessage['fields'] = { ...request.fields, 39: responseCode };
  delete fields[2];
  delete fields[14];
  delete fields[35];
  delete fields[52];
  delete fields[55];
  if (request.mti.startsWith('02') || request.mti.startsWith('01')) {
    fields[37] = '000000000001';
    if (responseCode === '00') fields[38] = 'A00001';
  }
  return { mti, fields };
}

/** Answers every request at once with 00. */
export const answerEverything: HostBehaviour = (message, connection) => connection.send(answer(message));

export async function startFakeHost(behaviour: HostBehaviour = answerEverything, port = 0): Promise<FakeHost> {
  let current = behaviour;
  let acceptedCount = 0;
  const received: IsoMessage[] = [];
  const connections = new Set<HostConnection>();
  const server: Server = createServer((socket) => {
    acceptedCount++;
    const decoder = new FrameDecoder({ framing: 'binary2', frameBytesMax: 4096 });
    const connection: HostConnection = {
      socket,
      send: (message) => {
        if (!socket.destroyed) socket.write(encodeFrame('binary2', packMessage(hostDialect, message)));
      },
      writeRaw: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
    };
    connections.add(connection);
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const message = unpackMessage(hostDialect, frame);
        received.push(message);
        current(message, connection);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    received,
    accepted: () => acceptedCount,
    openConnections: () => [...connections],
    setBehaviour: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A logger that keeps what it was told, so tests can check masking and warnings. */
export function recordingLogger(): LoggerLike & { lines: Array<{ level: string; object: object; message: string | undefined }> } {
  const lines: Array<{ level: string; object: object; message: string | undefined }> = [];
  const at = (level: string) => (object: object, message?: string) => {
    lines.push({ level, object, message });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

/** Waits until `condition` holds, checking every 5 ms, failing after `limitMs`. */
export async function waitFor(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const checksMax = Math.ceil(limitMs / 5);
  for (let check = 0; check < checksMax; check++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A 0200 sale request with the given STAN, as the engine would send it. */
export function saleRequest(stan: number, terminalId = 'T0000001'): IsoMessage {
  return {
    mti: '0200',
    fields: {
      3: '000000',
      4: '000000001000',
      7: '1125103000',
      11: String(stan).padStart(6, '0'),
      12: '103000',
      13: '1125',
      22: '051',
      25: '00',
      32: '48020000',
      41: terminalId,
      42: '898310048160001',
      49: '156',
    },
  };
}
