// The JSON shape of a merchant's standing, shared by the HTTP route and `reswipe standing --json`.
import type { MerchantStanding } from './merchant-standing.ts';

export function toStandingView(standing: MerchantStanding): Record<string, unknown> {
  return {
    merchantId: standing.merchantId,
    month: standing.month,
    asOf: new Date(standing.asOfMs).toISOString(),
    state: standing.state,
    truncated: standing.truncated,
    measures: standing.measures.map((measure) => ({ ...measure, ...(measure.worstCards === undefined ? {} : { worstCards: measure.worstCards.map((card) => ({ ...card })) }) })),
  };
}
