// The answer to "which channel would this sale take" (GET /v1/routing/explain): the real routing decision
// (rules, live settings, operator holds, channel health) for a sale described by its BIN, amount and
// merchant, with the reason each channel is used or skipped. Nothing is sent and no breaker is touched.
import type { CircuitState } from './channel-health.ts';
import type { CardBrand, CardType } from '../vocabulary.ts';

/** Why a channel is used for a sale, or why not (the first reason that applies, in this order). */
export type RouteChannelReason =
  | 'used'
  | 'not_in_route'
  | 'disabled'
  | 'draining'
  | 'not_running'
  | 'circuit_forced_open'
  | 'circuit_open'
  | 'half_open_no_trial';

export interface ExplainedChannel {
  name: string;
  /** 1 = tried first; null when skipped. */
  position: number | null;
  reason: RouteChannelReason;
  priority: number;
  disabled: boolean;
  draining: boolean;
  /** The circuit routing obeys (forced or the breaker's); null when this node does not run the channel. */
  circuit: CircuitState | null;
  forced: 'open' | 'closed' | null;
  /** Tried as a breaker trial (half-open, or the route's last reachable open channel). */
  trial: boolean;
}

export interface RouteExplanation {
  /** The winning rule's name, `default`, or `all-channels` (choose-route.ts). */
  rule: string;
  why: readonly string[];
  channels: ExplainedChannel[];
}

/** What GET /v1/routing/explain answers: the card as the BIN table reads the BIN, and the route. */
export interface SaleRouteExplanation extends RouteExplanation {
  brand: CardBrand;
  cardType: CardType;
}

/** The sale to explain: no card number, only its BIN. */
export interface SaleToExplain {
  bin: string;
  amountMinor: number;
  merchantId: string;
  mcc: string;
}
