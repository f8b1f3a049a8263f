// The use cases the HTTP adapter calls, bound to one store, clock and set of fee hooks. The adapter
// sees them only through the ports in src/core/ports/*-use-cases.ts (docs/architecture.md, "Layers");
// composeGateway builds them for the running gateway, and test fixtures that build a bare HTTP app
// build them here too, so both wire the routes the same way.
import { createReconciliationUseCases } from './reconciliation/reconciliation-use-cases.ts';
import type { LoggerLike } from '../adapters/channels/upstream-channel.ts';
import { TerminalKeyVault } from '../adapters/crypto/terminal-key-vault.ts';
import type { HttpAppDeps } from '../adapters/http/http-app.ts';
import type { ReswipeConfig } from '../core/config/config-schema.ts';
import { defaultCutoff } from '../core/fees/business-date.ts';
import type { Store } from '../core/ports/store.ts';
import type { Clock } from '../core/time/clock.ts';
import type { FeeHooks } from '../core/ports/payments.ts';
import { feeSettingsFromConfig } from './fees/fee-settings.ts';
import { createFeeUseCases } from './fees/fee-use-cases.ts';
import { LiveFeePlans } from './fees/live-fee-plans.ts';
import { createPaymentFeeHooks } from './fees/payment-fee-hooks.ts';
import { createManualHandlingUseCases } from './manual-handling/manual-handling-use-cases.ts';
import { createPayoutUseCases } from './payouts/payout-use-cases.ts';
import { createStatementUseCases } from './statements/statement-use-cases.ts';

export interface HttpUseCasesDeps {
  store: Store;
  clock: Clock;
  logger: LoggerLike;
  config: ReswipeConfig;
  /** The running gateway's live fee plans; without them, plans over the config's plans file, re-read at each change this process makes. */
  feePlans?: LiveFeePlans | undefined;
  /** The running engine's fee hooks, for manual resolutions; hooks over the plans in force when absent. */
  fees?: FeeHooks | undefined;
  /** Wakes the reversal worker after a manual retry (the running gateway has one). */
  kickReversals?: (() => void) | undefined;
}

/** The use cases for `buildHttpApp`; spread them into its deps. */
export function createHttpUseCases(deps: HttpUseCasesDeps): Pick<HttpAppDeps, 'useCases'> {
  const plans = deps.feePlans ?? new LiveFeePlans({ store: deps.store, fromFile: feeSettingsFromConfig(deps.config).plans, logger: deps.logger });
  const fees =
    deps.fees ??
    createPaymentFeeHooks({
      plans: () => plans.current(),
      settings: { timeZone: deps.config.fees.settlementTimeZone, settleMode: deps.config.fees.settleMode, cutoff: defaultCutoff },
      clock: deps.clock,
      logger: deps.logger,
    });
  const settlementDay = { timeZone: deps.config.fees.settlementTimeZone };
  let payoutVault: TerminalKeyVault | undefined;
  return {
    useCases: {
      manualHandling: createManualHandlingUseCases({
        store: deps.store,
        clock: deps.clock,
        fees,
        settlementDay,
        ...(deps.kickReversals === undefined ? {} : { kickReversals: deps.kickReversals }),
      }),
      fees: createFeeUseCases(deps.store, plans),
      // The vault is opened on first use: a gateway that never records a payout account needs no local master key for it.
      payouts: createPayoutUseCases({ store: deps.store, vault: () => (payoutVault ??= TerminalKeyVault.fromSettings(deps.config.security)) }),
      statements: createStatementUseCases(deps.store),
      reconciliation: createReconciliationUseCases({ store: deps.store, clock: deps.clock, settlementDay }),
    },
  };
}
