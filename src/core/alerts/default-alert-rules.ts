// The alert rules reswipe ships (docs/alerts.md lists them): one per kind the operations team should
// hear about on day one, with bounds chosen for a small acquirer. Operators change them in the config
// (`alerts.rules`, by id) or through PUT /v1/alert-rules/{id}; they are validated like any other rule.
import { parseAlertRules, type AlertRule } from './alert-rule.ts';

export const defaultAlertRules: readonly AlertRule[] = Object.freeze(
  parseAlertRules(
    [
      { id: 'merchant-failure-spike', kind: 'failure_rate_spike', severity: 'warning', params: { dimension: 'merchant' }, resolveAfterMs: 300_000 },
      { id: 'terminal-failure-spike', kind: 'failure_rate_spike', severity: 'warning', params: { dimension: 'terminal', attemptsMin: 10, baselineAttemptsMin: 20 }, resolveAfterMs: 300_000 },
      { id: 'channel-failure-spike', kind: 'failure_rate_spike', severity: 'critical', params: { dimension: 'channel' }, resolveAfterMs: 300_000 },
      { id: 'circuit-open', kind: 'circuit_open', severity: 'critical', repeatIntervalMs: 3_600_000 },
      { id: 'reversal-queue', kind: 'reversal_queue', severity: 'critical', repeatIntervalMs: 3_600_000, resolveAfterMs: 60_000 },
      { id: 'manual-handling', kind: 'manual_handling', severity: 'critical', groupBy: [], repeatIntervalMs: 4 * 3_600_000 },
      { id: 'terminal-unhealthy', kind: 'terminal_unhealthy', severity: 'warning', groupBy: ['terminalId'], repeatIntervalMs: 0 },
      { id: 'batch-unbalanced', kind: 'batch_unbalanced', severity: 'warning', groupBy: ['terminalId'] },
      { id: 'store-refusing-writes', kind: 'store_refusing_writes', severity: 'critical', repeatIntervalMs: 900_000 },
      { id: 'reswipe-block-surge', kind: 'reswipe_block_surge', severity: 'warning', resolveAfterMs: 600_000 },
      { id: 'recon-discrepancy-overdue', kind: 'recon_discrepancy_overdue', severity: 'warning', groupBy: ['channel'], repeatIntervalMs: 86_400_000 },
      { id: 'scheme-threshold', kind: 'scheme_threshold', severity: 'warning', groupBy: ['merchantId', 'measure'], repeatIntervalMs: 86_400_000 },
    ],
    'defaultAlertRules',
  ),
);
