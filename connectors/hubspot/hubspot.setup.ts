// `handoff setup hubspot` (the property group and the properties we write, idempotently) and the HubSpot lines of
// `handoff doctor` (token, scopes, mapped properties).
import type { PropertyCreate, PropertyUpdate } from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { HANDOFF_STATES } from '../../src/domain/model.js';
import { isConnectorError } from '../../src/ports/failure.js';
import { createHubspotApi } from './hubspot.client.js';
import type { HubspotApi, HubspotClientDeps, HubspotClientOptions, HubspotLogger } from './hubspot.client.js';
import { HUBSPOT_SCOPES, classifyHubspotError } from './hubspot.errors.js';
import { expectShape, groupList, propertyList } from './hubspot.shapes.js';

export interface HubspotSetupOptions extends HubspotClientOptions {
  rejectionReasons: Array<{ id: string; label: string }>;
  groupName?: string;
  groupLabel?: string;
}

export interface HubspotSetupResult {
  created: string[];
  found: string[];
  updated: string[];
}

interface WantedProperty {
  name: string;
  label: string;
  type: 'string' | 'datetime' | 'enumeration';
  fieldType: 'text' | 'textarea' | 'date' | 'select';
  description: string;
  options?: Array<{ label: string; value: string }>;
}

const STATE_LABELS: Record<string, string> = {
  detected: 'Detected',
  offered: 'Offered',
  escalated: 'Escalated',
  accepted: 'Accepted (SAL)',
  rejected: 'Rejected',
  withdrawn: 'Withdrawn',
};

export function handoffProperties(reasons: Array<{ id: string; label: string }>): WantedProperty[] {
  return [
    {
      name: 'handoff_status',
      label: 'Hand-off status',
      type: 'enumeration',
      fieldType: 'select',
      description: 'Where the MQL hand-off to sales stands (written by handoff).',
      options: HANDOFF_STATES.map((s) => ({ label: STATE_LABELS[s] ?? s, value: s })),
    },
    {
      name: 'handoff_rejection_reason',
      label: 'Hand-off rejection reason',
      type: 'enumeration',
      fieldType: 'select',
      description: 'Why sales rejected the MQL (written by handoff).',
      options: reasons.map((r) => ({ label: r.label, value: r.id })),
    },
    {
      name: 'handoff_rejection_note',
      label: 'Hand-off rejection note',
      type: 'string',
      fieldType: 'textarea',
      description: "The rep's comment on a rejection.",
    },
    {
      name: 'handoff_decided_at',
      label: 'Hand-off decided at',
      type: 'datetime',
      fieldType: 'date',
      description: 'When the rep accepted or rejected the MQL.',
    },
    {
      name: 'handoff_rep',
      label: 'Hand-off rep',
      type: 'string',
      fieldType: 'text',
      description: 'The rep who decided the hand-off.',
    },
  ];
}

export async function setupHubspot(
  options: HubspotSetupOptions,
  deps: HubspotClientDeps & { api?: HubspotApi },
): Promise<HubspotSetupResult> {
  const api = deps.api ?? createHubspotApi(options, deps);
  const groupName = options.groupName ?? 'handoff';
  const result: HubspotSetupResult = { created: [], found: [], updated: [] };

  const groups = expectShape(
    groupList,
    await api.call('general', 'properties.groups', (c) => c.crm.properties.groupsApi.getAll('contacts')),
    'properties.groups',
  );
  if (groups.results.some((g) => g.name === groupName)) result.found.push(`group ${groupName}`);
  else {
    await api.call('general', 'properties.createGroup', (c) =>
      c.crm.properties.groupsApi.create('contacts', {
        name: groupName,
        label: options.groupLabel ?? 'Lead hand-off',
        displayOrder: -1,
      }),
    );
    result.created.push(`group ${groupName}`);
  }

  const existing = expectShape(
    propertyList,
    await api.call('general', 'properties.list', (c) => c.crm.properties.coreApi.getAll('contacts', false)),
    'properties.list',
  );
  const byName = new Map(existing.results.map((p) => [p.name, p]));
  for (const want of handoffProperties(options.rejectionReasons)) {
    const have = byName.get(want.name);
    if (!have) {
      const create: PropertyCreate = {
        name: want.name,
        label: want.label,
        type: want.type as PropertyCreate['type'],
        fieldType: want.fieldType as PropertyCreate['fieldType'],
        groupName,
        description: want.description,
        ...(want.options
          ? {
              options: want.options.map((o, i) => ({ label: o.label, value: o.value, displayOrder: i, hidden: false })),
            }
          : {}),
      };
      await api.call('general', 'properties.create', (c) => c.crm.properties.coreApi.create('contacts', create));
      result.created.push(want.name);
      continue;
    }
    const current = have.options ?? [];
    const missing = (want.options ?? []).filter((o) => !current.some((c) => c.value === o.value));
    const relabelled = (want.options ?? []).filter((o) =>
      current.some((c) => c.value === o.value && c.label !== o.label),
    );
    if (missing.length === 0 && relabelled.length === 0) {
      result.found.push(want.name);
      continue;
    }
    // Keep options we no longer configure: records written earlier still carry them.
    const merged = [...current.map((c) => want.options?.find((o) => o.value === c.value) ?? c), ...missing].map(
      (o, i) => ({ label: o.label, value: o.value, displayOrder: i, hidden: false }),
    );
    const update: PropertyUpdate = { options: merged };
    await api.call('general', 'properties.update', (c) =>
      c.crm.properties.coreApi.update('contacts', want.name, update),
    );
    result.updated.push(want.name);
  }
  deps.logger.info({ created: result.created, updated: result.updated }, 'hubspot setup done');
  return result;
}

