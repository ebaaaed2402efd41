// The HubSpot connectors built from the config file: the one place that reads the `hubspot`, `source`,
// `fields`, `crm` and `history` sections for HubSpot. Everything built from one instance shares one API
// client, so one rate limiter counts all of its calls. Used by `run`, `backfill`, `doctor`,
// `setup hubspot` and `demo`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../src/config/index.js';
import { InputError } from '../../src/domain/errors.js';
import { isFreeEmailDomain } from '../../src/domain/free-email-domains.js';
import { historyProperties } from '../../src/domain/history.js';
import type { Crm } from '../../src/ports/crm.js';
import type { HistorySource } from '../../src/ports/history-source.js';
import type { LeadSource } from '../../src/ports/lead-source.js';
import type { Logger } from '../../src/ports/logger.js';
import { createHubspotApi, type HubspotApi, type HubspotClientOptions } from './hubspot.client.js';
import { createHubspotCrm } from './hubspot.crm.js';
import { createHubspotHistorySource } from './hubspot.history.js';
import { createHubspotLeadSource } from './hubspot.lead-source.js';
import { checkHubspot, setupHubspot, type CheckLine, type HubspotSetupResult } from './hubspot.setup.js';
import { createHubspotWebhookHandler } from './hubspot.webhooks.js';

export interface HubspotConnectors {
  leadSource(): LeadSource;
  crm(): Crm;
  /** POST /webhooks/hubspot, or null when no webhook secret is configured (webhooks are off). */
  webhookHandler(
    onContactIds: (ids: string[]) => Promise<void>,
  ): ((req: IncomingMessage, res: ServerResponse) => void) | null;
  /** Past MQLs for `backfill`, with the properties the history rules read. */
  historySource(): HistorySource;
  /** The `doctor` lines: token, scopes, the mapped and written properties. */
  check(): Promise<CheckLine[]>;
  /** `setup hubspot`: the property group and the properties handoff writes, created idempotently. */
  setup(): Promise<HubspotSetupResult>;
}

/** Throws config.invalid when the config has no hubspot section. */
export function hubspotFromConfig(config: Config, deps: { logger: Logger }): HubspotConnectors {
  const hs = config.hubspot;
  if (!hs) throw new InputError('config.invalid', ['hubspot: the section is needed when HubSpot is used']);
  const logger = deps.logger.child({ component: 'hubspot' });
  const client: HubspotClientOptions = { token: hs.token, baseUrl: hs.baseUrl, rateLimitPer10s: hs.rateLimit };
  const mql = {
    lifecycleStage: config.source.mql.lifecycleStage ?? 'marketingqualifiedlead',
    minScore: config.source.mql.minScore,
  };
  let shared: HubspotApi | null = null;
  const api = (): HubspotApi => (shared ??= createHubspotApi(client, { logger }));

  return {
    leadSource: () =>
      createHubspotLeadSource(
        { ...client, mql, fields: config.fields, overlapMs: config.source.overlap, portalId: hs.portalId },
        { logger, api: api() },
      ),
    crm: () => createHubspotCrm(client, { logger, api: api(), isFreeEmailDomain }),
    webhookHandler: (onContactIds) =>
      hs.webhookSecret
        ? createHubspotWebhookHandler({
            clientSecret: hs.webhookSecret,
            ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
            onContactIds,
            logger,
            // A burst's concurrent deliveries become one set of ids (full batch reads); a lone delivery waits 20 ms.
            coalesceMs: 20,
          })
        : null,
    historySource: () =>
      createHubspotHistorySource(
        {
          ...client,
          mql,
          fields: config.fields,
          dateProperty: config.source.mql.dateField,
          extraProperties: historyProperties(config.history),
          portalId: hs.portalId,
        },
        { logger, api: api() },
      ),
    // Doctor probes with one attempt per call, so a bad token answers at once instead of after retries.
    check: () =>
      checkHubspot(
        {
          ...client,
          ...(config.source.kind === 'hubspot' ? { fields: config.fields } : {}),
          ...(config.crm.kind === 'hubspot' ? { writeProperties: writtenProperties(config) } : {}),
        },
        { logger },
      ),
    setup: () => setupHubspot({ ...client, rejectionReasons: config.rejectionReasons }, { logger, api: api() }),
  };
}

/** Properties handoff writes to the CRM, from the write-back sections. */
function writtenProperties(config: Config): string[] {
  return [
    ...new Set([
      ...Object.keys(config.crm.onAccept.set),
      ...Object.keys(config.crm.onReject.set),
      ...Object.keys(config.crm.onRecycle.set),
    ]),
  ];
}
