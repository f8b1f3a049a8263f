// What the terminal link needs of terminal working keys (docs/terminal-keys.md): new keys at every
// sign-on, as the DE 62 block under the terminal's master key, and the MAC key each later message is
// checked with. The concrete WorkingKeys (src/app/terminal-keys/working-keys.ts) implements it over the
// store and the local key vault; the composition root hands it to the listener, so the adapter imports
// only core.
import type { KeyAlgorithm } from '../crypto/block-cipher.ts';
import type { KeySetCode } from '../crypto/working-key-block.ts';

export interface MacKey {
  algorithm: KeyAlgorithm;
  macKey: Buffer;
}

export interface PinKey {
  algorithm: KeyAlgorithm;
  pinKey: Buffer;
}

export type IssuedWorkingKeys =
  | { kind: 'issued'; de62: Buffer; keySet: KeySetCode; checkValues: { pin: string; mac: string; data: string | null } }
  | { kind: 'no_master_key' }
  | { kind: 'rotated_meanwhile' };

/** Working keys as the terminal link sees them: issued at sign-on, looked up to check a MAC. */
export interface WorkingKeyPort {
  /** New working keys for a signing-on terminal, stored sealed; the DE 62 block under its TMK. */
  issue(terminalId: string, keySet: KeySetCode): Promise<IssuedWorkingKeys>;
  /** The terminal's current MAC key, null before its first sign-on under its TMK; `fresh` skips any memory of it. */
  macKeyOf(terminalId: string, fresh?: boolean): Promise<MacKey | null>;
}
