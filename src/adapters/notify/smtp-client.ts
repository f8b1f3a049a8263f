// A minimal SMTP client (RFC 5321) for alert mail: EHLO, STARTTLS (RFC 3207) or implicit TLS, AUTH
// PLAIN (RFC 4954), one MAIL FROM, RCPT TO per recipient, DATA with dot-stuffing, QUIT. Written over
// node:net and node:tls because no mail library is a dependency (docs/decisions/smtp-client.md); every
// step has a timeout and every reply line a length bound. Plain text only, UTF-8, headers encoded
// per RFC 2047 when they are not ASCII.
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly security: 'starttls' | 'tls' | 'none';
  readonly username?: string;
  readonly password?: string;
  readonly from: string;
  readonly timeoutMs: number;
  /** Extra TLS options (a test CA); the system CAs by default. */
  readonly tls?: { ca?: string | Buffer; servername?: string };
}

export interface MailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** Sent as a Message-ID-like header so receivers can de-duplicate a mail sent twice. */
  readonly id: string;
}

export interface SmtpResult {
  readonly ok: boolean;
  /** The last reply code, or null when none came. */
  readonly code: number | null;
  readonly error: string | null;
}

const replyLineCharsMax = 2048;
const replyLinesMax = 64;

class SmtpSession {
  #socket: Socket | TLSSocket;
  #buffer = '';
  #waiting: ((line: string | Error) => void) | null = null;
  #lines: string[] = [];
  #failure: Error | null = null;

  constructor(socket: Socket | TLSSocket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  #attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      if (this.#buffer.length > replyLineCharsMax * replyLinesMax) this.#fail(new Error('the server sent too much'));
      let index: number;
      while ((index = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, index).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(index + 1);
        this.#lines.push(line.slice(0, replyLineCharsMax));
        this.#wake();
      }
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('the server closed the connection')));
  }

  #fail(error: Error): void {
    if (this.#failure === null) this.#failure = error;
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    if (waiting === null) return;
    const line = this.#lines.shift();
    if (line !== undefined) {
      this.#waiting = null;
      waiting(line);
    } else if (this.#failure !== null) {
      this.#waiting = null;
      waiting(this.#failure);
    }
  }

  #nextLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#waiting = (line) => (line instanceof Error ? reject(line) : resolve(line));
      this.#wake();
    });
  }

  /** Reads one (possibly multi-line) reply: `250-...` lines then `250 ...`. */
  async reply(): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    for (let i = 0; i < replyLinesMax; i += 1) {
      const line = await this.#nextLine();
      if (!/^[0-9]{3}[ -]/.test(line) && !/^[0-9]{3}$/.test(line)) throw new Error('the server sent a malformed reply');
      lines.push(line.slice(4));
      if (line[3] !== '-') return { code: Number(line.slice(0, 3)), lines };
    }
    throw new Error('the server sent too long a reply');
  }

  async command(text: string, expected: readonly number[]): Promise<{ code: number; lines: string[] }> {
    this.#socket.write(`${text}\r\n`);
    const answer = await this.reply();
    if (!expected.includes(answer.code)) throw new SmtpRefusal(answer.code, `${text.split(' ')[0] ?? ''} refused: ${answer.code} ${answer.lines.join(' ').slice(0, 200)}`);
    return answer;
  }

  write(text: string): void {
    this.#socket.write(text);
  }

  /** Upgrades the connection in place after STARTTLS was accepted. */
  async startTls(host: string, tls: SmtpSettings['tls']): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = connectTls({ socket: plain, servername: tls?.servername ?? host, ...(tls?.ca === undefined ? {} : { ca: tls.ca }) });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.#socket = secure;
    this.#buffer = '';
    this.#lines = [];
    this.#attach(secure);
  }

  close(): void {
    this.#socket.destroy();
  }
}

class SmtpRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function encodeHeader(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

function assertAddress(address: string): string {
  if (!/^[^@\s<>]+@[^@\s<>]+$/.test(address)) throw new Error('not an e-mail address');
  return address;
}

/** The message as sent after DATA: headers, a blank line, the body in base64 (UTF-8 safe), dot-stuffed, ending in `.`. */
export function mailData(settings: Pick<SmtpSettings, 'from'>, message: MailMessage, dateText: string): string {
  const body = Buffer.from(message.text, 'utf8').toString('base64').replace(/.{1,76}/g, '$&\r\n');
  const headers = [
    `From: ${assertAddress(settings.from)}`,
    `To: ${message.to.map(assertAddress).join(', ')}`,
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${dateText}`,
    `Message-ID: <${message.id.replace(/[^A-Za-z0-9._:-]/g, '')}.${randomBytes(4).toString('hex')}@reswipe>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ];
  // Dot-stuffing: a line starting with "." gets another (base64 never starts one, headers might not either; kept for safety).
  const text = `${headers.join('\r\n')}\r\n\r\n${body}`.replace(/^\./gm, '..');
  return `${text}\r\n.\r\n`;
}

/** Sends one mail; never throws: failures are data (the outbox retries them). */
export async function sendMail(settings: SmtpSettings, message: MailMessage): Promise<SmtpResult> {
  let session: SmtpSession | null = null;
  const timer = setTimeout(() => session?.close(), settings.timeoutMs);
  try {
    const socket = await openSocket(settings);
    session = new SmtpSession(socket);
    const greeting = await session.reply();
    if (greeting.code !== 220) throw new SmtpRefusal(greeting.code, `greeting refused: ${greeting.code}`);
    let hello = await session.command('EHLO reswipe', [250]);
    if (settings.security === 'starttls') {
      if (!hello.lines.some((line) => /^STARTTLS\b/i.test(line))) throw new Error('the server does not offer STARTTLS');
      await session.command('STARTTLS', [220]);
      await session.startTls(settings.host, settings.tls);
      hello = await session.command('EHLO reswipe', [250]);
    }
    if (settings.username !== undefined) {
      const token = Buffer.from(`\u0000${settings.username}\u0000${settings.password ?? ''}`, 'utf8').toString('base64');
      await session.command(`AUTH PLAIN ${token}`, [235]);
    }
    await session.command(`MAIL FROM:<${assertAddress(settings.from)}>`, [250]);
    for (const to of message.to) await session.command(`RCPT TO:<${assertAddress(to)}>`, [250, 251]);
    await session.command('DATA', [354]);
    session.write(mailData(settings, message, new Date().toUTCString()));
    const accepted = await session.reply();
    if (accepted.code !== 250) throw new SmtpRefusal(accepted.code, `message refused: ${accepted.code}`);
    await session.command('QUIT', [221]).catch(() => undefined);
    return { ok: true, code: 250, error: null };
  } catch (error) {
    const code = error instanceof SmtpRefusal ? error.code : null;
    return { ok: false, code, error: (error instanceof Error ? error.message : 'mail failed').slice(0, 200) };
  } finally {
    clearTimeout(timer);
    session?.close();
  }
}

function openSocket(settings: SmtpSettings): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket =
      settings.security === 'tls'
        ? connectTls({ host: settings.host, port: settings.port, servername: settings.tls?.servername ?? settings.host, ...(settings.tls?.ca === undefined ? {} : { ca: settings.tls.ca }) }, () => resolve(socket))
        : connectTcp({ host: settings.host, port: settings.port }, () => resolve(socket));
    socket.setTimeout(settings.timeoutMs, () => socket.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)));
    socket.once('error', reject);
  });
}
