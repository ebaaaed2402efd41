// What every part of the Salesforce emulator answers with: JSON bodies, and the error array Salesforce uses
// ([{ errorCode, message, fields? }]) for a request it refuses.
import { readBody } from '../../../src/runtime/read-body.js';
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

/** The request body as text; the bound only guards the emulator (Salesforce's own limits are answered by handlers). */
export async function readText(req: IncomingMessage): Promise<string> {
  const body = await readBody(req, 8_000_000);
  if (body === null) throw new Error('request body over 8 MB');
  return body.toString('utf8');
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
