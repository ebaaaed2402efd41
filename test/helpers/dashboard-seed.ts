// A dashboard dataset written through the Store port (ingest + applyChange): about a hundred hand-offs
// over the 12 weeks before NOW, from a fixed seed, with accepted, rejected (every reason), timed-out,
// escalated, withdrawn, imported and open hand-offs, plus hostile text from "outside" (a lead named
// <script>alert(1)</script>, markup in a campaign, a company and a note), a rep away in Slack and a
// firing alert. Also the config the stats CLI reads, the dashboard's options over a store, and a
// reader of the CSV the dashboard and `handoff export` write.
import { expect } from 'vitest';
import { parseCsv } from '../../src/cli/lead-file.js';
import type { Millis, RejectionReason, Rep, Team } from '../../src/domain/model.js';
import type { DashboardOptions } from '../../src/http/dashboard.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { metricsReaderFor } from '../../src/store/metrics-memory.js';
import { makeLead, makeRep, makeTeam } from './builders.js';
import { seedHandoff, type OfferStep } from './seed-handoffs.js';

export const M = 60_000;
const H = 60 * M;
const D = 24 * H;
/** Wednesday 2026-11-25 12:00 UTC. */
export const NOW: Millis = Date.UTC(2026, 10, 25, 12, 0);
export const XSS_NAME = '<script>alert(1)</script>';
export const XSS_CAMPAIGN = '"><img src=x onerror=alert(2)>';
export const XSS_COMPANY = 'Acme <Ltd> & "Sons"';
export const XSS_NOTE = '</td><script>alert(3)</script>';

