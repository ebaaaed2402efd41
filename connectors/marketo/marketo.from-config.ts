// The Marketo connectors built from the config file: the one place that reads the `marketo`, `source`,
// `fields`, `crm` and `history` sections for Marketo. Everything built from one instance shares one API client,
// so one limiter, one token and one quota count cover all of its calls. Used by `run`, `backfill`, `doctor`,
// `setup marketo` and `demo --source marketo`.
import type { Config } from '../../src/config/index.js';
import { InputError } from '../../src/domain/errors.js';
import { historyProperties } from '../../src/domain/history.js';
import type { Crm } from '../../src/ports/crm.js';
import type { HistorySource } from '../../src/ports/history-source.js';
import type { Logger } from '../../src/ports/logger.js';
import {
  createMarketoApi,
  type MarketoApi,
  type MarketoClientOptions,
  type MarketoQuotaNotice,
} from './marketo.client.js';
import { createMarketoCrm } from './marketo.crm.js';
import { createMarketoHistorySource } from './marketo.history.js';
import {
  createMarketoLeadSource,
  selectedFields,
  type MarketoLeadSource,
  type MarketoMqlCriterion,
} from './marketo.lead-source.js';
import { setupMarketo, type MarketoCheckLine, type MarketoSetupResult } from './marketo.setup.js';

export interface MarketoConnectors {
  leadSource(): MarketoLeadSource;
  crm(): Crm;
  historySource(): HistorySource;
  /** The `doctor` lines: token, permissions, fields, quota. */
  check(): Promise<MarketoCheckLine[]>;
  /** `setup marketo`: the same checks plus the fields an admin still has to create. */
  setup(): Promise<MarketoSetupResult>;
  /** The shared client (call counts for the bench and the demo). */
  api(): MarketoApi;
}

export function quotaNoticeText(n: MarketoQuotaNotice): string {
  return n.level === 'exceeded'
    ? `Marketo refused calls: the daily API quota is used up (${n.used}/${n.quota}). Polling and write-back pause until it resets (midnight US Central).`
    : `Marketo API usage is at ${Math.round((n.used / n.quota) * 100)}% of the daily quota (${n.used}/${n.quota}); polling slowed down.`;
}

/** Throws config.invalid when the config has no marketo section. */
export function marketoFromConfig(
  config: Config,
  deps: { logger: Logger; onQuotaWarning?: (text: string, level: MarketoQuotaNotice['level']) => void },
): MarketoConnectors {
  const mk = config.marketo;
  if (!mk) throw new InputError('config.invalid', ['marketo: the section is needed when Marketo is used']);
  const logger = deps.logger.child({ component: 'marketo' });
  const client: MarketoClientOptions = {
    baseUrl: mk.baseUrl,
    identityUrl: mk.identityUrl,
    clientId: mk.clientId,
    clientSecret: mk.clientSecret,
    dailyQuota: mk.dailyQuota,
    warnAtPercent: mk.warnAtPercent,
    ratePer20s: mk.ratePer20s,
  };
  const mql: MarketoMqlCriterion = {
    minScore: config.source.mql.minScore,
    status: config.source.mql.status,
    statusField: mk.statusField,
    dateField: config.source.mql.dateField,
  };
  const isSource = config.source.kind === 'marketo';
  const isCrm = config.crm.kind === 'marketo';
  let shared: MarketoApi | null = null;
  const api = (): MarketoApi =>
    (shared ??= createMarketoApi(client, {
      logger,
      ...(deps.onQuotaWarning
        ? { onQuota: (n: MarketoQuotaNotice) => deps.onQuotaWarning?.(quotaNoticeText(n), n.level) }
        : {}),
    }));
  const writeFields = isCrm
    ? [
        ...new Set([
          ...Object.keys(config.crm.onAccept.set),
          ...Object.keys(config.crm.onReject.set),
          ...Object.keys(config.crm.onRecycle.set),
          ...(mk.ownerField ? [mk.ownerField] : []),
        ]),
      ]
    : [];
  const checkOptions = {
    client,
    readFields: isSource ? selectedFields(config.fields, mql).filter((f) => f !== 'id') : [],
    writeFields,
    activityTypeIds: isSource ? mk.activityTypeIds : [],
    writes: isCrm,
  };

  return {
    leadSource: () =>
      createMarketoLeadSource(
        { activityTypeIds: mk.activityTypeIds, mql, fields: config.fields, overlapMs: config.source.overlap },
        { api: api() },
      ),
    crm: () => createMarketoCrm({}, { api: api() }),
    historySource: () =>
      createMarketoHistorySource(
        {
          activityTypeIds: mk.activityTypeIds,
          mql,
          fields: config.fields,
          extraFields: historyProperties(config.history),
        },
        { api: api() },
      ),
    check: async () => (await setupMarketo(checkOptions, { logger })).lines,
    setup: () => setupMarketo(checkOptions, { logger }),
    api,
  };
}
