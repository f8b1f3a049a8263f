// What the QR sandbox server (qr-sandbox-server.ts) needs of one provider it plays (WeChat Pay v2 in
// wechatpay-sandbox.ts; Alipay beside it): the paths it answers, how it answers one request, its book
// of trades and its magic codes. The server owns sockets, TLS, faults and the admin routes; a provider
// owns its protocol and its money.

/** Whether the caller showed a client certificate the sandbox trusts (HTTPS with a client CA only). */
export type ClientCertificateCheck = 'verified' | 'missing_or_untrusted' | 'not_checked';

export interface QrSandboxRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/pay/micropay`. */
  readonly path: string;
  /** The query string's parameters (Alipay sends its common parameters there). */
  readonly query: URLSearchParams;
  readonly contentType: string;
  readonly body: string;
  readonly clientCertificate: ClientCertificateCheck;
}

export interface QrSandboxAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The same answer with a signature that does not verify (the fault `badSignature`); null when the answer is unsigned. */
  readonly bodyWithBadSignature: string | null;
  /**
   * `silent`: the provider has done its work (money may have moved) and never answers: the magic
   * "no answer" codes. The server holds the connection until the client gives up.
   */
  readonly delivery: 'answer' | 'silent';
}

/** One row of a provider's magic-code table (docs/qr-sandbox.md, `reswipe qr-sim`). */
export interface QrMagicCode {
  readonly code: string;
  readonly outcome: string;
}

export interface QrSandboxProvider {
  /** `wechatpay-v2`, `alipay`: the key of its book and faults in the admin API. */
  readonly name: string;
  /** True for the paths this provider answers. */
  handles(path: string): boolean;
  handle(request: QrSandboxRequest): Promise<QrSandboxAnswer>;
  /** The book of trades as JSON for the admin API and tests. */
  view(): unknown;
  reset(): void;
  magicCodes(): readonly QrMagicCode[];
}