export const REASONS: RejectionReason[] = [
  { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
  { id: 'bad_timing', label: 'Bad timing', recycle: true, noteRequired: false },
  { id: 'no_budget', label: 'No budget', recycle: true, noteRequired: false },
  { id: 'other', label: 'Other', noteRequired: true, recycle: false },
];

export const REPS: Rep[] = [
  makeRep({ id: 'alice', name: 'Alice Martin' }),
  makeRep({ id: 'bruno', name: 'Bruno Rossi' }),
  makeRep({ id: 'chloe', name: 'Chloé Dubois' }),
  makeRep({ id: 'dave', name: 'Dave Kim' }),
  makeRep({ id: 'erin', name: 'Erin Walsh', away: [{ from: '2026-11-20', to: '2026-11-30' }] }),
];
export const TEAMS: Team[] = [
  makeTeam({ id: 'emea', members: ['alice', 'bruno', 'chloe'] }),
  makeTeam({ id: 'us', members: ['dave', 'erin'] }),
];

/** The YAML the stats/export CLI reads (store URL given by the caller). */
export function cliConfig(storeUrl: string): string {
  return `
store: { url: ${JSON.stringify(storeUrl)} }
source: { kind: hubspot }
hubspot: { token: "pat-test" }
server: { dashboardToken: "s3cret-token" }
reps:
${REPS.map((r) => `  - { id: ${r.id}, name: ${JSON.stringify(r.name)}, email: ${r.email}, timezone: UTC, hours: "24/7" }`).join('\n')}
teams:
  - { id: emea, members: [alice, bruno, chloe] }
  - { id: us, members: [dave, erin] }
routing: { rules: [], fallback: { team: emea } }
rejectionReasons:
${REASONS.map((r) => `  - { id: ${r.id}, label: ${JSON.stringify(r.label)}${r.recycle ? ', recycle: true' : ''}${r.noteRequired ? ', noteRequired: true' : ''} }`).join('\n')}
`;
}

/** The dashboard over `store` at NOW, with the settings main.ts hands it from the config. */
export function dashboardOptions(store: Store, more: Partial<DashboardOptions> = {}): DashboardOptions {
  return {
    token: 'dashboard-token',
    metrics: metricsReaderFor(store),
    store,
    settings: { reps: REPS, teams: TEAMS, rejectionReasons: REASONS },
    clock: { now: () => NOW },
    logger: silentLogger,
    ...more,
  };
}

/** A downloaded export CSV: UTF-8 with a byte-order mark, RFC 4180 rows, the header first. */
export function readCsvDownload(bytes: Buffer): { header: string[]; rows: Record<string, string>[] } {
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const problems: string[] = [];
  const [head, ...records] = parseCsv(bytes.toString('utf8'), {
    add: (line, _field, message) => void problems.push(`line ${line}: ${message}`),
  });
  expect(problems).toEqual([]);
  const header = head!.values;
  const rows = records.map((r) => Object.fromEntries(header.map((name, i) => [name, r.values[i] ?? ''])));
  return { header, rows };
}

interface Spec {
  first: string;
  last: string | null;
  company: string;
  mqlAt: Millis;
  channel: string | null;
  campaign: string | null;
  team: string | null;
  hot: boolean;
  imported?: { state: 'accepted' | 'rejected'; after: number; reason?: string };
  offers: OfferStep[];
  escalate?: { after: number; reason: string };
}

/** Mulberry32: a small deterministic generator. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SOURCES = ['PAID_SEARCH', 'ORGANIC_SEARCH', 'REFERRAL', 'EVENT'];
const CAMPAIGNS = ['spring-launch', 'black-friday', 'webinar-q4', null];
const FIRST = ['Ana', 'Ben', 'Cleo', 'Dan', 'Eva', 'Finn', 'Gia', 'Hugo', 'Ines', 'Jon', 'Kai', 'Lena'];

export function specs(): Spec[] {
  const rnd = random(20261125);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const turn: Record<string, number> = { emea: 0, us: 0 };
  const repOf = (team: string, skip: string | null = null): string => {
    const members = TEAMS.find((t) => t.id === team)?.members ?? [];
    for (;;) {
      const r = members[(turn[team] = (turn[team] ?? 0) + 1) % members.length] as string;
      if (r !== skip) return r;
    }
  };
  const out: Spec[] = [];
  for (let i = 0; i < 96; i++) {
    const age = 3 * H + i * 21 * H + Math.floor(rnd() * 10 * H);
    const mqlAt = Math.floor((NOW - age) / M) * M;
    const channel = pick(SOURCES);
    const team = channel === 'REFERRAL' || rnd() < 0.3 ? 'us' : 'emea';
    const hot = rnd() < 0.15;
    const due = hot ? 5 : 30;
    const base = {
      first: pick(FIRST),
      last: `Lead${i}`,
      company: `Company ${i}`,
      mqlAt,
      channel,
      campaign: pick(CAMPAIGNS),
      team,
      hot,
    };
    const r = rnd();
    const rep = repOf(team);
    const respond = 1 + Math.floor(rnd() * (rnd() < 0.2 ? 240 : 40));
    if (i % 23 === 7) {
      out.push({
        ...base,
        team: null,
        offers: [],
        imported: { state: rnd() < 0.6 ? 'accepted' : 'rejected', after: 2 * H, reason: 'not_icp' },
      });
    } else if (r < 0.42) {
      out.push({ ...base, offers: [{ rep, at: 1, due: 1 + due, end: 'accepted', endAt: 1 + respond }] });
    } else if (r < 0.66) {
      const reason = pick(REASONS).id;
      out.push({
        ...base,
        offers: [
          {
            rep,
            at: 1,
            due: 1 + due,
            end: 'rejected',
            endAt: 1 + respond,
            reason,
            ...(reason === 'other' ? { note: i === 11 ? XSS_NOTE : 'student project' } : {}),
          },
        ],
      });
    } else if (r < 0.78) {
      const next = repOf(team, rep);
      out.push({
        ...base,
        offers: [
          { rep, at: 1, due: 1 + due, end: 'timed_out', endAt: 1 + due },
          { rep: next, at: 1 + due, due: 1 + 2 * due, end: 'accepted', endAt: 1 + due + respond },
        ],
      });
    } else if (r < 0.86) {
      out.push({
        ...base,
        offers: [{ rep, at: 1, due: 1 + due, end: 'timed_out', endAt: 1 + due }],
        escalate: { after: (1 + due) * M, reason: 'max_offers' },
      });
    } else if (r < 0.92) {
      out.push({ ...base, offers: [{ rep, at: 1, due: 1 + due, end: 'withdrawn', endAt: 1 + respond }] });
    } else {
      out.push({ ...base, team: null, offers: [], escalate: { after: 1 * M, reason: 'unroutable' } });
    }
  }
  // Open now: offered, one overdue, and the hostile lead.
  out.push({
    first: XSS_NAME,
    last: null,
    company: XSS_COMPANY,
    mqlAt: NOW - 20 * M,
    channel: 'PAID_SEARCH',
    campaign: XSS_CAMPAIGN,
    team: 'emea',
    hot: true,
    offers: [{ rep: 'alice', at: 1, due: 6, end: 'open' }],
  });
  out.push({
    first: 'Olga',
    last: 'Overdue',
    company: 'Late GmbH',
    mqlAt: NOW - 50 * M,
    channel: 'ORGANIC_SEARCH',
    campaign: 'webinar-q4',
    team: 'emea',
    hot: false,
    offers: [{ rep: 'chloe', at: 2, due: 32, end: 'open' }],
  });
  out.push({
    first: 'Uma',
    last: 'Open',
    company: 'Fresh Inc',
    mqlAt: NOW - 2 * H,
    channel: 'REFERRAL',
    campaign: 'spring-launch',
    team: 'us',
    hot: false,
    offers: [{ rep: 'dave', at: 100, due: 130, end: 'open' }],
  });
  return out;
}

/** Writes the dataset, a Slack away status and a firing alert; returns hand-off ids in spec order. */
export async function seedDashboard(store: Store): Promise<string[]> {
  const ids: string[] = [];
  let n = 0;
  for (const spec of specs()) {
    n += 1;
    const lead = makeLead({
      externalId: `dash-${n}`,
      email: `lead${n}@dash${n}.example`,
      firstName: spec.first,
      lastName: spec.last,
      mqlAt: spec.mqlAt,
      modifiedAt: spec.mqlAt,
      fields: {
        company: spec.company,
        ...(spec.channel === null ? {} : { channel: spec.channel }),
        ...(spec.campaign === null ? {} : { campaign: spec.campaign }),
      },
    });
    const id = await seedHandoff(
      store,
      {
        lead,
        hot: spec.hot,
        team: spec.team,
        offers: spec.offers,
        ...(spec.imported ? { imported: spec.imported } : {}),
        ...(spec.escalate ? { escalate: spec.escalate } : {}),
      },
      { label: `dashboard seed #${n}`, offerId: (seq) => `dash-${n}-o${seq}` },
    );
    ids.push(id);
  }
  await store.setRepStatus('bruno', { awayUntil: null, since: NOW - 1 * H, note: 'dentist <3' });
  await store.putAlert({
    key: 'backlog',
    state: 'firing',
    firedAt: NOW - 30 * M,
    lastNotifiedAt: NOW - 30 * M,
    resolvedAt: null,
    data: {
      kind: 'backlog',
      audience: 'managers',
      critical: true,
      title: 'Backlog: open hand-offs over <20>',
      lines: ['23 open hand-offs', 'oldest 3h old'],
      facts: [],
      notified: true,
      clearedAt: null,
    },
  });
  await store.putAlert({
    key: 'lull',
    state: 'resolved',
    firedAt: NOW - 3 * D,
    lastNotifiedAt: NOW - 3 * D,
    resolvedAt: NOW - 2 * D,
    data: {
      kind: 'lull',
      audience: 'marketing',
      critical: false,
      title: 'RESOLVED lull must not show',
      lines: [],
      facts: [],
      notified: true,
      clearedAt: null,
    },
  });
  return ids;
}
