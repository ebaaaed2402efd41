// Slack handing a request to the app in HTTP mode: a POST to the request URL, signed with the signing secret,
// that the app must answer within 3 s. Also the result type both modes report back to tests.
import { createHmac } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { SlackState } from './state.js';

export interface Signing {
  /** Sign with this secret instead of the real one (a wrong signature). */
  secret?: string;
  /** Unix seconds to put in X-Slack-Request-Timestamp (a stale request). */
  timestamp?: number;
}

export interface DeliveryResult {
  via: 'http' | 'socket';
  /** HTTP status of the app's answer; 0 when nothing came back in time or the client refused to send. */
  status: number;
  /** The app's answer body (parsed JSON when it is JSON; the ack payload in Socket Mode). */
  body: unknown;
  /** Time until the app acknowledged. */
  ackMs: number;
  triggerId?: string;
  /** Client-side validation errors (a required modal field left empty): nothing was sent. */
  errors?: Record<string, string>;
}

/** X-Slack-Signature for a body: v0=hex(HMAC-SHA256(secret, "v0:ts:body")). */
export function signSlackRequest(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface HttpDelivery {
  deliver(
    body: string,
    contentType: string,
    signing: Signing | undefined,
    headers?: Record<string, string>,
  ): Promise<DeliveryResult>;
  close(): void;
}

export function createHttpDelivery(
  state: SlackState,
  settings: { signingSecret: string; ackTimeoutMs: number },
): HttpDelivery {
  const { signingSecret, ackTimeoutMs } = settings;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  async function deliver(
    body: string,
    contentType: string,
    signing: Signing | undefined,
    headers: Record<string, string> = {},
  ): Promise<DeliveryResult> {
    if (state.requestUrl === null) throw new Error('slack emulator: no request URL set and no Socket Mode connection');
    const target = new URL(state.requestUrl);
    const ts = signing?.timestamp ?? Math.floor(state.now() / 1000);
    const signature = signSlackRequest(signing?.secret ?? signingSecret, ts, body);
    const started = performance.now();
    return new Promise<DeliveryResult>((resolve, reject) => {
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: {
            'content-type': contentType,
            'content-length': Buffer.byteLength(body),
            'x-slack-request-timestamp': String(ts),
            'x-slack-signature': signature,
            ...headers,
          },
          timeout: ackTimeoutMs,
        },
        (res) => {
          const ackMs = performance.now() - started;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            if (text !== '') {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ via: 'http', status: res.statusCode ?? 0, body: parsed, ackMs });
          });
          res.on('error', reject);
        },
      );
      // Slack gives up after 3 s and shows the user an error; so does the emulator.
      req.on('timeout', () => {
        req.destroy();
        resolve({ via: 'http', status: 0, body: null, ackMs: performance.now() - started });
      });
      req.on('error', (err) => {
        if (req.destroyed && performance.now() - started >= ackTimeoutMs) return;
        reject(err);
      });
      req.end(body);
    });
  }

  return { deliver, close: () => agent.destroy() };
}
