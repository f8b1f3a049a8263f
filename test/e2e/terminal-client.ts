// A minimal POS terminal for tests: one TCP connection, the listener's dialect and framing, and a
// request/response helper matched by MTI class and DE 11. Built on the real codec, so a test talks
// to `reswipe serve` exactly as a terminal would.
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { encodeFrame, FrameDecoder, getDialect, getText, packMessage, unpackMessage, type Dialect, type IsoMessage } from '../../src/core/iso8583/index.ts';

export class TerminalClient {
  readonly #socket: Socket;
  readonly #dialect: Dialect;
  readonly #framing: 'binary2' | 'ascii4';
  readonly #waiters: Array<{ match: (message: IsoMessage) => boolean; resolve: (message: IsoMessage) => void; reject: (error: Error) => void }> = [];
  #closed = false;
  /** The bytes each answer arrived as (frame prefix removed), for checking its MAC. */
  readonly #frames = new WeakMap<IsoMessage, Buffer>();

  private constructor(socket: Socket, dialect: Dialect, framing: 'binary2' | 'ascii4') {
    this.#socket = socket;
    this.#dialect = dialect;
    this.#framing = framing;
    const decoder = new FrameDecoder({ framing, frameBytesMax: 8192 });
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const message = unpackMessage(dialect, frame);
        this.#frames.set(message, Buffer.from(frame));
        const index = this.#waiters.findIndex((waiter) => waiter.match(message));
        if (index >= 0) this.#waiters.splice(index, 1)[0]?.resolve(message);
      }
    });
    socket.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('connection closed'));
    });
    socket.on('error', () => undefined);
  }

  /** Connects to a listener; with `tls`, over TLS (resolving once the handshake has succeeded); `localAddress` (another 127.x address) makes the connection come from another client address. */
  static async connect(port: number, dialectName = 'iso87-ascii', framing: 'binary2' | 'ascii4' = 'binary2', tls?: ConnectionOptions, localAddress?: string): Promise<TerminalClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const from = localAddress === undefined ? {} : { localAddress };
      const candidate = tls === undefined ? connect({ host: '127.0.0.1', port, ...from }, () => resolve(candidate)) : connectTls({ ...tls, ...from, host: '127.0.0.1', port }, () => resolve(candidate));
      candidate.once('error', reject);
    });
    return new TerminalClient(socket, getDialect(dialectName), framing);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The bytes an answer arrived as (without the frame prefix). */
  frameOf(answer: IsoMessage): Buffer | undefined {
    return this.#frames.get(answer);
  }

  /**
   * Sends a request and waits (bounded) for the response with the same MTI class and DE 11. `bytes`,
   * when given, is what goes on the wire instead of packing `message` (a MACed or tampered request).
   */
  request(message: IsoMessage, timeoutMs = 20_000, bytes?: Uint8Array): Promise<IsoMessage> {
    const stan = getText(message, 11);
    const classPrefix = message.mti.slice(0, 2);
    const response = new Promise<IsoMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${message.mti} STAN ${stan} in ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        match: (candidate) => candidate.mti.startsWith(classPrefix) && getText(candidate, 11) === stan,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    if (bytes === undefined) this.send(message);
    else this.#socket.write(encodeFrame(this.#framing, bytes));
    return response;
  }

  /** Sends without waiting (for resends and fire-and-forget). */
  send(message: IsoMessage): void {
    this.#socket.write(encodeFrame(this.#framing, packMessage(this.#dialect, message)));
  }

  /** Raw bytes, for protocol-error tests. */
  sendRaw(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  waitClosed(timeoutMs = 5_000): Promise<boolean> {
    if (this.#closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** DE 7 for now, MMDDhhmmss UTC. */
export function de7(atMs = Date.now()): string {
  const at = new Date(atMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return two(at.getUTCMonth() + 1) + two(at.getUTCDate()) + two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds());
}

export function saleMessage(input: { stan: string; pan: string; amountMinor: number; terminalId?: string; merchantId?: string; transmittedAt?: string; cvv?: string }): IsoMessage {
  const fields: IsoMessage['fields'] = {
    2: input.pan,
    3: '000000',
    4: String(input.amountMinor).padStart(12, '0'),
    7: input.transmittedAt ?? de7(),
    11: input.stan,
    12: '120000',
    13: '1125',
    14: '3012',
    22: '051',
    25: '00',
    41: input.terminalId ?? 'T0000001',
    42: input.merchantId ?? 'M00000000000001',
    49: '156',
  };
  if (input.cvv !== undefined) fields[48] = `CVV2=${input.cvv}`;
  return { mti: '0200', fields };
}

/** A QR sale (docs/terminal-link.md#qr-sales): DE 22 `031` and the scanned code in DE 48 `QRC=` (iso87-ascii), no card fields. */
export function qrSaleMessage(input: { stan: string; authCode: string; amountMinor: number; terminalId?: string; merchantId?: string; transmittedAt?: string }): IsoMessage {
  const message = saleMessage({ ...input, pan: '' });
  for (const cardField of [2, 12, 13, 14]) delete message.fields[cardField];
  message.fields[22] = '031';
  message.fields[48] = `QRC=${input.authCode}`;
  return message;
}
