// The one error catalogue. Each area of the product keeps its definitions in its own file below;
// this module joins them, checks that no code is defined twice and none is a retired code.
import type { ErrorDefinition } from './error-definition.ts';
import { generalErrors } from './general-errors.ts';
import { configErrors } from './config-errors.ts';
import { storeErrors } from './store-errors.ts';
import { codecErrors } from './codec-errors.ts';
import { declineErrors } from './decline-errors.ts';
import { engineErrors } from './engine-errors.ts';
import { feeErrors } from './fee-errors.ts';
import { manualHandlingErrors } from './manual-handling-errors.ts';
import { cardDataErrors } from './card-data-errors.ts';
import { securityErrors } from './security-errors.ts';
import { terminalKeyErrors } from './terminal-key-errors.ts';
import { accessErrors } from './access-errors.ts';
import { reconciliationErrors } from './reconciliation-errors.ts';
import { payoutErrors } from './payout-errors.ts';
import { notificationErrors } from './notification-errors.ts';
import { retiredErrorCodes } from './retired-error-codes.ts';

const all = [
  ...generalErrors,
  ...configErrors,
  ...storeErrors,
  ...codecErrors,
  ...declineErrors,
  ...engineErrors,
  ...feeErrors,
  ...manualHandlingErrors,
  ...cardDataErrors,
  ...securityErrors,
  ...terminalKeyErrors,
  ...accessErrors,
  ...reconciliationErrors,
  ...payoutErrors,
  ...notificationErrors,
] as const;

export type ErrorCode = (typeof all)[number]['code'];

function buildCatalogue(definitions: readonly ErrorDefinition[]): ReadonlyMap<string, ErrorDefinition> {
  const byCode = new Map<string, ErrorDefinition>();
  for (const definition of definitions) {
    if (byCode.has(definition.code)) throw new Error(`error code ${definition.code} is defined twice`);
    if (retiredErrorCodes.includes(definition.code)) throw new Error(`error code ${definition.code} is retired and may not be reused`);
    byCode.set(definition.code, Object.freeze({ ...definition }));
  }
  return byCode;
}

export const errorCatalogue: ReadonlyMap<string, ErrorDefinition> = buildCatalogue(all);
