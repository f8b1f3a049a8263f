import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the engine area. Codes are stable: add new ones, never rename or reuse. */
export const engineErrors = defineErrors([
] as const);
