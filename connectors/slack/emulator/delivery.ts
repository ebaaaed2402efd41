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
  /** The app's Server-Timing answer header, when it sent one (HTTP mode). */
  serverTiming?: string;
}

/** One signed HTTP-mode request, ready to go: what an HttpTransport sends. */
export interface HttpTransportRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** What came back: status 0 when nothing came back in time; ackMs from the moment the request was sent. */
export interface HttpTransportAnswer {
  status: number;
  body: string;
  ackMs: number;
  serverTiming?: string;
}

/**
 * Sends the emulator's HTTP-mode requests in its place (control.setHttpTransport), e.g. from another process: a
 * benchmark times the app's acks from a client that is not also busy playing Slack's Web API.
 */
export type HttpTransport = (request: HttpTransportRequest) => Promise<HttpTransportAnswer>;

function parseAnswer(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
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
    const sendHeaders: Record<string, string> = {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
      ...headers,
    };
    if (state.httpTransport !== null) {
      const answer = await state.httpTransport({
        url: state.requestUrl,
        headers: sendHeaders,
        body,
        timeoutMs: ackTimeoutMs,
      });
      return {
        via: 'http',
        status: answer.status,
        body: parseAnswer(answer.body),
        ackMs: answer.ackMs,
        ...(answer.serverTiming !== undefined ? { serverTiming: answer.serverTiming } : {}),
      };
    }
    const started = performance.now();
    return new Promise<DeliveryResult>((resolve, reject) => {
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: sendHeaders,
          timeout: ackTimeoutMs,
        },
        (res) => {
          const ackMs = performance.now() - started;
          const serverTiming = res.headers['server-timing'];
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({
              via: 'http',
              status: res.statusCode ?? 0,
              body: parseAnswer(Buffer.concat(chunks).toString('utf8')),
              ackMs,
              ...(typeof serverTiming === 'string' ? { serverTiming } : {}),
            });
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
