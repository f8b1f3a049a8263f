// The QR sandbox's admin routes, on the sandbox's own port under /sandbox/ (no provider path starts
// there): GET /sandbox/healthz, GET /sandbox/book[?provider=NAME], GET /sandbox/faults,
// PUT /sandbox/faults, POST /sandbox/reset, GET /sandbox/codes. Like the issuer simulator's admin API
// (src/sim/issuer/issuer-admin-api.ts), for tests and operators checking the money.
import { isReswipeError, ReswipeError } from '../../core/errors/reswipe-error.ts';
import { mergeQrFaultSettings, type QrFaultSettings } from './qr-fault-plan.ts';
import type { QrSandboxProvider } from './qr-sandbox-provider.ts';

export const sandboxAdminPrefix = '/sandbox/';

/** What the admin routes may read and change of a running sandbox. */
export interface QrSandboxControl {
  readonly providers: readonly QrSandboxProvider[];
  readonly seed: number;
  faults(): QrFaultSettings;
  setFaults(settings: QrFaultSettings): void;
  stats(): unknown;
  reset(): void;
}

export interface AdminAnswer {
  readonly status: number;
  readonly body: string;
}

function json(status: number, body: unknown): AdminAnswer {
  return { status, body: `${JSON.stringify(body, null, 2)}\n` };
}

function error(status: number, code: string, message: string, field?: string): AdminAnswer {
  return json(status, { error: { code, message, field } });
}

/** Answers one admin request; `body` is already read and bounded by the server. */
export function answerAdminRequest(control: QrSandboxControl, method: string, url: URL, body: string): AdminAnswer {
  const where = `${method} ${url.pathname}`;
  try {
    switch (where) {
      case 'GET /sandbox/healthz':
        return json(200, { status: 'ok', seed: control.seed, providers: control.providers.map((provider) => provider.name) });
      case 'GET /sandbox/book': {
        const wanted = url.searchParams.get('provider');
        const chosen = control.providers.filter((provider) => wanted === null || provider.name === wanted);
        if (chosen.length === 0) return error(404, 'NOT_FOUND', `no provider ${wanted ?? ''}`, 'provider');
        return json(200, { ...Object.fromEntries(chosen.map((provider) => [provider.name, provider.view()])), stats: control.stats() });
      }
      case 'GET /sandbox/faults':
        return json(200, control.faults());
      case 'PUT /sandbox/faults': {
        let update: unknown;
        try {
          update = JSON.parse(body);
        } catch {
          throw new ReswipeError('RSW_SIM_FAULTS_INVALID', { reason: 'the body is not JSON' });
        }
        control.setFaults(mergeQrFaultSettings(control.faults(), update));
        return json(200, control.faults());
      }
      case 'POST /sandbox/reset':
        control.reset();
        return json(200, { status: 'reset' });
      case 'GET /sandbox/codes':
        return json(200, Object.fromEntries(control.providers.map((provider) => [provider.name, provider.magicCodes()])));
      default:
        return error(404, 'NOT_FOUND', `no route ${where}; try GET /sandbox/healthz, GET /sandbox/book, GET|PUT /sandbox/faults, POST /sandbox/reset, GET /sandbox/codes`);
    }
  } catch (caught) {
    if (isReswipeError(caught)) return error(caught.httpStatus, caught.code, caught.message, caught.field);
    throw caught;
  }
}
