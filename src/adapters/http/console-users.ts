// Console users (docs/console-access.md): create (with a generated password shown once), change role,
// merchants or disabled, reset a password, change one's own. `reswipe users` and the /v1/users routes
// both call these, so the rules and the audit records are the same from either side. Every change is
// written with its audit record in one unit; disabling a user or resetting a password ends the user's
// sessions in that unit, and changing one's own password ends the user's other sessions.
import type { Store, StoreTx } from '../../core/ports/store.ts';
import type { ConsoleUserRecord } from '../../core/ports/console-access-store.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import { merchantBindingProblem, passwordProblem, userNameProblem, usersMax, loginThrottleOf, loginThrottleRule } from '../../core/access/console-user-rules.ts';
import { isRole, roles, type Role } from '../../core/access/permissions.ts';
import { generatePassword, hashPassword, verifyPassword } from './password-hash.ts';
import { randomBase62 } from './random-base62.ts';

/** Writes the audit record of a change inside its unit: action, subject (the user name), detail. */
export type UserAudit = (tx: StoreTx, action: string, subjectId: string, detail: Record<string, unknown>) => Promise<void>;
/** Builds the error for a refused input: the CLI names a flag (RSW_BAD_ARGUMENT), HTTP a field (RSW_HTTP_VALIDATION). */
export type InvalidInput = (field: string, reason: string) => Error;

export const httpInvalidInput: InvalidInput = (field, reason) => new ReswipeError('RSW_HTTP_VALIDATION', { field, reason });

export interface ConsoleUserView {
  name: string;
  role: Role;
  merchantIds: string[];
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
}

export function consoleUserView(user: ConsoleUserRecord): ConsoleUserView {
  return {
    name: user.name,
    role: user.role,
    merchantIds: [...user.merchantIds],
    disabled: user.disabled,
    createdAt: new Date(user.createdAtMs).toISOString(),
    updatedAt: new Date(user.updatedAtMs).toISOString(),
    passwordChangedAt: new Date(user.passwordChangedAtMs).toISOString(),
  };
}

async function checkRoleAndMerchants(tx: StoreTx, role: string, merchantIds: readonly string[], invalid: InvalidInput, fields: { role: string; merchants: string }): Promise<Role> {
  if (!isRole(role)) throw invalid(fields.role, `must be one of ${roles.join(', ')}`);
  const problem = merchantBindingProblem(role, merchantIds);
  if (problem !== null) throw invalid(fields.merchants, problem);
  for (const merchantId of merchantIds) {
    if ((await tx.getMerchant(merchantId)) === null) throw invalid(fields.merchants, `no merchant ${merchantId} in the store`);
  }
  return role;
}

export interface NewConsoleUser {
  name: string;
  role: string;
  merchantIds: readonly string[];
}

/** Creates a user with a generated password; returns the password (show it once, it is not stored). */
export async function createConsoleUser(
  store: Store,
  input: NewConsoleUser,
  nowMs: number,
  audit: UserAudit,
  invalid: InvalidInput,
  fields = { name: 'name', role: 'role', merchants: 'merchantIds' },
): Promise<{ user: ConsoleUserRecord; password: string }> {
  const nameProblem = userNameProblem(input.name);
  if (nameProblem !== null) throw invalid(fields.name, nameProblem);
  const merchantIds = [...input.merchantIds].sort();
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const user = await store.write(async (tx) => {
    const role = await checkRoleAndMerchants(tx, input.role, merchantIds, invalid, fields);
    if ((await tx.getConsoleUser(input.name)) !== null) throw new ReswipeError('RSW_HTTP_CONFLICT', { what: 'user', id: input.name, field: fields.name });
    if ((await tx.listConsoleUsers()).length >= usersMax) throw invalid(fields.name, `at most ${usersMax} users`);
    const created: ConsoleUserRecord = { name: input.name, role, merchantIds, passwordHash, disabled: false, createdAtMs: nowMs, updatedAtMs: nowMs, passwordChangedAtMs: nowMs };
    await tx.insertConsoleUser(created);
    await audit(tx, 'user.create', created.name, { role, merchantIds });
    return created;
  });
  return { user, password };
}

export interface ConsoleUserChange {
  role?: string;
  merchantIds?: readonly string[];
  disabled?: boolean;
}

async function existingUser(tx: StoreTx, name: string): Promise<ConsoleUserRecord> {
  const user = await tx.getConsoleUser(name);
  if (user === null) throw new ReswipeError('RSW_HTTP_NOT_FOUND', { what: 'user', id: name, field: 'name' });
  return user;
}

/**
 * Changes a user's role, merchants or disabled flag. A role that sees every merchant drops the merchant
 * list when none is given. Disabling ends the user's sessions at once (and each request reads the user
 * again, so a role change holds from the next request).
 */
