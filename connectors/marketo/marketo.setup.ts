// `handoff doctor` and `handoff setup marketo`: what the API-only user's role lets the custom service do, and
// whether the lead fields handoff reads and writes exist. Each permission is probed with a harmless call:
//  - Read-Only Lead (or Read-Write Lead): Describe Lead;
//  - Read-Only Activity: Get Activity Types (and the configured types must exist);
//  - Read-Write Lead (only when Marketo is the CRM): Sync Leads updateOnly for lead id 0, which exists in no
//    instance and comes back "skipped, 1004 lead not found" when writing is allowed, 603 when it is not.
// Marketo answers 603 "Access denied" for a missing permission. Fields are created by an admin (Admin > Field
// Management); `setup marketo` lists the ones still missing with the type to give them.
import type { Logger } from '../../src/ports/logger.js';
import { createMarketoApi } from './marketo.client.js';
import type { MarketoClientOptions } from './marketo.client.js';
import { classifyMarketoError } from './marketo.errors.js';

export interface MarketoCheckLine {
  name: string;
  ok: boolean;
  detail: string;
}

export interface MarketoCheckOptions {
  client: MarketoClientOptions;
  /** Fields read (mapped fields, status and date fields, history fields). */
  readFields: string[];
  /** Fields written when Marketo is the CRM; empty otherwise. */
  writeFields: string[];
  /** Activity types watched when Marketo is the source; empty otherwise. */
  activityTypeIds: number[];
  /** Probe the write permission (Marketo is the CRM). */
  writes: boolean;
}

export interface MarketoSetupResult {
  lines: MarketoCheckLine[];
  /** Fields an admin still has to create. */
  missing: Array<{ name: string; use: 'read' | 'write'; type: string }>;
}

interface DescribedField {
  displayName?: string;
  dataType?: string;
  rest?: { name?: string; readOnly?: boolean };
}

function reasonOf(err: unknown): string {
  return classifyMarketoError(err).reason;
}

function permissionHint(err: unknown, role: string): string {
  const reason = reasonOf(err);
  return /\b603\b/.test(reason) ? `access denied: give the API user's role the "${role}" permission` : reason;
}

export async function setupMarketo(
  options: MarketoCheckOptions,
  deps: { logger: Logger },
): Promise<MarketoSetupResult> {
  // One attempt per call: a bad secret or a missing permission answers at once.
  const api = createMarketoApi({ ...options.client, retry: { attempts: 1 } }, { logger: deps.logger });
  const lines: MarketoCheckLine[] = [];
  const missing: MarketoSetupResult['missing'] = [];

  let described: DescribedField[] | null = null;
  try {
    const env = await api.get<DescribedField>('describe leads', '/rest/v1/leads/describe.json');
    described = env.result ?? [];
    lines.push({ name: 'token', ok: true, detail: `custom service authenticated at ${options.client.baseUrl}` });
    lines.push({ name: 'read leads', ok: true, detail: `${described.length} lead fields visible` });
  } catch (err) {
    const failure = classifyMarketoError(err);
    if (/identity|client id/i.test(failure.reason) || failure.kind === 'transient') {
      lines.push({ name: 'token', ok: false, detail: failure.reason });
      return { lines, missing };
    }
    lines.push({ name: 'token', ok: true, detail: `custom service authenticated at ${options.client.baseUrl}` });
    lines.push({ name: 'read leads', ok: false, detail: permissionHint(err, 'Read-Only Lead') });
  }

  if (described !== null) {
    const byName = new Map(
      described.filter((f) => f.rest?.name).map((f) => [String(f.rest?.name).toLowerCase(), f] as const),
    );
    for (const name of [...new Set(options.readFields)]) {
      const f = byName.get(name.toLowerCase());
      if (f) lines.push({ name: `field ${name}`, ok: true, detail: `read (${f.dataType ?? '?'})` });
      else {
        lines.push({ name: `field ${name}`, ok: false, detail: 'not a lead field (check the REST API name)' });
        missing.push({ name, use: 'read', type: 'string' });
      }
    }
    for (const name of [...new Set(options.writeFields)]) {
      const f = byName.get(name.toLowerCase());
      if (!f) {
        lines.push({
          name: `field ${name}`,
          ok: false,
          detail: 'written on decisions but missing: create it (String)',
        });
        missing.push({ name, use: 'write', type: 'string' });
      } else if (f.rest?.readOnly) {
        lines.push({ name: `field ${name}`, ok: false, detail: 'written on decisions but read-only through the API' });
      } else lines.push({ name: `field ${name}`, ok: true, detail: `written (${f.dataType ?? '?'})` });
    }
  }

  if (options.activityTypeIds.length > 0) {
    try {
      const env = await api.get<{ id: number; name: string }>('activity types', '/rest/v1/activities/types.json');
      const known = new Map((env.result ?? []).map((t) => [t.id, t.name]));
      const unknown = options.activityTypeIds.filter((id) => !known.has(id));
      lines.push({
        name: 'read activities',
        ok: unknown.length === 0,
        detail:
          unknown.length === 0
            ? `watching ${options.activityTypeIds.map((id) => `${id} ${known.get(id) ?? ''}`.trim()).join(', ')}`
            : `unknown activity type ids: ${unknown.join(', ')}`,
      });
    } catch (err) {
      lines.push({ name: 'read activities', ok: false, detail: permissionHint(err, 'Read-Only Activity') });
    }
  }

  if (options.writes) {
    try {
      const env = await api.post<{ status?: string; reasons?: Array<{ code?: string }> }>(
        'sync leads probe',
        '/rest/v1/leads.json',
        { action: 'updateOnly', lookupField: 'id', input: [{ id: 0 }] },
      );
      const code = String(env.result?.[0]?.reasons?.[0]?.code ?? '');
      lines.push({
        name: 'write leads',
        ok: code === '1004' || env.result?.[0]?.status === 'updated',
        detail:
          code === '1004' ? 'Sync Leads allowed' : `unexpected probe answer ${JSON.stringify(env.result?.[0] ?? null)}`,
      });
    } catch (err) {
      lines.push({ name: 'write leads', ok: false, detail: permissionHint(err, 'Read-Write Lead') });
    }
  }

  try {
    await api.refreshUsage();
    const s = api.stats();
    lines.push({
      name: 'quota',
      ok: s.usedToday < s.quota,
      detail: `${s.usedToday} of ${s.quota} daily API calls used today`,
    });
  } catch (err) {
    lines.push({ name: 'quota', ok: true, detail: `usage not readable (${reasonOf(err)}); counted locally` });
  }
  return { lines, missing };
}
