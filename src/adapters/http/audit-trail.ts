// Audit records of HTTP actions: who (the key id), when, from where (the client address as Fastify
// sees it, after http.trustProxy), which request (the id in the request log line) and what. The
// audit log is append-only: the store port has no update or delete for it, and migration 0011 makes
// the database refuse both (docs/http-api.md "Audit log").
import type { FastifyRequest } from 'fastify';
import type { AuditRecord, Store, StoreTx } from '../../core/ports/store.ts';
import { actorOf, randomBase62 } from './auth.ts';

/** The audit record of an action taken by a request. */
export function auditRecordOf(request: FastifyRequest, action: string, subjectId: string | null, detail: Record<string, unknown>, atMs: number): AuditRecord {
  return { id: `aud_${randomBase62(20)}`, actor: actorOf(request.principal), action, subjectId, detail, atMs, clientAddress: request.ip, requestId: String(request.id) };
}

/** Appends inside a write that also makes the change (management routes): both or neither. */
export function auditInTx(tx: StoreTx, request: FastifyRequest, action: string, subjectId: string | null, detail: Record<string, unknown>, atMs: number): Promise<void> {
  return tx.appendAudit(auditRecordOf(request, action, subjectId, detail, atMs));
}

/** Appends in a write of its own, after a change made elsewhere (the engine's follow-ups, fee plans, exports). */
export function auditAfter(store: Pick<Store, 'write'>, request: FastifyRequest, action: string, subjectId: string | null, detail: Record<string, unknown>, atMs: number): Promise<void> {
  return store.write((tx) => tx.appendAudit(auditRecordOf(request, action, subjectId, detail, atMs)));
}