export async function updateConsoleUser(store: Store, name: string, change: ConsoleUserChange, nowMs: number, audit: UserAudit, invalid: InvalidInput): Promise<ConsoleUserRecord> {
  return store.write(async (tx) => {
    const before = await existingUser(tx, name);
    const roleText = change.role ?? before.role;
    const merchantIds = change.merchantIds !== undefined ? [...change.merchantIds].sort() : change.role !== undefined && (change.role === 'merchant' || change.role === 'cashier') ? [...before.merchantIds] : change.role !== undefined ? [] : [...before.merchantIds];
    const role = await checkRoleAndMerchants(tx, roleText, merchantIds, invalid, { role: 'role', merchants: 'merchantIds' });
    const after: ConsoleUserRecord = { ...before, role, merchantIds, disabled: change.disabled ?? before.disabled, updatedAtMs: nowMs };
    // The console must keep one way in: the last enabled admin is neither disabled nor demoted (create another admin first).
    const isActiveAdmin = (user: ConsoleUserRecord) => user.role === 'admin' && !user.disabled;
    if (isActiveAdmin(before) && !isActiveAdmin(after) && !(await tx.listConsoleUsers()).some((user) => user.name !== name && isActiveAdmin(user))) {
      throw invalid(change.disabled === true ? 'disabled' : 'role', 'this is the last enabled admin; create another admin first');
    }
    await tx.updateConsoleUser(after);
    const sessionsEnded = after.disabled && !before.disabled ? await tx.deleteConsoleSessionsOf(name) : 0;
    await audit(tx, 'user.update', name, {
      before: { role: before.role, merchantIds: [...before.merchantIds], disabled: before.disabled },
      after: { role: after.role, merchantIds: [...after.merchantIds], disabled: after.disabled },
      sessionsEnded,
    });
    return after;
  });
}

/** Gives a user a new generated password (shown once), ends every session of theirs and forgets their failed logins. */
export async function resetConsoleUserPassword(store: Store, name: string, nowMs: number, audit: UserAudit): Promise<{ user: ConsoleUserRecord; password: string }> {
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const user = await store.write(async (tx) => {
    const before = await existingUser(tx, name);
    const after: ConsoleUserRecord = { ...before, passwordHash, updatedAtMs: nowMs, passwordChangedAtMs: nowMs };
    await tx.updateConsoleUser(after);
    const sessionsEnded = await tx.deleteConsoleSessionsOf(name);
    await tx.clearLoginFailuresOf(name);
    await audit(tx, 'user.password_reset', name, { sessionsEnded });
    return after;
  });
  return { user, password };
}

/**
 * A user changes their own password: the current one must match (a wrong one counts as a failed login
 * and the login throttle applies, so this is no way around it); the new one must pass passwordProblem.
 * The user's other sessions end; the one making the change stays.
 */
export async function changeOwnPassword(
  store: Store,
  input: { name: string; currentPassword: string; newPassword: string; keepSessionIdHash: string; clientAddress: string },
  nowMs: number,
  audit: UserAudit,
): Promise<void> {
  const failures = await store.recentLoginFailures({ userName: input.name, clientAddress: input.clientAddress, sinceMs: nowMs - loginThrottleRule.windowMs, limit: loginThrottleRule.failuresMax });
  const throttle = loginThrottleOf(failures.byUserMs, failures.byAddressMs, nowMs);
  if (throttle.throttled) throw new ReswipeError('RSW_LOGIN_THROTTLED', { retryAfterS: throttle.retryAfterS });
  const user = await store.getConsoleUser(input.name);
  const verdict = await verifyPassword(input.currentPassword, user?.passwordHash ?? null);
  if (user === null || !verdict.matches) {
    await store.write(async (tx) => {
      await tx.insertLoginFailure({ id: `lf_${randomBase62(20)}`, userName: input.name, clientAddress: input.clientAddress, atMs: nowMs });
      await audit(tx, 'user.password_change_failed', input.name, { reason: 'current password wrong' });
    });
    throw new ReswipeError('RSW_PASSWORD_WRONG', { field: 'currentPassword' });
  }
  const problem = passwordProblem(input.newPassword, input.name);
  if (problem !== null) throw new ReswipeError('RSW_PASSWORD_WEAK', { reason: problem, field: 'newPassword' });
  const passwordHash = await hashPassword(input.newPassword);
  await store.write(async (tx) => {
    const before = await existingUser(tx, input.name);
    await tx.updateConsoleUser({ ...before, passwordHash, updatedAtMs: nowMs, passwordChangedAtMs: nowMs });
    const sessionsEnded = await tx.deleteConsoleSessionsOf(input.name, input.keepSessionIdHash);
    await audit(tx, 'user.password_change', input.name, { sessionsEnded });
  });
}
