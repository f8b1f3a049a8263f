// What a node's start does with one definition of its config files (a channel, a fee plan) against
// the stored record every node shares (docs/cluster.md, "What a restart keeps"). The rule: the latest
// deliberate change wins. A change made through the API stays across restarts while the file's
// definition is the one last seeded (an unchanged file never overwrites it); editing that definition
// in the file afterwards is the newer change, and the file's version applies. Definitions are compared
// as canonical JSON, so key order (or PostgreSQL's JSONB) never counts as a change.
import { canonicalJson } from '../payments/request-hash.ts';

/** Who made the definition in force: the config files, seeded at a start, or the management API. */
export type DefinedBy = 'file' | 'api';

export interface StoredDefinition {
  readonly definedBy: DefinedBy;
  /** The definition in force. */
  readonly current: unknown;
  /** The file's definition last seeded, null when none was ever seeded (created through the API, or stored before migration 0025). */
  readonly lastSeededFromFile: unknown;
}

export type SeedDecision =
  /** No record yet: store the file's definition. */
  | { readonly action: 'create' }
  /** Store the file's definition; `replacesApiChange` when it overwrites an API change (the file was edited since). */
  | { readonly action: 'apply_file'; readonly replacesApiChange: boolean }
  /** The record already holds the file's definition, seeded as such: nothing to write. */
  | { readonly action: 'keep' }
  /** An API change stays in force; the unchanged file defines it otherwise (worth a warning naming it). */
  | { readonly action: 'keep_api_change' };

/** Whether two definitions are the same, whatever the order of their keys. */
export function sameDefinition(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The decision for the file's definition `fromFile` given the stored record (null: none yet). */
export function decideSeed(fromFile: unknown, stored: StoredDefinition | null): SeedDecision {
  if (stored === null) return { action: 'create' };
  const fileUnchanged = stored.lastSeededFromFile !== null && sameDefinition(stored.lastSeededFromFile, fromFile);
  switch (stored.definedBy) {
    case 'file':
      return fileUnchanged && sameDefinition(stored.current, fromFile) ? { action: 'keep' } : { action: 'apply_file', replacesApiChange: false };
    case 'api':
      if (!fileUnchanged) return { action: 'apply_file', replacesApiChange: true };
      return sameDefinition(stored.current, fromFile) ? { action: 'keep' } : { action: 'keep_api_change' };
  }
}
