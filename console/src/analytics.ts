// The shapes of the /v1/analytics answers the console draws (docs/analytics.md).

export interface FailureShare {
  name: string;
  failures: number;
  failuresMinor: number;
  lost: number;
  lostMinor: number;
  shareBps: number;
}

export interface TodayReport {
  date: string;
  timeZone: string;
  payments: number;
  sales: { count: number; amountMinor: number };
  failures: { count: number; amountMinor: number };
  approvalRateBps: number | null;
  failuresByArticleCause: FailureShare[];
  failuresByCause: FailureShare[];
  failuresByParty: FailureShare[];
  failuresByVerdict: FailureShare[];
  recovered: { count: number; amountMinor: number };
  lost: { count: number; amountMinor: number; windowMinutes: number };
  trend: Array<{ hour: number; start: string; sales: number; salesMinor: number; failures: number; approvalRateBps: number | null; yesterday: { sales: number; failures: number } }>;
  worst: { terminals: WorstRow[]; channels: WorstRow[] };
}

export interface WorstRow {
  id: string;
  answered: number;
  failures: number;
  failureRateBps: number;
}

export interface Figures {
  payments: number;
  sales: number;
  salesMinor: number;
  failures: number;
  failuresMinor: number;
  failureRateBps: number | null;
  lost: number;
  lostMinor: number;
  recovered: number;
  recoveredMinor: number;
  extraAttempts: number;
}

export interface FailureGroup {
  key: string;
  articleCause?: string;
  totals: Figures;
  previous?: Figures;
  series: Figures[];
  drillDown: { path: string; query: string; exact: boolean };
}

export interface FailureReport {
  by: string;
  interval: string;
  buckets: string[];
  totals: Figures;
  previous?: { totals: Figures };
  cost: { lost: number; lostMinor: number; extraAttempts: number; retryFeesMinor: number };
  groups: FailureGroup[];
  groupsTotal: number;
  truncated: boolean;
}
