// After a reload the cookie may still hold a session: ask the server once (401 = none).
import { getJson, ApiError } from './api.ts';
import { rememberSession, type SessionAnswer } from './session.ts';

let asked = false;
export async function restoreSession(): Promise<void> {
  if (asked) return;
  asked = true;
  try {
    rememberSession(await getJson<SessionAnswer>('/v1/sessions/current'));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
}