export interface CheckLine {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HubspotCheckOptions extends HubspotClientOptions {
  /** Lead field → property (config `fields`); each must exist. */
  fields?: Record<string, string | undefined>;
  /** Properties we write (crm.onAccept/onReject/onRecycle keys, handoff_*); each must exist. */
  writeProperties?: string[];
  extraProperties?: string[];
}

const silentLogger: HubspotLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};

/** Doctor checks: one cheap call per scope area; a 401 stops early (nothing else can be known). */
export async function checkHubspot(
  options: HubspotCheckOptions,
  deps?: Partial<HubspotClientDeps> & { api?: HubspotApi },
): Promise<CheckLine[]> {
  const api =
    deps?.api ??
    createHubspotApi(
      { ...options, retry: { attempts: 1, ...options.retry } },
      { ...deps, logger: deps?.logger ?? silentLogger },
    );
  const lines: CheckLine[] = [];
  let propertyNames: Set<string> | null = null;

  const probes: Array<{ scope: string; run: () => Promise<unknown> }> = [
    {
      scope: HUBSPOT_SCOPES.contactsRead,
      run: () =>
        api.call('search', 'doctor.contacts', (c) =>
          c.crm.contacts.searchApi.doSearch({ limit: 1, properties: ['email'] }),
        ),
    },
    {
      scope: HUBSPOT_SCOPES.ownersRead,
      run: () =>
        api.call('general', 'doctor.owners', (c) => c.crm.owners.ownersApi.getPage(undefined, undefined, 1, false)),
    },
    // An empty batch writes nothing; a 400 for it still proves the scope is there.
    {
      scope: HUBSPOT_SCOPES.contactsWrite,
      run: () => api.call('general', 'doctor.contactsWrite', (c) => c.crm.contacts.batchApi.update({ inputs: [] })),
    },
    {
      scope: HUBSPOT_SCOPES.companiesRead,
      run: () =>
        api.call('search', 'doctor.companies', (c) =>
          c.crm.companies.searchApi.doSearch({ limit: 1, properties: ['domain'] }),
        ),
    },
    {
      scope: HUBSPOT_SCOPES.schemasRead,
      run: async () => {
        const list = expectShape(
          propertyList,
          await api.call('general', 'doctor.properties', (c) => c.crm.properties.coreApi.getAll('contacts', false)),
          'properties.list',
        );
        propertyNames = new Set(list.results.map((p) => p.name));
      },
    },
  ];

  let tokenOk: boolean | null = null;
  for (const probe of probes) {
    try {
      await probe.run();
      tokenOk = true;
      lines.push({ name: `hubspot scope ${probe.scope}`, ok: true, detail: 'granted' });
    } catch (err) {
      const failure = isConnectorError(err) ? err.failure : classifyHubspotError(err);
      if (failure.kind === 'auth' && failure.reason.startsWith('token')) {
        lines.unshift({ name: 'hubspot token', ok: false, detail: failure.reason });
        return lines;
      }
      if (failure.kind === 'auth') {
        tokenOk = true;
        lines.push({ name: `hubspot scope ${probe.scope}`, ok: false, detail: failure.reason });
      } else if (failure.kind === 'invalid' && probe.scope === HUBSPOT_SCOPES.contactsWrite) {
        tokenOk = true;
        lines.push({ name: `hubspot scope ${probe.scope}`, ok: true, detail: 'granted' });
      } else {
        lines.push({
          name: `hubspot scope ${probe.scope}`,
          ok: false,
          detail: `could not check: ${failure.kind}: ${failure.reason}`,
        });
      }
    }
  }
  lines.unshift({
    name: 'hubspot token',
    ok: tokenOk === true,
    detail: tokenOk === true ? 'accepted' : 'no call succeeded',
  });

  const wanted = [
    ...new Set([
      ...Object.values(options.fields ?? {}).filter((p): p is string => typeof p === 'string' && p !== ''),
      ...(options.writeProperties ?? []),
      ...(options.extraProperties ?? []),
    ]),
  ];
  const names = propertyNames as Set<string> | null;
  if (wanted.length > 0) {
    if (names === null)
      lines.push({ name: 'hubspot properties', ok: false, detail: 'could not list contact properties' });
    else {
      const missing = wanted.filter((p) => !names.has(p));
      lines.push({
        name: 'hubspot properties',
        ok: missing.length === 0,
        detail:
          missing.length === 0
            ? `${wanted.length} mapped properties exist`
            : `missing: ${missing.join(', ')} (run \`handoff setup hubspot\` for handoff_*)`,
      });
    }
  }
  return lines;
}
