// A Marketo emulator and a client that share one controllable clock: the client's waits (limiter, backoff)
// advance the clock instead of sleeping, so tests of 20-second windows and token expiry run at once.
import { startMarketoEmulator, type MarketoEmulator } from '../../../connectors/marketo/emulator/index.js';
import {
  createMarketoApi,
  type MarketoApi,
  type MarketoClientOptions,
} from '../../../connectors/marketo/marketo.client.js';
import type { MarketoQuotaNotice } from '../../../connectors/marketo/marketo.client.js';
import { recordingLogger } from '../../helpers/recording-logger.js';

export const CLIENT = { clientId: 'test-marketo-client', clientSecret: 'test-marketo-secret' };

export interface MarketoRig {
  emulator: MarketoEmulator;
  api: MarketoApi;
  clock: { now: number };
  /** Every wait the client asked for (ms). */
  waits: number[];
  notices: MarketoQuotaNotice[];
  logger: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

export async function marketoRig(
  options: {
    emulator?: Partial<Parameters<typeof startMarketoEmulator>[0]>;
    client?: Partial<MarketoClientOptions>;
  } = {},
): Promise<MarketoRig> {
  const clock = { now: Date.parse('2026-12-07T10:00:00Z') };
  const now = (): number => clock.now;
  const emulator = await startMarketoEmulator({ clients: [CLIENT], now, ...options.emulator });
  const waits: number[] = [];
  const notices: MarketoQuotaNotice[] = [];
  const logger = recordingLogger();
  const api = createMarketoApi(
    { baseUrl: emulator.url, ...CLIENT, ...options.client },
    {
      logger,
      now,
      random: () => 0.5,
      onQuota: (n) => notices.push(n),
      sleep: (ms, signal) => {
        waits.push(ms);
        clock.now += ms;
        return Promise.resolve(!signal?.aborted);
      },
    },
  );
  return { emulator, api, clock, waits, notices, logger, close: () => emulator.close() };
}
