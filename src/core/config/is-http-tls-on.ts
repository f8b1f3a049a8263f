import type { ReswipeConfig } from './config-schema.ts';

/** True when the HTTP API speaks TLS itself (http.tls is set): what HSTS and other https-only behaviour key on. */
export function isHttpTlsOn(config: { readonly http: Pick<ReswipeConfig['http'], 'tls'> }): boolean {
  return config.http.tls !== undefined;
}
