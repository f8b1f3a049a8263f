// Where the software HSM finds a terminal's PIN key: the working PIN key of the terminal's latest
// sign-on, sealed in the key store, opened with the local master key for the one translation that
// needs it (the HSM wipes it after). Read each time rather than remembered, so a sign-on served by
// this node or another one is in force for the very next sale.
import type { Store } from '../../core/ports/store.ts';
import { terminalIdOfPinKeyRef, type HsmKey, type HsmKeyRef } from '../../core/ports/hsm.ts';
import type { TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';

/** A SoftwareHsm keySource for `terminal:<id>:pin` references; null for a terminal with no working keys yet, or any other reference. */
export function terminalPinKeySource(options: { store: Pick<Store, 'getTerminalKeys'>; vault: Pick<TerminalKeyVault, 'open'> }): (keyRef: HsmKeyRef) => Promise<HsmKey | null> {
  return async (keyRef) => {
    const terminalId = terminalIdOfPinKeyRef(keyRef);
    if (terminalId === null) return null;
    const record = await options.store.getTerminalKeys(terminalId);
    if (record === null || record.workingKeys === null) return null;
    return { algorithm: record.algorithm, key: options.vault.open(record.workingKeys.pinSealed, terminalId, 'pin') };
  };
}
