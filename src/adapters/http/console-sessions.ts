// Console sessions (docs/console-access.md): a login checks the password (scrypt, always run, so an
// unknown user answers like a wrong password and about as slowly), refuses after five failures per
// user name or client address in 15 minutes (counted in the store, so the count holds across restarts
// and nodes), and opens a session: a random 256-bit id in an HttpOnly, SameSite=Strict cookie, of which
// the store keeps only the SHA-256, and a CSRF token that every state-changing request sends back.
// Each request checks the session's idle timeout and absolute lifetime and reads its user again, so a
// disabled user or a changed role takes effect on the next request.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store, StoreTx } from '../../core/ports/store.ts';
import type { ConsoleSessionRecord, ConsoleUserRecord } from '../../core/ports/console-access-store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { loginThrottleOf, loginThrottleRule, sessionStateAt } from '../../core/access/console-user-rules.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';
import { randomBase62 } from './random-base62.ts';

export const sessionCookieName = 'reswipe_session';
export const csrfHeaderName = 'x-csrf-token';
/** The idle clock moves at most this often per session: one write a minute, not one per request. */
export const sessionTouchIntervalMs = 60_000;
/** Longest cookie header looked at. */
const cookieHeaderCharsMax = 8192;
/** Failed logins kept per check, and deleted per prune. */
const failurePruneRowsMax = 1000;

export interface ConsoleSessionSettings {
  idleMs: number;
  lifetimeMs: number;
}

export interface OpenedSession {
  /** The cookie value: shown to the browser once, never stored. */
  sessionId: string;
  session: ConsoleSessionRecord;
  user: ConsoleUserRecord;
}

export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('hex');
}

/** The value of one cookie in a Cookie header, or null. */
export function cookieValueOf(header: string | undefined, name: string): string | null {
  if (header === undefined || header.length > cookieHeaderCharsMax) return null;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return null;
}

/** The Set-Cookie value of a new session; Secure when the listener speaks TLS. */
export function sessionCookie(sessionId: string, secure: boolean): string {
  return `${sessionCookieName}=${sessionId}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** True when the header carries exactly the session's token (compared in constant time). */
export function csrfTokenMatches(sent: string, expected: string): boolean {
  const a = Buffer.from(sent, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

const sessionIdPattern = /^[A-Za-z0-9_-]{43}$/;

export class ConsoleSessions {
  readonly #store: Store;
  readonly #nowMs: () => number;
  readonly #settings: ConsoleSessionSettings;
  readonly #logger: LoggerLike;

  constructor(options: { store: Store; nowMs: () => number; settings: ConsoleSessionSettings; logger: LoggerLike }) {
    this.#store = options.store;
    this.#nowMs = options.nowMs;
    this.#settings = options.settings;
    this.#logger = options.logger;
  }

  get settings(): ConsoleSessionSettings {
    return this.#settings;
  }

  /**
   * Checks a login and opens a session, or throws RSW_LOGIN_THROTTLED (password not checked) or
   * RSW_LOGIN_FAILED (unknown user, disabled user or wrong password alike; the failure is recorded).
   * `audit` writes the login's audit record in the unit that opens the session.
   */
  async logIn(userName: string, password: string, clientAddress: string, audit: (tx: StoreTx, outcome: 'login' | 'login_failed', user: ConsoleUserRecord | null) => Promise<void>): Promise<OpenedSession> {
    const nowMs = this.#nowMs();
    const failures = await this.#store.recentLoginFailures({ userName, clientAddress, sinceMs: nowMs - loginThrottleRule.windowMs, limit: loginThrottleRule.failuresMax });
    const throttle = loginThrottleOf(failures.byUserMs, failures.byAddressMs, nowMs);
    // A throttled try is not audited: nothing was checked, and a flood of them must not grow the append-only log.
    if (throttle.throttled) {
      throw new ReswipeError('RSW_LOGIN_THROTTLED', { retryAfterS: throttle.retryAfterS });
    }
    const user = await this.#store.getConsoleUser(userName);
    const verdict = await verifyPassword(password, user?.passwordHash ?? null);
    if (user === null || user.disabled || !verdict.matches) {
      await this.#store.write(async (tx) => {
        await tx.insertLoginFailure({ id: `lf_${randomBase62(20)}`, userName, clientAddress, atMs: nowMs });
        await tx.deleteLoginFailuresBefore(nowMs - loginThrottleRule.windowMs, failurePruneRowsMax);
        await audit(tx, 'login_failed', null);
      });
      throw new ReswipeError('RSW_LOGIN_FAILED');
    }
    // Parameters raised since this hash was made: the password is at hand now, so hash it anew.
    const passwordHash = verdict.needsRehash ? await hashPassword(password) : user.passwordHash;
    const sessionId = randomBytes(32).toString('base64url');
    const session: ConsoleSessionRecord = {
      idHash: hashSessionId(sessionId),
      userName: user.name,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAtMs: nowMs,
      lastSeenAtMs: nowMs,
      expiresAtMs: nowMs + this.#settings.lifetimeMs,
      clientAddress,
    };
    await this.#store.write(async (tx) => {
      await tx.insertConsoleSession(session);
      await tx.clearLoginFailuresOf(user.name);
      if (passwordHash !== user.passwordHash) await tx.updateConsoleUser({ ...user, passwordHash });
      await tx.deleteEndedConsoleSessions(nowMs, failurePruneRowsMax);
      await audit(tx, 'login', user);
    });
    return { sessionId, session, user };
  }

  /**
   * The live session and its user for a cookie value, or throws RSW_SESSION_MISSING (unknown, logged out,
   * user gone or disabled) or RSW_SESSION_EXPIRED (idle or past its lifetime; the row is deleted).
   */
  async authenticate(sessionId: string): Promise<{ session: ConsoleSessionRecord; user: ConsoleUserRecord }> {
    if (!sessionIdPattern.test(sessionId)) throw new ReswipeError('RSW_SESSION_MISSING');
    const idHash = hashSessionId(sessionId);
    const session = await this.#store.findConsoleSession(idHash);
    if (session === null) throw new ReswipeError('RSW_SESSION_MISSING');
    const nowMs = this.#nowMs();
    const state = sessionStateAt(session, nowMs, this.#settings.idleMs);
    if (state !== 'alive') {
      await this.#store.write((tx) => tx.deleteConsoleSession(idHash)).catch((error: unknown) => this.#logger.warn({ error: String(error) }, 'ended console session could not be deleted'));
      throw new ReswipeError('RSW_SESSION_EXPIRED', { reason: state === 'idle' ? 'idle timeout' : 'lifetime over' });
    }
    const user = await this.#store.getConsoleUser(session.userName);
    if (user === null || user.disabled) throw new ReswipeError('RSW_SESSION_MISSING');
    if (nowMs - session.lastSeenAtMs >= sessionTouchIntervalMs) {
      await this.#store.write((tx) => tx.touchConsoleSession(idHash, nowMs));
    }
    return { session, user };
  }

  async logOut(idHash: string): Promise<void> {
    await this.#store.write((tx) => tx.deleteConsoleSession(idHash));
  }
}
