import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the fee area. Codes are stable: add new ones, never rename or reuse. */
export const feeErrors = defineErrors([
] as const);
