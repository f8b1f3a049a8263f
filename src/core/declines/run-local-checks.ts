import type { BinTable } from '../cards/card-info.ts';
import type { LocalCheckInput, LocalCheckResult } from './local-check-types.ts';
/** Runs every check that needs no upstream. */
export function runLocalChecks(input: LocalCheckInput, binTable: BinTable): LocalCheckResult { throw new Error('runLocalChecks: not implemented yet ' + input.amountMinor + binTable.edition); }
