import type { Diagnosis } from './diagnosis.ts';
// Work in progress: filled in shortly.
/** Classifies a DE 39 response code from upstream. */
export function classifyResponseCode(code: string): Diagnosis { throw new Error('classifyResponseCode: not implemented yet ' + code); }
/** The diagnosis of an approval: code '00', verdict 'none'. */
export function approvedDiagnosis(): Diagnosis { throw new Error('approvedDiagnosis: not implemented yet'); }
