import type { Diagnosis, NonCodeOutcome } from './diagnosis.ts';
/** Classifies an outcome that carries no response code. */
export function classifyOutcome(kind: NonCodeOutcome): Diagnosis { throw new Error('classifyOutcome: not implemented yet ' + kind); }
