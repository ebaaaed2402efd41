// What every part of the Salesforce emulator answers with: JSON bodies, and the error array Salesforce uses
// ([{ errorCode, message, fields? }]) for a request it refuses.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A status and a JSON body (none when undefined) that a handler hands back to the router. */
export interface Answer {
  status: number;
  body: unknown;
}

/** A failure Salesforce reports as an error array: [{ errorCode, message, fields? }]. */
export class SfApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}), ...headers });
  res.end(text);
}

/** Salesforce's answer for a resource it does not have. */
export const NOT_FOUND = 'The requested resource does not exist';
