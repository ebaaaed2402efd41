// Reading and answering the HTTP requests the emulator itself receives (Web API, response_url, control).
import { readBody } from '../../../src/runtime/read-body.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request body as text, refused past `limit` bytes. */
export async function readText(req: IncomingMessage, limit = 2_000_000): Promise<string> {
  const body = await readBody(req, limit);
  if (body === null) throw new Error('body too large');
  return body.toString('utf8');
}

/** Answers with JSON, or with plain text when the body is a string (Slack's 5xx pages, response_url's "ok"). */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(text);
}
