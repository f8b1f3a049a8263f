// One HTTP POST of a webhook delivery or a chat message, bounded in every way a receiver could hurt
// the gateway: a total timeout, at most `responseBytesMax` of the answer read, and no redirect
// followed (a 3xx is a failed try, so a receiver cannot send signed bodies to another host). It never
// throws: the outcome is data the delivery worker records.

export interface HttpPostResult {
  /** The HTTP status, or null when none came (refused, timed out, reset). */
  readonly status: number | null;
  readonly ok: boolean;
  /** Why the try failed (never the body sent); null on a 2xx. */
  readonly error: string | null;
  readonly durationMs: number;
  /** The start of the receiver's answer, for the log; at most responseBytesMax bytes. */
  readonly responseText: string;
}

export interface HttpPostOptions {
  readonly timeoutMs: number;
  readonly responseBytesMax: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export async function httpPost(url: string, body: string, options: HttpPostOptions): Promise<HttpPostResult> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'reswipe-webhooks/1', ...options.headers },
      redirect: 'manual',
      signal: controller.signal,
    });
    const responseText = await readAtMost(response, options.responseBytesMax);
    const ok = response.status >= 200 && response.status < 300;
    const error = ok ? null : response.status >= 300 && response.status < 400 ? `HTTP ${response.status}: redirects are not followed` : `HTTP ${response.status}`;
    return { status: response.status, ok, error, durationMs: elapsed(), responseText };
  } catch (error) {
    const reason = controller.signal.aborted ? `no answer within ${options.timeoutMs} ms` : describeFetchError(error);
    return { status: null, ok: false, error: reason, durationMs: elapsed(), responseText: '' };
  } finally {
    clearTimeout(timer);
  }
}

async function readAtMost(response: Response, bytesMax: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < bytesMax) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.length;
    }
  } finally {
    // The rest is never read: a receiver streaming megabytes costs one chunk.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, bytesMax).toString('utf8');
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  return (code ?? (error instanceof Error ? error.message : 'request failed')).slice(0, 200);
}
