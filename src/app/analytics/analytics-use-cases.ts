// Binds the analytics use cases (this folder) to the store, clock and business time zone, in the shape
// the analytics routes call (src/adapters/http/routes/analytics-routes.ts).
import type { AnalyticsUseCases } from '../../adapters/http/routes/analytics-routes.ts';
import type { AnalyticsDeps } from './analytics-scope.ts';
import { loadChannelAnalytics } from './load-channel-analytics.ts';
import { loadFailureBreakdown } from './load-failure-breakdown.ts';
import { loadTerminalAnalytics } from './load-terminal-analytics.ts';
import { loadToday } from './load-today.ts';

export function createAnalyticsUseCases(deps: AnalyticsDeps): AnalyticsUseCases {
  return {
    timeZone: deps.timeZone,
    today: (scope, query) => loadToday(deps, scope, query),
    failures: (scope, query) => loadFailureBreakdown(deps, scope, query),
    terminals: (scope, range, limit) => loadTerminalAnalytics(deps, scope, range, limit),
    channels: (scope, range) => loadChannelAnalytics(deps, scope, range),
  };
}
