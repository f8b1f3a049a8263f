// The manual-handling use cases bound to their dependencies, as the HTTP adapter sees them
// (src/core/ports/manual-handling-use-cases.ts); built by the composition root.
import type { ManualHandlingUseCases } from '../../core/ports/manual-handling-use-cases.ts';
import { getManualHandling, listManualHandling } from './load-manual-handling.ts';
import type { ManualHandlingDeps } from './manual-handling-deps.ts';
import { resolveManualPayment } from './resolve-manual-payment.ts';
import { retryManualReversal } from './retry-manual-reversal.ts';

export function createManualHandlingUseCases(deps: ManualHandlingDeps): ManualHandlingUseCases {
  return {
    list: (limit) => listManualHandling(deps.store, limit),
    get: (paymentId) => getManualHandling(deps.store, paymentId),
    resolve: (input) => resolveManualPayment(deps, input),
    retry: (input) => retryManualReversal(deps, input),
  };
}
