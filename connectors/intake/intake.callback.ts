// Sends decisions to an intake source's callback URL, signed like intake deliveries (X-Handoff-Timestamp,
// X-Handoff-Signature over "<timestamp>.<body>" with the source's secret). Failures are classified for the
// outbox, which retries them.
import { ConnectorError, type Failure } from '../../src/ports/failure.js';
import type { DecisionCallbackMessage, DecisionCallbacks } from '../../src/ports/decision-callback.js';
import { signIntake } from './intake.signature.js';

export interface CallbackTarget {
  url: string;
  secret: string;
}

const TIMEOUT_MS = 10_000;

function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** An HTTP answer that is not 2xx, as a failure. Every one is retried: a decision is never dropped. */
export function classifyCallbackStatus(status: number, retryAfter: string | null): Failure {
  const after = retryAfterMs(retryAfter);
  const base = { reason: `callback answered HTTP ${status}`, ...(after !== undefined ? { retryAfterMs: after } : {}) };
  if (status === 429) return { kind: 'rate_limited', ...base };
  if (status === 401 || status === 403) return { kind: 'auth', ...base };
  return { kind: 'transient', ...base };
}

export function createDecisionCallbacks(
  targets: Record<string, CallbackTarget>,
  options: { now?: () => number; fetch?: typeof fetch } = {},
): DecisionCallbacks {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  return {
    async send(message: DecisionCallbackMessage): Promise<void> {
      const target = targets[message.sourceId];
      if (!target)
        throw new ConnectorError('intake', {
          kind: 'invalid',
          reason: `intake source ${message.sourceId} has no callback URL`,
        });
      const text = JSON.stringify(message.body);
      let res: Response;
      try {
        res = await doFetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-handoff-delivery': message.deliveryId,
            ...signIntake(target.secret, text, now()),
          },
          body: text,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        throw new ConnectorError(
          'intake',
          { kind: 'transient', reason: `callback unreachable: ${err instanceof Error ? err.message : String(err)}` },
          { cause: err },
        );
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return;
      throw new ConnectorError('intake', classifyCallbackStatus(res.status, res.headers.get('retry-after')));
    },
  };
}

/** Doctor: can a TCP connection to the callback's host and port be opened? Sends nothing. */
export async function checkCallbackReachable(url: string, timeoutMs = 5_000): Promise<{ ok: boolean; detail: string }> {
  const { connect } = await import('node:net');
  const target = new URL(url);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: target.hostname, port });
    const done = (ok: boolean, detail: string): void => {
      socket.destroy();
      resolve({ ok, detail });
    };
    socket.setTimeout(timeoutMs, () => done(false, `${target.host}: no connection within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(true, `${target.host} accepts connections`));
    socket.once('error', (err) => done(false, `${target.host}: ${err.message}`));
  });
}
