// Webhook signing secrets: generated here (32 random bytes, shown to the operator once), sealed under
// the local master key for the store, and opened again only to sign. Sealing binds the secret to its
// endpoint, so a sealed secret copied to another endpoint's row does not open.
import { randomBytes } from 'node:crypto';
import type { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import type { WebhookEndpointRecord } from '../../core/ports/notification-store.ts';

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function sealWebhookSecret(vault: TerminalKeyVault, endpointId: string, secret: string): string {
  return vault.seal(Buffer.from(secret, 'utf8'), `webhook:${endpointId}`, 'webhook');
}

/** The secrets that sign a delivery now: the current one and any rotated-out one not yet expired, newest first. */
export function liveSigningSecrets(vault: TerminalKeyVault, endpoint: WebhookEndpointRecord, nowMs: number): string[] {
  return endpoint.secrets.filter((secret) => secret.expiresAtMs === null || secret.expiresAtMs > nowMs).map((secret) => vault.open(secret.sealed, `webhook:${endpoint.id}`, 'webhook').toString('utf8'));
}
