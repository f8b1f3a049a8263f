import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the config area. Codes are stable: add new ones, never rename or reuse. */
export const configErrors = defineErrors([
] as const);
