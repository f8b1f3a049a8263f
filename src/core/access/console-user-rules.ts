// The rules of console users and sessions (docs/console-access.md), pure: names, password strength,
// a role's merchant binding, whether a session is still alive, and login throttling. Time is an input.
import { merchantBindingOf, type Role } from './permissions.ts';

export const userNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const userNameCharsMax = 64;
export const passwordCharsMin = 12;
/** A longer password is refused before it is hashed: scrypt's cost should not be the caller's to choose. */
export const passwordCharsMax = 128;
/** A password at least this long needs no mix of character classes (a passphrase). */
export const passphraseCharsMin = 20;
export const usersMax = 10_000;

/** Why a user name is refused, or null: 1 to 64 of a-z 0-9 . _ - starting with a letter or digit. */
export function userNameProblem(name: string): string | null {
  return userNamePattern.test(name) ? null : 'must be 1 to 64 characters a-z, 0-9, ".", "_" or "-", starting with a letter or digit';
}

/**
 * Why a new password is refused, or null. At least 12 characters, at most 128; shorter than 20 it mixes
 * at least three of lower case, upper case, digits and other characters; it never contains the user
 * name, and it is not one character repeated.
 */
export function passwordProblem(password: string, userName: string): string | null {
  const chars = [...password];
  if (chars.length < passwordCharsMin) return `must be at least ${passwordCharsMin} characters`;
  if (chars.length > passwordCharsMax) return `must be at most ${passwordCharsMax} characters`;
  if (new Set(chars).size === 1) return 'must not be one character repeated';
  if (userName.length >= 3 && password.toLowerCase().includes(userName.toLowerCase())) return 'must not contain the user name';
  if (chars.length >= passphraseCharsMin) return null;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((pattern) => pattern.test(password)).length;
  if (classes < 3) return `shorter than ${passphraseCharsMin} characters, must mix at least three of: lower case, upper case, digits, other characters`;
  return null;
}

/** Why a role's merchant list is refused, or null (admin, operator and auditor have none; cashier one; merchant one or more). */
export function merchantBindingProblem(role: Role, merchantIds: readonly string[]): string | null {
  const { min, max } = merchantBindingOf(role);
  if (new Set(merchantIds).size !== merchantIds.length) return 'a merchant is named twice';
  if (max === 0 && merchantIds.length > 0) return `the ${role} role sees every merchant; give no merchant`;
  if (merchantIds.length < min) return `the ${role} role is bound to ${max === 1 ? 'one merchant' : 'at least one merchant'} (--merchant <id>)`;
  if (merchantIds.length > max) return max === 1 ? `the ${role} role is bound to exactly one merchant` : `at most ${max} merchants`;
  return null;
}

export interface SessionTimes {
  createdAtMs: number;
  lastSeenAtMs: number;
  /** The absolute end: login + console.sessionMaxHours. */
  expiresAtMs: number;
}

/** Alive, or why not: unused longer than the idle timeout, or past its absolute lifetime. */
export function sessionStateAt(session: SessionTimes, nowMs: number, idleMs: number): 'alive' | 'idle' | 'expired' {
  if (nowMs >= session.expiresAtMs) return 'expired';
  if (nowMs - session.lastSeenAtMs >= idleMs) return 'idle';
  return 'alive';
}

export interface LoginThrottleRule {
  failuresMax: number;
  windowMs: number;
}

export const loginThrottleRule: LoginThrottleRule = Object.freeze({ failuresMax: 5, windowMs: 15 * 60_000 });

/**
 * Whether a login is refused before its password is even checked: `failuresMax` failures for the user
 * name, or from the client address, within the window. Failure times come newest first; the refusal
 * lasts until enough of them age out of the window (retryAfterS, at least 1).
 */
export function loginThrottleOf(failuresByUserMs: readonly number[], failuresByAddressMs: readonly number[], nowMs: number, rule: LoginThrottleRule = loginThrottleRule): { throttled: false } | { throttled: true; retryAfterS: number } {
  let releaseAtMs = -Infinity;
  for (const times of [failuresByUserMs, failuresByAddressMs]) {
    const recent = times.filter((atMs) => atMs > nowMs - rule.windowMs);
    const oldestCounted = recent[rule.failuresMax - 1];
    if (oldestCounted !== undefined) releaseAtMs = Math.max(releaseAtMs, oldestCounted + rule.windowMs);
  }
  if (releaseAtMs === -Infinity) return { throttled: false };
  return { throttled: true, retryAfterS: Math.max(1, Math.ceil((releaseAtMs - nowMs) / 1000)) };
}
