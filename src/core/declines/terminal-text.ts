import type { Diagnosis } from './diagnosis.ts';
import type { Language } from '../vocabulary.ts';
/** DE 44 verdict text. */
export function terminalVerdictText(d: Diagnosis): string { throw new Error('terminalVerdictText: not implemented yet ' + d.code); }
/** DE 63 cashier message. */
export function cashierMessage(d: Diagnosis, lang: Language, maxBytes = 120): string { throw new Error('cashierMessage: not implemented yet ' + lang + maxBytes + d.code); }
