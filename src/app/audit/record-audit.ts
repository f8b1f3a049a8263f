// The one way reswipe's own use cases write the audit log (table audit_log, read by `store.listAudit`):
// who did what to which record, in the caller's store transaction so the record commits with the
// change it describes. Kept to one small function so auditing can grow (more actions, a read API)
// without touching its callers.
import { randomUUID } from 'node:crypto';
import type { StoreTx } from '../../core/ports/store.ts';

export interface AuditEntry {
  /** `key:<id>` for an API key, `cli:<os user>` for the command line, or a component name (`reversal-worker`). */
  actor: string;
  /** `<area>.<verb>`, e.g. `manual_handling.resolve`. */
  action: string;
  subjectId: string | null;
  /** What was asked and decided; never card data (ids, codes, amounts, masked cards only). */
  detail: Record<string, unknown>;
  atMs: number;
}

/** Appends one audit record inside `tx`. */
export async function recordAudit(tx: StoreTx, entry: AuditEntry): Promise<void> {
  await tx.appendAudit({ id: `aud_${randomUUID()}`, actor: entry.actor, action: entry.action, subjectId: entry.subjectId, detail: entry.detail, atMs: entry.atMs });
}
