// The store records that a merchant, terminal or channel definition stands for, whether the
// definition comes from the config file (seeded at every start) or from the management API (created
// once). One function per record, so both paths write the same fields with the same defaults. What
// the gateway learns while running (sign-on, batch number, last seen, a merchant or terminal
// disabled from the console) is kept from the existing record; a new record starts fresh.
import type { DefinedBy } from '../config/seed-precedence.ts';
import type { ChannelDefinition, ChannelRecord, MerchantRecord, TerminalRecord } from './store.ts';

/** What defines a merchant: the config file's fields (terminals are records of their own). */
export interface MerchantDefinition {
  readonly id: string;
  readonly name: string;
  readonly mcc: string;
  readonly accepts: readonly string[];
  readonly limits: MerchantRecord['limits'];
  readonly feePlan: string;
}

export type { ChannelDefinition };

/** Only the defining fields of `channel` (the config file's entry has more: weight, MAC, echo...). */
export function channelDefinitionOf(channel: ChannelDefinition): ChannelDefinition {
  return { name: channel.name, host: channel.host, port: channel.port, dialect: channel.dialect, timeoutMs: channel.timeoutMs, priority: channel.priority, disabled: channel.disabled };
}

/** The merchant record for `definition`; `disabled` and `createdAtMs` survive from `existing`. */
export function buildMerchantRecord(definition: MerchantDefinition, existing: MerchantRecord | null, nowMs: number): MerchantRecord {
  return {
    id: definition.id,
    name: definition.name,
    mcc: definition.mcc,
    accepts: [...definition.accepts],
    limits: { ...definition.limits },
    feePlan: definition.feePlan,
    disabled: existing?.disabled ?? false,
    createdAtMs: existing?.createdAtMs ?? nowMs,
    updatedAtMs: nowMs,
  };
}

/** The terminal record for `id` under `merchantId`; a disabled state, sign-on, batch, limits and last-seen survive from `existing`. */
export function buildTerminalRecord(id: string, merchantId: string, existing: TerminalRecord | null, nowMs: number): TerminalRecord {
  return {
    id,
    merchantId,
    state: existing?.state === 'disabled' ? 'disabled' : 'active',
    signedOn: existing?.signedOn ?? false,
    batchNo: existing?.batchNo ?? '000001',
    limits: existing?.limits ?? {},
    lastSeenAtMs: existing?.lastSeenAtMs ?? null,
    createdAtMs: existing?.createdAtMs ?? nowMs,
    updatedAtMs: nowMs,
  };
}

/**
 * The channel record for `definition`, made by `definedBy` (the config file at a start, or the API);
 * an operator's holds and `createdAtMs` survive from `existing`, and so does the file's definition last
 * seeded unless this is one. Whether a start may overwrite an API change is decideSeed's (seed-precedence.ts).
 */
export function buildChannelRecord(definition: ChannelDefinition, existing: ChannelRecord | null, nowMs: number, definedBy: DefinedBy): ChannelRecord {
  return {
    name: definition.name,
    host: definition.host,
    port: definition.port,
    dialect: definition.dialect,
    timeoutMs: definition.timeoutMs,
    priority: definition.priority,
    disabled: definition.disabled,
    // An operator's hold outlives a restart that re-applies the config file: the file knows nothing of it.
    draining: existing?.draining ?? false,
    circuitOverride: existing?.circuitOverride ?? null,
    definedBy,
    fileDefinition: definedBy === 'file' ? channelDefinitionOf(definition) : (existing?.fileDefinition ?? null),
    createdAtMs: existing?.createdAtMs ?? nowMs,
    updatedAtMs: nowMs,
  };
}
