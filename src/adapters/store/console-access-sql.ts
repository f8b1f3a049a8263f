// The console's users, sessions and failed logins (migration 0019, src/core/ports/console-access-store.ts),
// written once for both databases and mixed into SqlStoreReader and SqlStoreTx like notification-sql.ts.
import type { ConsoleAccessStoreReader, ConsoleAccessStoreTx, ConsoleSessionRecord, ConsoleUserRecord, LoginFailureRecord } from '../../core/ports/console-access-store.ts';
import { isRole, type Role } from '../../core/access/permissions.ts';
import { usersMax } from '../../core/access/console-user-rules.ts';
import type { SqlExecutor } from './sql-executor.ts';
import { insertSql, integerValue as integer, readInteger, readText, readTextOrNull, type TableMapping } from './store-rows.ts';
import { selectOne } from './notification-sql.ts';

function readRole(value: unknown): Role {
  const role = readText(value, 'role');
  if (!isRole(role)) throw new Error('broken invariant: console_users.role is not a known role');
  return role;
}
function readMerchantIds(value: unknown): string[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === 'string')) throw new Error('broken invariant: console_users.merchant_ids is not a list of ids');
  return parsed;
}

export const consoleUserRows: TableMapping<ConsoleUserRecord> = {
  table: 'console_users',
  columns: ['name', 'role', 'merchant_ids', 'password_hash', 'disabled', 'created_at_ms', 'updated_at_ms', 'password_changed_at_ms'],
  keyColumns: ['name'],
  toValues: (u) => [u.name, u.role, JSON.stringify([...u.merchantIds]), u.passwordHash, u.disabled ? 1 : 0, integer(u.createdAtMs, 'createdAtMs'), integer(u.updatedAtMs, 'updatedAtMs'), integer(u.passwordChangedAtMs, 'passwordChangedAtMs')],
  fromRow: (r) => ({
    name: readText(r.name, 'name'),
    role: readRole(r.role),
    merchantIds: readMerchantIds(r.merchant_ids),
    passwordHash: readText(r.password_hash, 'password_hash'),
    disabled: readInteger(r.disabled, 'disabled') === 1,
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    updatedAtMs: readInteger(r.updated_at_ms, 'updated_at_ms'),
    passwordChangedAtMs: readInteger(r.password_changed_at_ms, 'password_changed_at_ms'),
  }),
};

export const consoleSessionRows: TableMapping<ConsoleSessionRecord> = {
  table: 'console_sessions',
  columns: ['id_hash', 'user_name', 'csrf_token', 'created_at_ms', 'last_seen_at_ms', 'expires_at_ms', 'client_address'],
  keyColumns: ['id_hash'],
  toValues: (s) => [s.idHash, s.userName, s.csrfToken, integer(s.createdAtMs, 'createdAtMs'), integer(s.lastSeenAtMs, 'lastSeenAtMs'), integer(s.expiresAtMs, 'expiresAtMs'), s.clientAddress],
  fromRow: (r) => ({
    idHash: readText(r.id_hash, 'id_hash'),
    userName: readText(r.user_name, 'user_name'),
    csrfToken: readText(r.csrf_token, 'csrf_token'),
    createdAtMs: readInteger(r.created_at_ms, 'created_at_ms'),
    lastSeenAtMs: readInteger(r.last_seen_at_ms, 'last_seen_at_ms'),
    expiresAtMs: readInteger(r.expires_at_ms, 'expires_at_ms'),
    clientAddress: readTextOrNull(r.client_address, 'client_address'),
  }),
};

export const loginFailureRows: TableMapping<LoginFailureRecord> = {
  table: 'login_failures',
  columns: ['id', 'user_name', 'client_address', 'at_ms'],
  keyColumns: ['id'],
  toValues: (f) => [f.id, f.userName, f.clientAddress, integer(f.atMs, 'atMs')],
  fromRow: (r) => ({ id: readText(r.id, 'id'), userName: readText(r.user_name, 'user_name'), clientAddress: readText(r.client_address, 'client_address'), atMs: readInteger(r.at_ms, 'at_ms') }),
};

type WithDb = { readonly db: SqlExecutor };

/** Deletes are bounded like every other bulk change of the store. */
const deleteRowsMax = 10_000;
function boundedLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > deleteRowsMax) throw new Error(`limit must be 1..${deleteRowsMax}, not ${limit}`);
  return limit;
}

