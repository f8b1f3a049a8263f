import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the decline area. Codes are stable: add new ones, never rename or reuse. */
export const declineErrors = defineErrors([
] as const);
