// Who is logged in, and what the console offers them. The server enforces every rule; these only hide
// what a role may not do, so the screen does not offer buttons that would be refused.
import { reactive } from 'vue';
import { rolePermissions, type Permission, type Role } from '../../src/core/access/permissions.ts';

export type { Role };


export interface SessionUser {
  name: string;
  role: Role;
  merchantIds: string[];
}

export interface SessionAnswer {
  user: SessionUser;
  csrfToken: string;
  idleTimeoutSeconds: number;
}

export const session = reactive<{ user: SessionUser | null; csrfToken: string | null; idleTimeoutSeconds: number; endedBecause: string | null }>({
  user: null,
  csrfToken: null,
  idleTimeoutSeconds: 0,
  endedBecause: null,
});

export function rememberSession(answer: SessionAnswer): void {
  session.user = answer.user;
  session.csrfToken = answer.csrfToken;
  session.idleTimeoutSeconds = answer.idleTimeoutSeconds;
  session.endedBecause = null;
}

let onForget: (() => void) | null = null;
export function whenSessionEnds(callback: () => void): void {
  onForget = callback;
}

export function forgetSession(reason: string | null): void {
  const hadUser = session.user !== null;
  session.user = null;
  session.csrfToken = null;
  session.endedBecause = reason;
  if (hadUser) onForget?.();
}

// What each role holds is the server's own permission matrix (src/core/access/permissions.ts, pure
// data shared with the console's build), so the screen and the server never disagree.
/** The permission a page reads with (docs/console.md, "Roles"); pages in menu order. */
const pagePermissions: Record<string, Permission> = {
  today: 'analytics:read',
  payments: 'payments:read',
  failures: 'analytics:read',
  terminals: 'terminals:read',
  channels: 'channels:read',
  manual: 'manual_handling:read',
  settlement: 'settlements:read',
  events: 'events:read',
  users: 'users:read',
};

/** The permission each action of the console needs; the server refuses it without, whatever is shown. */
const actionPermissions: Record<string, Permission> = {
  refund: 'payments:refund',
  void: 'payments:refund',
  'terminal.state': 'terminals:write',
  'channel.state': 'channels:write',
  'manual.resolve': 'manual_handling:write',
  'fees.compare': 'fee_plans:read',
  'users.manage': 'users:write',
};

function holds(permission: Permission | undefined): boolean {
  return session.user !== null && permission !== undefined && (rolePermissions[session.user.role] ?? []).includes(permission);
}

export function canSee(page: string): boolean {
  return holds(pagePermissions[page]);
}

export function canDo(action: string): boolean {
  return holds(actionPermissions[action]);
}

export const allPages = Object.keys(pagePermissions);

export function firstPage(): string {
  return allPages.find((page) => canSee(page)) ?? 'login';
}