async function failureTimes(db: SqlExecutor, column: 'user_name' | 'client_address', value: string, sinceMs: number, limit: number): Promise<number[]> {
  const rows = await db.all(`SELECT at_ms FROM login_failures WHERE ${column} = ? AND at_ms > ? ORDER BY at_ms DESC LIMIT ${boundedLimit(limit)}`, [value, integer(sinceMs, 'sinceMs')]);
  return rows.map((row) => readInteger(row.at_ms, 'at_ms'));
}

/** The reads, mixed into SqlStoreReader. */
export const consoleAccessReaderMethods: { [K in keyof ConsoleAccessStoreReader]: (this: WithDb, ...args: Parameters<ConsoleAccessStoreReader[K]>) => ReturnType<ConsoleAccessStoreReader[K]> } = {
  getConsoleUser(name) {
    return selectOne(this.db, consoleUserRows, 'name = ?', [name]);
  },
  async listConsoleUsers() {
    const rows = await this.db.all(`SELECT ${consoleUserRows.columns.join(', ')} FROM console_users ORDER BY name LIMIT ${usersMax}`, []);
    return rows.map((row) => consoleUserRows.fromRow(row));
  },
  findConsoleSession(idHash) {
    return selectOne(this.db, consoleSessionRows, 'id_hash = ?', [idHash]);
  },
  async recentLoginFailures(query) {
    return {
      byUserMs: await failureTimes(this.db, 'user_name', query.userName, query.sinceMs, query.limit),
      byAddressMs: await failureTimes(this.db, 'client_address', query.clientAddress, query.sinceMs, query.limit),
    };
  },
};

/** The writes, mixed into SqlStoreTx. */
export const consoleAccessTxMethods: { [K in keyof ConsoleAccessStoreTx]: (this: WithDb, ...args: Parameters<ConsoleAccessStoreTx[K]>) => ReturnType<ConsoleAccessStoreTx[K]> } = {
  async insertConsoleUser(user) {
    await this.db.run(insertSql(consoleUserRows), consoleUserRows.toValues(user));
  },
  async updateConsoleUser(user) {
    const changed = await this.db.run('UPDATE console_users SET role = ?, merchant_ids = ?, password_hash = ?, disabled = ?, updated_at_ms = ?, password_changed_at_ms = ? WHERE name = ?', [
      user.role,
      JSON.stringify([...user.merchantIds]),
      user.passwordHash,
      user.disabled ? 1 : 0,
      integer(user.updatedAtMs, 'updatedAtMs'),
      integer(user.passwordChangedAtMs, 'passwordChangedAtMs'),
      user.name,
    ]);
    return changed > 0;
  },
  async insertConsoleSession(session) {
    await this.db.run(insertSql(consoleSessionRows), consoleSessionRows.toValues(session));
  },
  async touchConsoleSession(idHash, atMs) {
    const at = integer(atMs, 'atMs');
    await this.db.run('UPDATE console_sessions SET last_seen_at_ms = ? WHERE id_hash = ? AND last_seen_at_ms < ?', [at, idHash, at]);
  },
  async deleteConsoleSession(idHash) {
    return (await this.db.run('DELETE FROM console_sessions WHERE id_hash = ?', [idHash])) > 0;
  },
  deleteConsoleSessionsOf(userName, exceptIdHash) {
    return exceptIdHash === undefined
      ? this.db.run('DELETE FROM console_sessions WHERE user_name = ?', [userName])
      : this.db.run('DELETE FROM console_sessions WHERE user_name = ? AND id_hash <> ?', [userName, exceptIdHash]);
  },
  deleteEndedConsoleSessions(beforeMs, limit) {
    return this.db.run(`DELETE FROM console_sessions WHERE id_hash IN (SELECT id_hash FROM console_sessions WHERE expires_at_ms <= ? LIMIT ${boundedLimit(limit)})`, [integer(beforeMs, 'beforeMs')]);
  },
  async insertLoginFailure(failure) {
    await this.db.run(insertSql(loginFailureRows), loginFailureRows.toValues(failure));
  },
  async clearLoginFailuresOf(userName) {
    await this.db.run('DELETE FROM login_failures WHERE user_name = ?', [userName]);
  },
  deleteLoginFailuresBefore(beforeMs, limit) {
    return this.db.run(`DELETE FROM login_failures WHERE id IN (SELECT id FROM login_failures WHERE at_ms < ? LIMIT ${boundedLimit(limit)})`, [integer(beforeMs, 'beforeMs')]);
  },
};
