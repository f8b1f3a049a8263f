// The routing table of the terminal link: which request a message is, from its MTI, DE 3 processing
// code and DE 25 condition code (docs/terminal-link.md, "What it accepts"), and what a request needs
// before it is handled: the follow-up use cases configured, and a connection that signed the terminal
// on (reversals and voids). A request MTI that is in no route is refused `12`; a known MTI with
// another processing code `40`.

/** What a routed request is; the parser turns each into its own typed request (parse-terminal-request.ts). */
export type TerminalRequestKind =
  | 'sale'
  | 'preauth'
  | 'completion'
  | 'void'
  | 'completion_void'
  | 'preauth_cancel'
  | 'refund'
  | 'balance'
  | 'settlement'
  | 'batch_upload'
  | 'terminal_reversal'
  | 'network_management';

export interface TerminalRoute {
  readonly mtis: readonly string[];
  /** DE 3; null matches any. */
  readonly processingCode: string | null;
  /** DE 25 (absent reads `00`): `06` only, anything but `06`, or any. */
  readonly condition: 'preauth' | 'not_preauth' | 'any';
  readonly kind: TerminalRequestKind;
  /** Handled by the follow-up use cases: refused `40` on a listener without them. */
  readonly needsFollowUps: boolean;
  /** Taken only on a connection that signed this terminal on: refused `77` otherwise. */
  readonly needsSignOn: boolean;
}

/** First match wins; the order only matters where a processing code is shared (DE 25 tells them apart). */
export const terminalRoutes: readonly TerminalRoute[] = Object.freeze([
  { mtis: ['0800'], processingCode: null, condition: 'any', kind: 'network_management', needsFollowUps: false, needsSignOn: false },
  { mtis: ['0200'], processingCode: '000000', condition: 'not_preauth', kind: 'sale', needsFollowUps: false, needsSignOn: false },
  { mtis: ['0200'], processingCode: '000000', condition: 'preauth', kind: 'completion', needsFollowUps: true, needsSignOn: false },
  { mtis: ['0200'], processingCode: '200000', condition: 'not_preauth', kind: 'void', needsFollowUps: true, needsSignOn: true },
  { mtis: ['0200'], processingCode: '200000', condition: 'preauth', kind: 'completion_void', needsFollowUps: true, needsSignOn: true },
  { mtis: ['0200'], processingCode: '310000', condition: 'any', kind: 'balance', needsFollowUps: true, needsSignOn: false },
  { mtis: ['0100'], processingCode: '030000', condition: 'any', kind: 'preauth', needsFollowUps: false, needsSignOn: false },
  { mtis: ['0100'], processingCode: '200000', condition: 'any', kind: 'preauth_cancel', needsFollowUps: true, needsSignOn: true },
  { mtis: ['0220', '0221'], processingCode: '200000', condition: 'any', kind: 'refund', needsFollowUps: true, needsSignOn: false },
  { mtis: ['0500'], processingCode: null, condition: 'any', kind: 'settlement', needsFollowUps: true, needsSignOn: false },
  { mtis: ['0320'], processingCode: null, condition: 'any', kind: 'batch_upload', needsFollowUps: true, needsSignOn: false },
  { mtis: ['0400', '0401'], processingCode: null, condition: 'any', kind: 'terminal_reversal', needsFollowUps: false, needsSignOn: true },
] satisfies TerminalRoute[]);

const routedMtis: ReadonlySet<string> = new Set(terminalRoutes.flatMap((route) => route.mtis));

/** The route of a request message, or the DE 39 its refusal carries: `40` for a known MTI with another processing code, `12` for any other MTI. */
export function routeOf(mti: string, processingCode: string, conditionCode: string): TerminalRoute | { unrouted: '40' | '12' } {
  const preauth = conditionCode === '06';
  for (const route of terminalRoutes) {
    if (!route.mtis.includes(mti)) continue;
    if (route.processingCode !== null && route.processingCode !== processingCode) continue;
    if (route.condition === 'preauth' && !preauth) continue;
    if (route.condition === 'not_preauth' && preauth) continue;
    return route;
  }
  return { unrouted: routedMtis.has(mti) ? '40' : '12' };
}
