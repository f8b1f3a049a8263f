// What the payout use cases need from the outside: the store, the vault that seals account numbers
// (the local master key, docs/payouts.md), the settlement calendar and time zone, and who acts.
import { openField, sealField, type TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';
import { ReswipeError } from '../../core/errors/reswipe-error.ts';
import type { HolidayCalendar } from '../../core/fees/holiday-calendar.ts';
import type { Store } from '../../core/ports/store.ts';

export interface PayoutDeps {
  readonly store: Store;
  readonly vault: TerminalKeyVault;
  readonly calendar: HolidayCalendar;
  /** The settlement time zone (fees.settlementTimeZone): local dates of sending and arrival. */
  readonly timeZone: string;
  /** The settlement cut-off, to re-check a batch against its payments before paying it. */
  readonly cutoff: string;
  /** `cli:<user>` or `key:<id>`, for the audit log. */
  readonly actor: string;
}

const accountPurpose = 'payout-account';

export function sealAccountNumber(vault: TerminalKeyVault, accountNumber: string, merchantId: string): string {
  return sealField(vault, accountNumber, accountPurpose, merchantId);
}

export function openAccountNumber(vault: TerminalKeyVault, sealed: string, merchantId: string): string {
  const clear = openField(vault, sealed, accountPurpose, merchantId);
  if (clear === null) throw new ReswipeError('RSW_PAYOUT_ACCOUNT_UNSEALABLE', { merchantId });
  return clear;
}
