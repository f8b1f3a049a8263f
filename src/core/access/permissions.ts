// Who may do what, as data (docs/console-access.md). A route names the one permission it needs in
// route-permissions.ts; an API key holds it when its scopes include the scope the permission maps to
// (so keys keep exactly the rights their scopes always gave), a console user when their role lists it.
// `principalAllows` is the one check for both.
//
// Roles follow the issue that asked for the console: admin everything; operator runs channels,
// terminals, reversals and manual handling and reads the rest, but moves no money (no refund, void,
// capture, reconciliation adjustment, payout) and touches neither fee plans nor users; merchant reads
// and refunds its own merchants' payments and reads their statements, fees and terminals; cashier
// looks up its merchant's payments (a reprint is the payment read again) and nothing else; auditor
// reads everything and changes nothing. No role creates a sale: a sale from a web page would carry a
// card number through a browser, which the console never sees (docs/card-data.md).
import { scopesAllow, type ApiScope } from './api-scope.ts';

export const permissions = [
  'payments:create',
  'payments:read',
  'payments:refund',
  'payments:capture',
  'settlements:read',
  'merchants:read',
  'merchants:write',
  'terminals:read',
  'terminals:write',
  'channels:read',
  'channels:write',
  'manual_handling:read',
  'manual_handling:write',
  'reconciliation:read',
  'reconciliation:write',
  'payouts:read',
  'payouts:write',
  'fee_plans:read',
  'fee_plans:write',
  'events:read',
  'audit:read',
  'drills:read',
  'alerts:read',
  'alerts:write',
  'webhooks:read',
  'webhooks:write',
  'users:read',
  'users:write',
  'analytics:read',
] as const;
export type Permission = (typeof permissions)[number];

export const roles = ['admin', 'operator', 'merchant', 'cashier', 'auditor'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** The API key scope that holds each permission: what the routes asked of keys before roles existed. */
export const permissionScopes: Readonly<Record<Permission, ApiScope>> = Object.freeze({
  'payments:create': 'payments:write',
  'payments:read': 'payments:read',
  'payments:refund': 'refunds:write',
  'payments:capture': 'payments:write',
  'settlements:read': 'settlements:read',
  'merchants:read': 'admin',
  'merchants:write': 'admin',
  'terminals:read': 'admin',
  'terminals:write': 'admin',
  'channels:read': 'admin',
  'channels:write': 'admin',
  'manual_handling:read': 'admin',
  'manual_handling:write': 'admin',
  'reconciliation:read': 'admin',
  'reconciliation:write': 'admin',
  'payouts:read': 'admin',
  'payouts:write': 'admin',
  'fee_plans:read': 'admin',
  'fee_plans:write': 'admin',
  'events:read': 'admin',
  'audit:read': 'admin',
  'drills:read': 'admin',
  'alerts:read': 'admin',
  'alerts:write': 'admin',
  'webhooks:read': 'admin',
  'webhooks:write': 'admin',
  'users:read': 'admin',
  'users:write': 'admin',
  // The analytics routes confine a merchant-bound caller to its merchants, as the payment list does.
  'analytics:read': 'payments:read',
});

const readPermissions = permissions.filter((permission) => permission.endsWith(':read'));

/** The permission matrix: what each role holds. */
export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  admin: Object.freeze(permissions.filter((permission) => permission !== 'payments:create')),
  operator: Object.freeze([
    'payments:read',
    'settlements:read',
    'merchants:read',
    'terminals:read',
    'terminals:write',
    'channels:read',
    'channels:write',
    'manual_handling:read',
    'manual_handling:write',
    'reconciliation:read',
    'payouts:read',
    'fee_plans:read',
    'events:read',
    'drills:read',
    'alerts:read',
    'alerts:write',
    'webhooks:read',
    'analytics:read',
  ] as const satisfies readonly Permission[]),
  merchant: Object.freeze(['payments:read', 'payments:refund', 'payments:capture', 'settlements:read', 'merchants:read', 'terminals:read', 'analytics:read'] as const satisfies readonly Permission[]),
  cashier: Object.freeze(['payments:read'] as const satisfies readonly Permission[]),
  auditor: Object.freeze(readPermissions),
});

/** Roles bound to merchants: their users see only those merchants' objects. */
export const merchantBoundRoles: ReadonlySet<Role> = new Set<Role>(['merchant', 'cashier']);

/**
 * Permissions whose routes confine a merchant-bound caller to its merchants (a list is filtered, another
 * merchant's object answers 404). A merchant-bound role may hold no other permission: a test checks it.
 */
export const merchantScopedPermissions: ReadonlySet<Permission> = new Set<Permission>([
  'payments:create',
  'payments:read',
  'payments:refund',
  'payments:capture',
  'settlements:read',
  'merchants:read',
  'terminals:read',
  'analytics:read',
]);

/** How many merchants a role's user is bound to: none (sees all), exactly one, or one or more. */
export function merchantBindingOf(role: Role): { min: number; max: number } {
  switch (role) {
    case 'merchant':
      return { min: 1, max: merchantsPerUserMax };
    case 'cashier':
      return { min: 1, max: 1 };
    case 'admin':
    case 'operator':
    case 'auditor':
      return { min: 0, max: 0 };
  }
}

export const merchantsPerUserMax = 50;

/** The caller as the access rules see it: an API key (scopes) or a console user (role). */
export type AccessSubject = { kind: 'key'; scopes: readonly ApiScope[] } | { kind: 'user'; role: Role };

/** True when the caller holds the permission: keys through their scopes, users through their role. */
export function principalAllows(subject: AccessSubject, permission: Permission): boolean {
  if (subject.kind === 'key') return scopesAllow(subject.scopes, permissionScopes[permission]);
  return rolePermissions[subject.role].includes(permission);
}
