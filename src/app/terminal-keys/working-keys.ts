// Working keys: issued at every sign-on (new PIN, MAC and, when asked for, data keys, sealed into the
// store and sent in DE 62 under the terminal's TMK), and the MAC key each later message is checked
// with. MAC keys are kept in memory per terminal after first use (bounded), so a sale does not open a
// sealed key. A terminal's key change on any gateway node (a sign-on, a new master key) is announced
// (docs/cluster.md, "Live configuration") and drops the remembered key here at once, so a message MACed
// under the replaced key is refused on every node within milliseconds; a MAC that does not verify is
// still retried once against the store's current key, for a change whose notice has not arrived yet.
import { keyCheckValue } from '../../core/crypto/key-check-value.ts';
import { encodeWorkingKeyBlock, keySetHasDataKey, type KeySetCode } from '../../core/crypto/working-key-block.ts';
import type { Store } from '../../core/ports/store.ts';
import type { IssuedWorkingKeys, MacKey, PinKey, WorkingKeyPort } from '../../core/ports/terminal-keys.ts';
import type { Clock } from '../../core/time/clock.ts';
import { generateKey, type TerminalKeyVault } from '../../adapters/crypto/terminal-key-vault.ts';

export type { IssuedWorkingKeys, MacKey, PinKey };

/** Terminals whose MAC key is remembered; beyond it the least recently stored is forgotten (and read again when needed). */
const cachedTerminalsMax = 100_000;

export class WorkingKeys implements WorkingKeyPort {
  readonly #store: Store;
  readonly #vault: TerminalKeyVault;
  readonly #clock: Clock;
  readonly #macKeys = new Map<string, MacKey | null>();
  /** Moved by every key change notice: a read that started before one must not remember what it read. */
  #epoch = 0;

  constructor(options: { store: Store; vault: TerminalKeyVault; clock: Clock }) {
    this.#store = options.store;
    this.#vault = options.vault;
    this.#clock = options.clock;
  }

  /** New working keys for a signing-on terminal: stored sealed, returned as the DE 62 block under its TMK. */
  async issue(terminalId: string, keySet: KeySetCode): Promise<IssuedWorkingKeys> {
    const record = await this.#store.getTerminalKeys(terminalId);
    if (record === null) return { kind: 'no_master_key' };
    const { algorithm } = record;
    const tmk = this.#vault.open(record.tmkSealed, terminalId, 'tmk');
    const pin = generateKey(algorithm);
    const mac = generateKey(algorithm);
    const data = keySetHasDataKey(keySet) ? generateKey(algorithm) : null;
    try {
      const de62 = encodeWorkingKeyBlock(algorithm, tmk, keySet, { pin, mac, data });
      const checkValues = { pin: keyCheckValue(algorithm, pin), mac: keyCheckValue(algorithm, mac), data: data === null ? null : keyCheckValue(algorithm, data) };
      const nowMs = this.#clock.nowMs();
      const stored = await this.#store.write(async (tx) => {
        const changed = await tx.setTerminalWorkingKeys(
          terminalId,
          record.tmkVersion,
          {
            pinSealed: this.#vault.seal(pin, terminalId, 'pin'),
            pinCheckValue: checkValues.pin,
            macSealed: this.#vault.seal(mac, terminalId, 'mac'),
            macCheckValue: checkValues.mac,
            dataSealed: data === null ? null : this.#vault.seal(data, terminalId, 'data'),
            dataCheckValue: checkValues.data,
            issuedAtMs: nowMs,
          },
          nowMs,
        );
        if (changed) {
          await tx.appendEvent({ type: 'terminal.working_keys_issued', subjectId: terminalId, payload: { keySet, algorithm, tmkCheckValue: record.tmkCheckValue, checkValues }, atMs: nowMs });
        }
        return changed;
      });
      if (!stored) return { kind: 'rotated_meanwhile' };
      this.#remember(terminalId, { algorithm, macKey: Buffer.from(mac) });
      return { kind: 'issued', de62, keySet, checkValues };
    } finally {
      tmk.fill(0);
      pin.fill(0);
      mac.fill(0);
      data?.fill(0);
    }
  }

  /** Forgets a terminal's remembered key on every notice of its key change (or of everything); returns the function that stops listening. */
  follow(): () => void {
    return (
      this.#store.onConfigChange?.((change) => {
        if (change.kind !== 'all' && change.kind !== 'terminal_keys') return;
        this.#epoch += 1;
        if (change.kind === 'all') this.#macKeys.clear();
        else this.#macKeys.delete(change.id);
      }) ?? (() => undefined)
    );
  }

  /** The terminal's current MAC key, or null before its first sign-on under its TMK; `fresh` skips the memory. */
  async macKeyOf(terminalId: string, fresh = false): Promise<MacKey | null> {
    if (!fresh && this.#macKeys.has(terminalId)) return this.#macKeys.get(terminalId) ?? null;
    const epoch = this.#epoch;
    const record = await this.#store.getTerminalKeys(terminalId);
    const key = record?.workingKeys == null ? null : { algorithm: record.algorithm, macKey: this.#vault.open(record.workingKeys.macSealed, terminalId, 'mac') };
    if (epoch === this.#epoch) this.#remember(terminalId, key);
    return key;
  }

  /**
   * The terminal's current PIN key (for PIN translation through the HSM port), or null before its
   * first sign-on under its TMK. Opened from the store on every call: the caller should not keep it.
   */
  async pinKeyOf(terminalId: string): Promise<PinKey | null> {
    const record = await this.#store.getTerminalKeys(terminalId);
    if (record?.workingKeys == null) return null;
    return { algorithm: record.algorithm, pinKey: this.#vault.open(record.workingKeys.pinSealed, terminalId, 'pin') };
  }

  #remember(terminalId: string, key: MacKey | null): void {
    this.#macKeys.delete(terminalId);
    this.#macKeys.set(terminalId, key);
    if (this.#macKeys.size > cachedTerminalsMax) {
      const oldest = this.#macKeys.keys().next();
      if (oldest.done !== true) this.#macKeys.delete(oldest.value);
    }
  }
}
