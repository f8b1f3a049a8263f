// One POS terminal talking ISO 8583 over TCP to a reswipe terminal listener (docs/contracts/terminal-link.md):
// sign-on, sales, resends and the terminal's own 0400 after a lost answer. The emulator, the demo and
// the load generator all drive reswipe through this class, so they exercise the same bytes a real
// terminal sends. It keeps the terminal's STAN counter and batch number like a real POS does.
// With a master key (TMK) it signs on for working keys (DE 62, checked against their check values),
// MACs every financial request and accepts an approval only with a good MAC (docs/terminal-keys.md).
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import {
  encodeFrame,
  FrameDecoder,
  getDialect,
  getText,
  packMessage,
  unpackMessage,
  type Dialect,
  type IsoFieldValue,
  type IsoMessage,
} from '../../core/iso8583/index.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { assertNever, type RetryVerdict } from '../../core/vocabulary.ts';
import type { KeyAlgorithm } from '../../core/crypto/block-cipher.ts';
import { decodeWorkingKeyBlock } from '../../core/crypto/working-key-block.ts';
import { keyCheckValue } from '../../core/crypto/key-check-value.ts';
import { checkMessageMac, isMacCheckedMti, isMacSignedAnswerMti, packWithMac } from '../../core/crypto/terminal-mac.ts';

/** How the card was read, as the cashier chooses it on the terminal. */
export const entryChoices = ['chip', 'swipe', 'tap', 'manual'] as const;
export type EntryChoice = (typeof entryChoices)[number];
/** A card read, or a scanned payment code (`qr`: `reswipe terminal --auth-code`, docs/terminal-link.md#qr-sales). */
export type SaleEntry = EntryChoice | 'qr';

export interface TerminalSessionOptions {
  host: string;
  port: number;
  /** `cups-pos`, `iso87-ascii`, or a path to a dialect JSON file: the listener's dialect. */
  dialect: string;
  framing: 'binary2' | 'ascii4';
  /** DE 41, exactly 8 characters after padding. */
  terminalId: string;
  /** DE 42, exactly 15 characters after padding. */
  merchantId: string;
  /** How long to wait for any answer; a sale with no answer gets the terminal's own 0400. */
  answerTimeoutMs: number;
  connectTimeoutMs?: number;
  /** TLS client options (the gateway's CA, and the terminal's certificate for mutual TLS); absent means plain TCP. */
  tls?: ConnectionOptions;
  /** First STAN this session uses (1..999999); default 1. */
  stanFirst?: number;
  /** Wall clock for DE 7/12/13 and latency; Date.now by default. */
  nowMs?: () => number;
  /** The terminal's master key: with it the session asks for working keys at sign-on and MACs its requests. */
  masterKey?: { algorithm: KeyAlgorithm; tmk: Uint8Array };
}

export interface SaleInput {
  /** The card number, or with entry `qr` the scanned payment code. */
  pan: string;
  amountMinor: number;
  entry: SaleEntry;
  /** YYMM; default 3012 (what every test card has on file). */
  expiry?: string;
  /** Sent in DE 48 `CVV2=` on iso87-ascii only; cups-pos has no field for it. */
  cvv?: string;
  currencyNumeric?: string;
}

/** The request as sent, kept so the cashier can resend it unchanged (same DE 11 and DE 7). */
export interface SentSale {
  message: IsoMessage;
  stan: string;
  transmittedAt: string;
  input: SaleInput;
  atMs: number;
}

export interface SaleAnswer {
  /** `answered` carries DE 39; `no_answer` means the terminal sent its own 0400 (`reversalCode` is the 0410's DE 39, or null if that got no answer either). */
  kind: 'answered' | 'no_answer';
  responseCode: string | null;
  verdict: RetryVerdict | null;
  waitSeconds: number | null;
  cashierMessage: string | null;
  authCode: string | null;
  rrn: string | null;
  reversalCode: string | null;
  latencyMs: number;
  sent: SentSale;
}

const verdictWords: Readonly<Record<string, RetryVerdict>> = { NONE: 'none', NOW: 'now', LATER: 'later', FIX: 'fix', NEVER: 'never', WAIT: 'wait' };

