// The Salesforce connectors built from the config file: the one place that reads the `salesforce`,
// `source`, `fields`, `crm` and `history` sections for Salesforce. Everything built from one instance
// shares one connection (one session, one view of the org's API usage). Used by `run`, `backfill`,
// `doctor` and `setup salesforce`.
//
// jsforce is large (about 35 MB resident), so this file imports the modules that load it only when
// `salesforceFromConfig` is called: a HubSpot-only worker never loads them.
import type { Config } from '../../src/config/index.js';
import { InputError } from '../../src/domain/errors.js';
import { isFreeEmailDomain } from '../../src/domain/free-email-domains.js';
import { historyProperties } from '../../src/domain/history.js';
import type { Crm } from '../../src/ports/crm.js';
import type { HistorySource } from '../../src/ports/history-source.js';
import type { Logger } from '../../src/ports/logger.js';
import type { SalesforceConnection } from './salesforce.connection.js';
import type { SalesforceLeadSource, SalesforceLimitWarning } from './salesforce.lead-source.js';
import type { SalesforceSetupOptions, SalesforceSetupResult, SetupLine } from './salesforce.setup.js';

export interface SalesforceConnectors {
  /** `onLimitWarning` gets a sentence for the admins when the org's daily API allowance runs low or out. */
  leadSource(options?: { onLimitWarning?: (text: string) => void }): SalesforceLeadSource;
  crm(): Crm;
  /** Past MQLs for `backfill`, with the fields the history rules read. */
  historySource(): HistorySource;
  /** The `doctor` lines: login, the Lead fields read and written, permissions. */
  check(): Promise<SetupLine[]>;
  /** `setup salesforce`: the same checks plus the custom fields still to create. */
  setup(): Promise<SalesforceSetupResult>;
}

/** Throws config.invalid when the config has no salesforce section. */
export async function salesforceFromConfig(config: Config, deps: { logger: Logger }): Promise<SalesforceConnectors> {
  const sf = config.salesforce;
  if (!sf) throw new InputError('config.invalid', ['salesforce: the section is needed when Salesforce is used']);
  const [connectionModule, sourceModule, crmModule, historyModule, setupModule] = await Promise.all([
    import('./salesforce.connection.js'),
    import('./salesforce.lead-source.js'),
    import('./salesforce.crm.js'),
    import('./salesforce.history.js'),
    import('./salesforce.setup.js'),
  ]);
  const logger = deps.logger.child({ component: 'salesforce' });
  const connectionOptions = { loginUrl: sf.loginUrl, apiVersion: sf.apiVersion, auth: sf.auth };
  let shared: SalesforceConnection | null = null;
  const connection = (): SalesforceConnection =>
    (shared ??= connectionModule.createSalesforceConnection(connectionOptions, { logger }));
  const status = config.source.mql.status ?? 'Marketing Qualified';
  const setupOptions: SalesforceSetupOptions = {
    connection: connectionOptions,
    mql: { status, minScore: config.source.mql.minScore },
    fields: config.source.kind === 'salesforce' ? config.fields : {},
    mqlDateField: config.source.mql.dateField,
    writes: {
      onAccept: config.crm.onAccept.set,
      onReject: config.crm.onReject.set,
      onRecycle: config.crm.onRecycle.set,
    },
    notes: config.crm.onAccept.note || config.crm.onReject.note,
  };

  return {
    leadSource: (options = {}) =>
      sourceModule.createSalesforceLeadSource(
        {
          mql: { status, minScore: config.source.mql.minScore },
          fields: config.fields,
          mqlDateField: config.source.mql.dateField,
          overlapMs: config.source.overlap,
        },
        {
          connection: connection(),
          logger,
          ...(options.onLimitWarning
            ? { onLimitWarning: (w: SalesforceLimitWarning) => options.onLimitWarning?.(limitWarningText(w)) }
            : {}),
        },
      ),
    crm: () => crmModule.createSalesforceCrm({}, { connection: connection(), logger, isFreeEmailDomain }),
    historySource: () =>
      historyModule.createSalesforceHistorySource(
        {
          mql: { status },
          fields: config.fields,
          mqlDateField: config.source.mql.dateField,
          extraFields: historyProperties(config.history),
        },
        { connection: connection(), logger },
      ),
    // The checks log in on their own connection: doctor and setup report its failures as lines.
    check: () => setupModule.checkSalesforce(setupOptions, { logger }),
    setup: () => setupModule.setupSalesforce(setupOptions, { logger }),
  };
}

function limitWarningText(w: SalesforceLimitWarning): string {
  return w.level === 'exceeded'
    ? `Salesforce refused requests: the org's daily API allowance is used up (${w.used}/${w.limit}). Polling is paused.`
    : `Salesforce API usage is at ${Math.round(w.fraction * 100)}% of the daily allowance (${w.used}/${w.limit}); polling slowed down.`;
}
