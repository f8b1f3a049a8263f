import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the codec area. Codes are stable: add new ones, never rename or reuse. */
export const codecErrors = defineErrors([
] as const);
