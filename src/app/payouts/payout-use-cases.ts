// The payout use cases bound to the store and the account-number vault, as the HTTP adapter sees them
// (src/core/ports/payout-use-cases.ts); built by the composition root.
import type { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import type { PayoutUseCases } from '../../core/ports/payout-use-cases.ts';
import type { Store } from '../../core/ports/store.ts';
import { importPayoutAnswer } from './import-payout-answer.ts';
import { listPayoutViews, showPayout } from './list-payouts.ts';
import { setPayoutAccount } from './set-payout-account.ts';

/** `vault` is asked for only when an account is set: a gateway that never records one needs no local master key for it. */
export function createPayoutUseCases(deps: { store: Store; vault: () => TerminalKeyVault }): PayoutUseCases {
  const { store } = deps;
  return {
    list: (query, timeZone) => listPayoutViews(store, query, timeZone),
    show: (id, timeZone, merchantId) => showPayout(store, id, timeZone, merchantId),
    importAnswer: (text, action, source) => importPayoutAnswer({ store, actor: action.actor }, text, action.nowMs, source),
    setAccount: (merchantId, input, action) => setPayoutAccount({ store, vault: deps.vault(), actor: action.actor }, merchantId, input, action.nowMs),
  };
}
