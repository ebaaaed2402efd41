// Shared bits for the HubSpot connector tests.
import type { HubspotLogger } from '../../../connectors/hubspot/hubspot.client.js';

export interface LogEntry {
  level: 'info' | 'warn' | 'error' | 'debug';
  obj: object;
  msg: string | undefined;
}

/** A logger that records what it was told, so tests can assert on log lines. */
export function recordingLogger(entries: LogEntry[] = []): HubspotLogger & { entries: LogEntry[] } {
  const make = (): HubspotLogger & { entries: LogEntry[] } => ({
    entries,
    info: (obj: object | string, msg?: string) =>
      void entries.push(typeof obj === 'string' ? { level: 'info', obj: {}, msg: obj } : { level: 'info', obj, msg }),
    warn: (obj: object | string, msg?: string) =>
      void entries.push(typeof obj === 'string' ? { level: 'warn', obj: {}, msg: obj } : { level: 'warn', obj, msg }),
    error: (obj: object | string, msg?: string) =>
      void entries.push(typeof obj === 'string' ? { level: 'error', obj: {}, msg: obj } : { level: 'error', obj, msg }),
    debug: (obj: object | string, msg?: string) =>
      void entries.push(typeof obj === 'string' ? { level: 'debug', obj: {}, msg: obj } : { level: 'debug', obj, msg }),
    child: () => make(),
  });
  return make();
}

export const TOKEN = 'emulator-token';

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
