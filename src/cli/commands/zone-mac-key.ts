// `reswipe zone-mac-key seal <keyRef>`: the same ceremony as `zone-pin-key seal` (zone-pin-key.ts) for the
// key that MACs the host link of a channel (channels[].mac, docs/channels.md). Sealed under role `mac`,
// so a sealed zone PIN key cannot be put in its place, nor the other way round.
import type { Command } from 'commander';
import { registerZoneKeySeal } from './zone-pin-key.ts';

export function register(program: Command): void {
  registerZoneKeySeal(program, { command: 'zone-mac-key', role: 'mac', what: 'zone MAC key', configField: 'mac' });
}
