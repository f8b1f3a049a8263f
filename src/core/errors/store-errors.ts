import { defineErrors } from './error-definition.ts';

/** Error definitions owned by the store area. Codes are stable: add new ones, never rename or reuse. */
export const storeErrors = defineErrors([
] as const);
