// Shared set-up for the Salesforce connector tests: an emulator with a controllable clock and a connection to it.
import { createSalesforceConnection } from '../../../connectors/salesforce/salesforce.connection.js';
import type { SalesforceConnection } from '../../../connectors/salesforce/salesforce.connection.js';
import { startSalesforceEmulator } from '../../../connectors/salesforce/emulator/index.js';
import type { SalesforceEmulator, SalesforceEmulatorOptions } from '../../../connectors/salesforce/emulator/index.js';

export const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

export interface SalesforceRig {
  emu: SalesforceEmulator;
  conn: SalesforceConnection;
  clock: { now: number };
  /** Moves the emulator clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startRig(options: Partial<SalesforceEmulatorOptions> = {}): Promise<SalesforceRig> {
  const clock = { now: T0 };
  const emu = await startSalesforceEmulator({
    clients: [{ clientId: 'handoff', clientSecret: 'secret' }],
    now: () => clock.now,
    ...options,
  });
  const conn = createSalesforceConnection({
    loginUrl: emu.url,
    apiVersion: '62.0',
    auth: { flow: 'client_credentials', clientId: 'handoff', clientSecret: 'secret' },
    getRetries: 1,
  });
  return {
    emu,
    conn,
    clock,
    advance: (ms) => {
      clock.now += ms;
    },
    close: () => emu.close(),
  };
}

export async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iter) out.push(x);
  return out;
}
