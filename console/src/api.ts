// The console's only way to the gateway: same-origin fetch with the session cookie, the CSRF token on
// every state-changing request, and problem bodies (application/problem+json) turned into errors whose
// text the pages show as they are: the server words a refusal, the console does not invent one.
import { session, forgetSession } from './session.ts';

export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  retryAfterSeconds: number | null;
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title || problem.code);
    this.problem = problem;
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A fresh key per action: a click sent twice by the network is one payment, a second click is a new try. */
function idempotencyKey(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

async function problemOf(response: Response): Promise<Problem> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    body = {};
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return {
    status: response.status,
    code: typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
    title: typeof body.title === 'string' ? body.title : response.statusText,
    detail: typeof body.detail === 'string' ? body.detail : '',
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  };
}

async function send(method: string, path: string, body?: unknown, idempotent = false): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session.csrfToken !== null) headers['x-csrf-token'] = session.csrfToken;
  if (idempotent) headers['idempotency-key'] = idempotencyKey();
  const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) {
    const problem = await problemOf(response);
    // The session ended (idle timeout, logout elsewhere): back to the login page, except for the login itself.
    if (response.status === 401 && !path.startsWith('/v1/sessions')) forgetSession('expired');
    throw new ApiError(problem);
  }
  return response;
}

export async function getJson<T>(path: string, query?: Query): Promise<T> {
  return (await (await send('GET', withQuery(path, query))).json()) as T;
}

export async function postJson<T>(path: string, body: unknown, options: { idempotent?: boolean } = {}): Promise<T> {
  const response = await send('POST', path, body, options.idempotent ?? false);
  return (response.status === 204 ? null : await response.json()) as T;
}

export async function patchJson<T>(path: string, body: unknown): Promise<T> {
  return (await (await send('PATCH', path, body)).json()) as T;
}

export async function deleteRequest(path: string): Promise<void> {
  await send('DELETE', path);
}

/** Downloads a text answer (CSV) through the session and hands it to the browser as a file. */
export async function download(path: string, query: Query, fileName: string): Promise<void> {
  const response = await send('GET', withQuery(path, query));
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/** The words to show for a failed call: the server's detail, else its title, else the code. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) return `${error.problem.detail || error.problem.title} (${error.problem.code})`;
  return error instanceof Error ? error.message : String(error);
}
