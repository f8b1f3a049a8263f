// The HSM port: the one way the gateway asks for cryptography on PINs. The engine names keys by
// reference and never holds a PIN key or a clear PIN block; whatever sits behind this port (the
// software HSM of src/adapters/hsm, or a hardware HSM such as a Thales payShield spoken to over its
// host protocol) owns the keys. docs/security.md describes how to add an adapter.
import type { KeyAlgorithm } from '../crypto/block-cipher.ts';

/**
 * A key as the HSM knows it. reswipe's names: `terminal:<DE 41>:pin` for a terminal's current PIN key
 * (terminalPinKeyRef), and the configured `channels[].zonePinKey.keyRef` for a channel's zone PIN key.
 * A hardware adapter maps a reference to its own form (for payShield, the key under its LMK).
 */
export type HsmKeyRef = string;

/** PIN block formats the port knows; ISO 9564-1 format 0 (ANSI X9.8) is what CUPS terminals and banks use. */
export type PinBlockFormat = 'iso-0';

export interface PinTranslationRequest {
  /** DE 52 as the terminal sent it: the PIN block encrypted under the source key. */
  readonly pinBlock: Uint8Array;
  /** The 12 account digits format 0 binds the PIN to (accountNumber12Of): never the whole PAN. */
  readonly accountNumber12: string;
  readonly source: { readonly keyRef: HsmKeyRef; readonly format: PinBlockFormat };
  readonly destination: { readonly keyRef: HsmKeyRef; readonly format: PinBlockFormat };
}

export interface HsmPort {
  /**
   * Decrypts the PIN block under the source key, checks it is a valid block for the account, and
   * encrypts it under the destination key, inside the HSM (payShield: command CA, TPK to ZPK). Resolves
   * with the new DE 52. Throws ReswipeError RSW_HSM_KEY_UNKNOWN, RSW_HSM_PIN_BLOCK_INVALID or
   * RSW_HSM_UNAVAILABLE; an error never carries the PIN block.
   */
  translatePin(request: PinTranslationRequest): Promise<Uint8Array>;
  /** The check value of a key the HSM holds, or null when it holds none by that reference: for start-up checks and `keys list`. */
  checkValueOf(keyRef: HsmKeyRef): Promise<string | null>;
}

/** A key handed to the software HSM, and what a key source returns. */
export interface HsmKey {
  readonly algorithm: KeyAlgorithm;
  readonly key: Uint8Array;
}

/** The reference of a terminal's current PIN key (the working key its last sign-on delivered). */
export function terminalPinKeyRef(terminalId: string): HsmKeyRef {
  return `terminal:${terminalId.trim()}:pin`;
}

/** The terminal id a terminalPinKeyRef names, or null for any other reference. */
export function terminalIdOfPinKeyRef(keyRef: HsmKeyRef): string | null {
  const match = /^terminal:(.{1,8}):pin$/.exec(keyRef);
  return match?.[1] ?? null;
}
