// Audit records of HTTP actions: who (the key id), when, from where (the client address as Fastify
// sees it, after http.trustProxy), which request (the id in the request log line) and what. The
// audit log is append-only: the store port has no update or delete for it, and migration 0011 makes
// the database refuse both (docs/http-api.md "Audit log").
import type { FastifyRequest } from 'fastify';
import type { AuditRecord, Store, StoreTx } from '../../core/ports/store.ts';
import { actorOf, randomBase62 } from './auth.ts';
import { isReswipeError } from '../../core/errors/reswipe-error.ts';
import type { LoggerLike } from '../../core/ports/channel.ts';

/** The audit record of an action taken by a request. */
export function auditRecordOf(request: FastifyRequest, action: string, subjectId: string | null, detail: Record<string, unknown>, atMs: number): AuditRecord {
  return { id: `aud_${randomBase62(20)}`, actor: actorOf(request.principal), action, subjectId, detail, atMs, clientAddress: request.ip, requestId: String(request.id) };
}

/** Appends inside a write that also makes the change (management routes): both or neither. */
export function auditInTx(tx: StoreTx, request: FastifyRequest, action: string, subjectId: string | null, detail: Record<string, unknown>, atMs: number): Promise<void> {
  return tx.appendAudit(auditRecordOf(request, action, subjectId, detail, atMs));
}

/**
 * Appends in a write of its own, after a change made elsewhere (the engine's follow-ups, fee plans,
 * exports). The change already happened, so a failed audit write must not turn a true answer into an
 * error: it is logged (with the request id, to find the action in the request log) and the answer stands.
 */
export async function auditAfter(
  deps: { store: Pick<Store, 'write'>; logger: LoggerLike },
  request: FastifyRequest,
  action: string,
  subjectId: string | null,
  detail: Record<string, unknown>,
  atMs: number,
): Promise<void> {
  try {
    await deps.store.write((tx) => tx.appendAudit(auditRecordOf(request, action, subjectId, detail, atMs)));
  } catch (error) {
    deps.logger.error({ requestId: request.id, action, subjectId, error: isReswipeError(error) ? error.code : 'unknown' }, 'audit record could not be written');
  }
}
