// The console's users, sessions and failed logins in the store (migration 0019, docs/console-access.md).
// Passwords are kept only as scrypt hashes with their parameters; sessions only as the SHA-256 of their
// random id; failed logins without the password tried. Failed logins live in the store, not in memory,
// so throttling holds across restarts and every node of a cluster.
import type { Role } from '../access/permissions.ts';

export interface ConsoleUserRecord {
  name: string;
  role: Role;
  /** The merchants a merchant or cashier user sees (sorted); empty for the other roles. */
  merchantIds: readonly string[];
  /** `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`: the parameters travel with the hash so they can be raised later. */
  passwordHash: string;
  disabled: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  passwordChangedAtMs: number;
}

export interface ConsoleSessionRecord {
  /** Hex SHA-256 of the session id the cookie carries; the id itself is never stored. */
  idHash: string;
  userName: string;
  /** Sent back as X-CSRF-Token on every state-changing request. */
  csrfToken: string;
  createdAtMs: number;
  /** Moved forward by requests (at most once a minute), for the idle timeout. */
  lastSeenAtMs: number;
  /** The absolute end of the session. */
  expiresAtMs: number;
  clientAddress: string | null;
}

export interface LoginFailureRecord {
  id: string;
  userName: string;
  clientAddress: string;
  atMs: number;
}

export interface ConsoleAccessStoreReader {
  getConsoleUser(name: string): Promise<ConsoleUserRecord | null>;
  /** Every user by name (bounded). */
  listConsoleUsers(): Promise<ConsoleUserRecord[]>;
  findConsoleSession(idHash: string): Promise<ConsoleSessionRecord | null>;
  /** Failure times (newest first, at most `limit` each) after `sinceMs`, for the user name and for the client address. */
  recentLoginFailures(query: { userName: string; clientAddress: string; sinceMs: number; limit: number }): Promise<{ byUserMs: number[]; byAddressMs: number[] }>;
}

export interface ConsoleAccessStoreTx {
  /** A second user of the same name throws RSW_STORE_CONFLICT. */
  insertConsoleUser(user: ConsoleUserRecord): Promise<void>;
  /** Writes every field but the name and createdAtMs; false when there is no such user. */
  updateConsoleUser(user: ConsoleUserRecord): Promise<boolean>;
  insertConsoleSession(session: ConsoleSessionRecord): Promise<void>;
  /** Moves lastSeenAtMs forward (never back). */
  touchConsoleSession(idHash: string, atMs: number): Promise<void>;
  deleteConsoleSession(idHash: string): Promise<boolean>;
  /** Ends a user's sessions, all or all but one; returns how many. */
  deleteConsoleSessionsOf(userName: string, exceptIdHash?: string): Promise<number>;
  /** Removes sessions past their absolute end (bounded); returns how many. */
  deleteEndedConsoleSessions(beforeMs: number, limit: number): Promise<number>;
  insertLoginFailure(failure: LoginFailureRecord): Promise<void>;
  /** Forgets a user name's failures (after a successful login or a password reset). */
  clearLoginFailuresOf(userName: string): Promise<void>;
  /** Removes failures older than `beforeMs` (bounded); returns how many. */
  deleteLoginFailuresBefore(beforeMs: number, limit: number): Promise<number>;
}
