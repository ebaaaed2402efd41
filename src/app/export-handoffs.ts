// The hand-off export: one row per hand-off of a window with every offer, written page by page
// (never the whole window in memory). `handoff export` prints it; GET /dashboard.csv serves its CSV.
// CSV: RFC 4180 (fields with a comma, quote or line break are quoted, quotes doubled, CRLF rows),
// UTF-8 with a byte-order mark so spreadsheets detect the encoding, ISO 8601 UTC times; text that a
// spreadsheet would run as a formula (starting with = + - @) gets a leading apostrophe.
import { speedToLeadMs } from '../domain/metrics.js';
import type { Millis, RejectionReason } from '../domain/model.js';
import type { ExportRow, MetricsFilter, MetricsReader } from '../ports/metrics.js';

const PAGE = 500;

const CSV_COLUMNS = [
  'handoff_id',
  'source_system',
  'external_id',
  'email',
  'first_name',
  'last_name',
  'company',
  'source',
  'campaign',
  'hot',
  'imported',
  'mql_at',
  'state',
  'team',
  'rep',
  'offer_count',
  'offers',
  'escalated_at',
  'escalation_reason',
  'decided_at',
  'decided_by',
  'reason',
  'reason_label',
  'note',
  'speed_to_lead_seconds',
  'response_seconds',
] as const;

const iso = (at: Millis | null): string => (at === null ? '' : new Date(at).toISOString());