/** DE 22 POS entry mode for each way of reading a card (first two digits are what reswipe reads). */
export function posEntryModeOf(entry: SaleEntry): string {
  switch (entry) {
    case 'qr':
      return '031';
    case 'chip':
      return '051';
    case 'swipe':
      return '021';
    case 'tap':
      return '071';
    case 'manual':
      return '012';
    default:
      return assertNever(entry, 'entry choice');
  }
}

/** DE 44 text (`WAIT:30`) to verdict and seconds; null verdict when absent or not one of the words. */
export function parseVerdict(text: string | undefined): { verdict: RetryVerdict | null; waitSeconds: number | null } {
  if (text === undefined) return { verdict: null, waitSeconds: null };
  const [word, seconds] = text.trim().split(':');
  const verdict = verdictWords[word ?? ''] ?? null;
  const waitSeconds = seconds !== undefined && /^[0-9]{1,6}$/.test(seconds) ? Number(seconds) : null;
  return { verdict, waitSeconds };
}

/** MMDDhhmmss in UTC, as DE 7 carries it. */
export function transmissionTimeOf(atMs: number): string {
  const at = new Date(atMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return two(at.getUTCMonth() + 1) + two(at.getUTCDate()) + two(at.getUTCHours()) + two(at.getUTCMinutes()) + two(at.getUTCSeconds());
}

function localTimeOf(atMs: number): { hhmmss: string; mmdd: string } {
  const at = new Date(atMs);
  const two = (value: number) => String(value).padStart(2, '0');
  return { hhmmss: two(at.getHours()) + two(at.getMinutes()) + two(at.getSeconds()), mmdd: two(at.getMonth() + 1) + two(at.getDate()) };
}

const stanMax = 999_999;
const waitersMax = 64;

export class TerminalSession {
  readonly #socket: Socket;
  readonly #dialect: Dialect;
  readonly #options: TerminalSessionOptions;
  readonly #nowMs: () => number;
  readonly #waiters: Array<{ match: (message: IsoMessage) => boolean; resolve: (message: IsoMessage | null) => void }> = [];
  #stan: number;
  #closed = false;
  /** The MAC key of the latest sign-on; null before one, or without a master key. */
  #macKey: Uint8Array | null = null;
  batchNo = '000001';

  private constructor(socket: Socket, dialect: Dialect, options: TerminalSessionOptions) {
    this.#socket = socket;
    this.#dialect = dialect;
    this.#options = options;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#stan = Math.min(Math.max(options.stanFirst ?? 1, 1), stanMax);
    const decoder = new FrameDecoder({ framing: options.framing, frameBytesMax: 8192 });
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        let message: IsoMessage;
        try {
          message = unpackMessage(this.#dialect, frame);
        } catch {
          continue; // An answer we cannot read is as good as none: the waiter times out and the terminal reverses.
        }
        if (!this.#answerMacAcceptable(message, frame)) continue; // A forged or damaged approval is no answer either.
        const index = this.#waiters.findIndex((waiter) => waiter.match(message));
        if (index >= 0) this.#waiters.splice(index, 1)[0]?.resolve(message);
      }
    });
    socket.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiters.splice(0)) waiter.resolve(null);
    });
    socket.on('error', () => undefined);
  }

  /** Opens the TCP connection; throws RSW_BAD_ARGUMENT naming host and port when nothing answers there. */
  static async connect(options: TerminalSessionOptions): Promise<TerminalSession> {
    const dialect = getDialect(options.dialect, (path) => readFileSync(path, 'utf8'));
    const socket = await new Promise<Socket>((resolve, reject) => {
      const { host, port, tls } = options;
      const candidate = tls === undefined ? connect({ host, port }) : connectTls({ ...tls, host, port });
      const timer = setTimeout(() => {
        candidate.destroy();
        reject(new ReswipeError('RSW_BAD_ARGUMENT', { field: 'port', reason: `no terminal listener answered at ${options.host}:${options.port} within ${options.connectTimeoutMs ?? 5_000} ms` }));
      }, options.connectTimeoutMs ?? 5_000);
      // Over TLS the session starts once the handshake has verified the gateway's certificate.
      candidate.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        candidate.setNoDelay(true);
        resolve(candidate);
      });
      candidate.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ReswipeError('RSW_BAD_ARGUMENT', { field: 'port', reason: `cannot connect to ${options.host}:${options.port} (${error.code ?? 'error'})` }));
      });
    });
    return new TerminalSession(socket, dialect, options);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  get terminalId(): string {
    return this.#options.terminalId;
  }

  get merchantId(): string {
    return this.#options.merchantId;
  }

  get dialectName(): string {
    return this.#dialect.name;
  }

  /** The next STAN, wrapping 999999 to 000001 like a terminal's counter. */
  nextStan(): string {
    const stan = String(this.#stan).padStart(6, '0');
    this.#stan = this.#stan >= stanMax ? 1 : this.#stan + 1;
    return stan;
  }

  /**
   * 0800 sign-on (DE 70 `001`, cups-pos DE 60.3 `003`: double-length keys); resolves with DE 39, or
   * null when no answer came. With a master key, an approved sign-on must carry working keys whose
   * check values match, else it resolves `A7` (security processing failed) and the session has no keys.
   */
  async signOn(): Promise<string | null> {
    const stan = this.nextStan();
    const nowMs = this.#nowMs();
    const fields: Record<number, IsoFieldValue> = { 7: transmissionTimeOf(nowMs), 11: stan, 41: this.#de41(), 42: this.#de42() };
    if (this.#isCups()) fields[60] = { '1': '00', '2': this.batchNo, '3': this.#options.masterKey === undefined ? '001' : '003' };
    else fields[70] = '001';
    this.#macKey = null;
    const answer = await this.#request({ mti: '0800', fields, ...this.#envelope() }, '08', stan);
    if (answer === null) return null;
    const de60 = answer.fields[60];
    if (typeof de60 === 'object' && !(de60 instanceof Uint8Array) && typeof de60['2'] === 'string' && /^[0-9]{6}$/.test(de60['2'])) this.batchNo = de60['2'];
    const code = getText(answer, 39) ?? null;
    const masterKey = this.#options.masterKey;
    if (code === '00' && masterKey !== undefined) {
      const block = answer.fields[62];
      const keys = block instanceof Uint8Array ? decodeWorkingKeyBlock(masterKey.algorithm, masterKey.tmk, '003', block) : null;
      if (keys === null || !keys.ok) return 'A7';
      this.#macKey = keys.keys.mac;
      keys.keys.pin.fill(0);
    }
    return code;
  }

  /** Whether this session MACs its requests (it signed on with working keys). */
  get hasWorkingKeys(): boolean {
    return this.#macKey !== null;
  }

  /** The check value of the MAC key downloaded at the latest sign-on (safe to show), or null. */
  get macKeyCheckValue(): string | null {
    const algorithm = this.#options.masterKey?.algorithm;
    return this.#macKey === null || algorithm === undefined ? null : keyCheckValue(algorithm, this.#macKey);
  }

  /** Builds a sale with a fresh STAN and DE 7, without sending it. */
  buildSale(input: SaleInput): SentSale {
    const atMs = this.#nowMs();
    const stan = this.nextStan();
    const transmittedAt = transmissionTimeOf(atMs);
    const local = localTimeOf(atMs);
    const fields: Record<number, IsoFieldValue> = {
      2: input.pan,
      3: '000000',
      4: String(input.amountMinor).padStart(12, '0'),
      7: transmittedAt,
      11: stan,
      12: local.hhmmss,
      13: local.mmdd,
      14: input.expiry ?? '3012',
      22: posEntryModeOf(input.entry),
      25: '00',
      41: this.#de41(),
      42: this.#de42(),
      49: input.currencyNumeric ?? '156',
    };
    if (this.#isCups()) fields[60] = { '1': '22', '2': this.batchNo, '3': '000' };
    else if (input.cvv !== undefined) fields[48] = `CVV2=${input.cvv}`;
    if (input.entry === 'qr') {
      // A scanned code: UnionPay QR in DE 2 as on the host link, WeChat Pay and Alipay in DE 48 (cups-pos: the digits; iso87-ascii: tag QRC=).
      delete fields[14];
      if (!/^62[0-9]{17}$/.test(input.pan)) {
        delete fields[2];
        fields[48] = this.#isCups() ? input.pan : `QRC=${input.pan}`;
      }
    }
    return { message: { mti: '0200', fields, ...this.#envelope() }, stan, transmittedAt, input, atMs };
  }

  /** Sends a sale (new, or a resend of an earlier SentSale) and waits for its answer; with none, sends the terminal's 0400. */
  async sale(sent: SentSale): Promise<SaleAnswer> {
    const startedMs = this.#nowMs();
    const answer = await this.#request(sent.message, '02', sent.stan);
    const latencyMs = Math.max(0, this.#nowMs() - startedMs);
    if (answer === null) {
      const reversalCode = this.#closed ? null : await this.#reverse(sent);
      return { kind: 'no_answer', responseCode: null, verdict: null, waitSeconds: null, cashierMessage: null, authCode: null, rrn: null, reversalCode, latencyMs, sent };
    }
    const { verdict, waitSeconds } = parseVerdict(getText(answer, 44));
    const responseCode = getText(answer, 39) ?? null;
    return {
      kind: 'answered',
      responseCode,
      verdict,
      waitSeconds,
      cashierMessage: getText(answer, 63) ?? null,
      authCode: responseCode === '00' ? (getText(answer, 38)?.trim() || null) : null,
      rrn: getText(answer, 37)?.trim() || null,
      reversalCode: null,
      latencyMs,
      sent,
    };
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  /** The terminal's own 0400 for a sale that got no answer (reason 98), naming the original in DE 90. */
  async #reverse(sent: SentSale): Promise<string | null> {
    const stan = this.nextStan();
    const de90 = `0200${sent.stan}${sent.transmittedAt}${'0'.repeat(22)}`;
    const fields: Record<number, IsoFieldValue> = {
      3: '000000',
      4: String(sent.input.amountMinor).padStart(12, '0'),
      7: transmissionTimeOf(this.#nowMs()),
      11: stan,
      39: '98',
      41: this.#de41(),
      42: this.#de42(),
      49: sent.input.currencyNumeric ?? '156',
      90: de90,
    };
    const answer = await this.#request({ mti: '0400', fields, ...this.#envelope() }, '04', stan);
    return answer === null ? null : (getText(answer, 39) ?? null);
  }

  #request(message: IsoMessage, classPrefix: string, stan: string): Promise<IsoMessage | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#waiters.length >= waitersMax) throw new Error('broken invariant: a terminal session has too many requests waiting');
    const answer = new Promise<IsoMessage | null>((resolve) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        resolve(null);
      }, this.#options.answerTimeoutMs);
      const waiter = {
        match: (candidate: IsoMessage) => candidate.mti.startsWith(classPrefix) && candidate.mti !== message.mti && getText(candidate, 11) === stan,
        resolve: (value: IsoMessage | null) => {
          clearTimeout(timer);
          resolve(value);
        },
      };
      this.#waiters.push(waiter);
    });
    const macKey = this.#macKey;
    const masterKey = this.#options.masterKey;
    const bytes = macKey !== null && masterKey !== undefined && isMacCheckedMti(message.mti) ? packWithMac(this.#dialect, message, masterKey.algorithm, macKey) : packMessage(this.#dialect, message);
    this.#socket.write(encodeFrame(this.#options.framing, bytes));
    return answer;
  }

  /**
   * With working keys, an answer to a MACed request that approves (DE 39 00) must carry a good MAC; a
   * refusal may come without one (the host refuses before it trusts the request, e.g. A0), but a MAC
   * that is present must be right.
   */
  #answerMacAcceptable(message: IsoMessage, frame: Uint8Array): boolean {
    const macKey = this.#macKey;
    const masterKey = this.#options.masterKey;
    if (macKey === null || masterKey === undefined || !isMacSignedAnswerMti(message.mti)) return true;
    const check = checkMessageMac(this.#dialect, frame, message, masterKey.algorithm, macKey);
    if (check === 'ok') return true;
    return check === 'missing' && getText(message, 39) !== '00';
  }

  #isCups(): boolean {
    return this.#dialect.name === 'cups-pos';
  }

  #envelope(): Pick<IsoMessage, 'tpdu' | 'header'> {
    return this.#isCups() ? { tpdu: Uint8Array.from([0x60, 0x00, 0x03, 0x00, 0x00]), header: '603100000000' } : {};
  }

  #de41(): string {
    return this.#options.terminalId.padEnd(8, ' ').slice(0, 8);
  }

  #de42(): string {
    return this.#options.merchantId.padEnd(15, ' ').slice(0, 15);
  }
}
