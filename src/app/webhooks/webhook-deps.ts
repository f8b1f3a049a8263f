// What the webhook use cases share: the store, the clock, the vault that seals signing secrets, and
// the settings. One small interface so each use case file stays one use case.
import type { Store } from '../../core/ports/store.ts';
import type { Clock } from '../../core/time/clock.ts';
import type { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import type { ReswipeConfig } from '../../core/config/config-schema.ts';

export interface WebhookDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** Seals signing secrets (they must be recoverable to sign; docs/security.md). */
  readonly vault: TerminalKeyVault;
  readonly settings: ReswipeConfig['webhooks'];
  readonly developmentMode: boolean;
}