/** One CSV field: quoted when it must be (RFC 4180); formula-looking text neutralised. */
function csvField(value: string | number | boolean | null, text = false): string {
  if (value === null) return '';
  let s = String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Timings of one exported hand-off (live ones only; imported history has none). */
function exportTimings(row: ExportRow): { speedToLeadMs: Millis | null; responseMs: Millis | null } {
  const final = row.offers.find((o) => (o.state === 'accepted' || o.state === 'rejected') && o.decidedAt !== null);
  return {
    speedToLeadMs: speedToLeadMs(row),
    responseMs: final && final.decidedAt !== null ? final.decidedAt - final.offeredAt : null,
  };
}

function csvRow(row: ExportRow, reasons: readonly RejectionReason[]): string {
  const t = exportTimings(row);
  const offers = row.offers
    .map(
      (o) =>
        `${o.seq}. ${o.repId} offered ${iso(o.offeredAt)} due ${iso(o.dueAt)} ${o.state}${o.decidedAt !== null ? ` ${iso(o.decidedAt)}` : ''}`,
    )
    .join(' | ');
  const cells: string[] = [
    csvField(row.id),
    csvField(row.source),
    csvField(row.externalId),
    csvField(row.email, true),
    csvField(row.firstName, true),
    csvField(row.lastName, true),
    csvField(row.company, true),
    csvField(row.channel, true),
    csvField(row.campaign, true),
    csvField(row.hot),
    csvField(row.imported),
    csvField(iso(row.mqlAt)),
    csvField(row.state),
    csvField(row.teamId),
    csvField(row.repId),
    csvField(row.offers.length),
    csvField(offers),
    csvField(iso(row.escalatedAt)),
    csvField(row.escalationReason),
    csvField(iso(row.decidedAt)),
    csvField(row.decidedBy),
    csvField(row.reasonId),
    csvField(row.reasonId === null ? null : (reasons.find((r) => r.id === row.reasonId)?.label ?? row.reasonId), true),
    csvField(row.note, true),
    csvField(t.speedToLeadMs === null ? null : Math.round(t.speedToLeadMs / 1000)),
    csvField(t.responseMs === null ? null : Math.round(t.responseMs / 1000)),
  ];
  return cells.join(',');
}

function jsonRow(row: ExportRow, reasons: readonly RejectionReason[]) {
  const t = exportTimings(row);
  return {
    id: row.id,
    sourceSystem: row.source,
    externalId: row.externalId,
    email: row.email,
    firstName: row.firstName,
    lastName: row.lastName,
    company: row.company,
    source: row.channel,
    campaign: row.campaign,
    hot: row.hot,
    imported: row.imported,
    mqlAt: iso(row.mqlAt),
    state: row.state,
    team: row.teamId,
    rep: row.repId,
    offers: row.offers.map((o) => ({
      seq: o.seq,
      rep: o.repId,
      offeredAt: iso(o.offeredAt),
      dueAt: iso(o.dueAt),
      outcome: o.state,
      decidedAt: o.decidedAt === null ? null : iso(o.decidedAt),
    })),
    escalatedAt: row.escalatedAt === null ? null : iso(row.escalatedAt),
    escalationReason: row.escalationReason,
    decidedAt: row.decidedAt === null ? null : iso(row.decidedAt),
    decidedBy: row.decidedBy,
    reason: row.reasonId,
    reasonLabel: row.reasonId === null ? null : (reasons.find((r) => r.id === row.reasonId)?.label ?? row.reasonId),
    note: row.note,
    speedToLeadMs: t.speedToLeadMs,
    responseMs: t.responseMs,
  };
}

/** Writes the export page by page; returns how many hand-offs were written. */
export async function writeExport(
  reader: MetricsReader,
  window: { since: Millis; until: Millis },
  format: 'csv' | 'json',
  reasons: readonly RejectionReason[],
  out: (text: string) => void,
): Promise<number> {
  let count = 0;
  let after: { mqlAt: Millis; id: string } | undefined;
  out(format === 'csv' ? `\uFEFF${CSV_COLUMNS.join(',')}\r\n` : '[');
  for (;;) {
    const page = await reader.exportHandoffs(window.since, window.until, PAGE, after);
    if (page.length === 0) break;
    const chunk =
      format === 'csv'
        ? page.map((r) => `${csvRow(r, reasons)}\r\n`).join('')
        : page.map((r, i) => `${count + i === 0 ? '\n' : ',\n'}${JSON.stringify(jsonRow(r, reasons))}`).join('');
    out(chunk);
    count += page.length;
    const last = page[page.length - 1] as ExportRow;
    after = { mqlAt: last.mqlAt, id: last.id };
    if (page.length < PAGE) break;
  }
  if (format === 'json') out(count === 0 ? ']\n' : '\n]\n');
  return count;
}

/** Whether a hand-off (or export row) matches the filter's team, source, campaign and hot (not rep). */
export function matchesFilter(
  filter: MetricsFilter,
  row: { teamId: string | null; channel: string | null; campaign: string | null; hot: boolean },
): boolean {
  if (filter.team !== undefined && row.teamId !== filter.team) return false;
  if (filter.source !== undefined && row.channel !== filter.source) return false;
  if (filter.campaign !== undefined && row.campaign !== filter.campaign) return false;
  if (filter.hot !== undefined && row.hot !== filter.hot) return false;
  return true;
}

/** Whether matchesFilter can leave a row out (the filter names a team, source, campaign or hot). */
export function narrowsRows(filter: MetricsFilter): boolean {
  return (
    filter.team !== undefined ||
    filter.source !== undefined ||
    filter.campaign !== undefined ||
    filter.hot !== undefined
  );
}

/**
 * The reader with exportHandoffs narrowed to hand-offs matching the filter (team, source, campaign,
 * hot: the same columns the stats filter uses). Pages stay full: it reads on until it has `limit`
 * matching rows or the window is done, so a pager that stops on a short page sees every row.
 */
export function filteredExportReader(reader: MetricsReader, filter: MetricsFilter): MetricsReader {
  if (!narrowsRows(filter)) return reader;
  return {
    ...reader,
    async exportHandoffs(since, until, limit, after) {
      const out: ExportRow[] = [];
      let cursor = after;
      for (;;) {
        const page = await reader.exportHandoffs(since, until, limit, cursor);
        for (const row of page) {
          if (!matchesFilter(filter, row)) continue;
          out.push(row);
          if (out.length === limit) return out;
        }
        const last = page[page.length - 1];
        if (!last || page.length < limit) return out;
        cursor = { mqlAt: last.mqlAt, id: last.id };
      }
    },
  };
}
