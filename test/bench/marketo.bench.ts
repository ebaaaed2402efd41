// Benchmark: Marketo API calls for 1,000 score changes, from detection to write-back, with Marketo as source and
// CRM. 1,000 leads in the Marketo emulator (its 100-calls-per-20-s limit, 10-call concurrency and a daily quota on)
// are lifted over the MQL score; the built worker detects them from the activity log, offers each to one of 100
// reps in Slack, every rep clicks Accept, and the worker writes leadStatus back through Sync Leads. Counted at the
// emulator: REST calls by endpoint, token calls, refusals (606/607/615) and the share of the daily quota used.
// Prints figures; not an assertion.
//   node dist/test/bench/marketo.bench.js   (after npm run build), or through run.ts as `--only marketo`
import { startMarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import {
  createBenchWorld,
  pollProgress,
  pollUntil,
  postedCards,
  runIfMain,
  seconds,
  stdoutLog,
  type BenchLog,
  type BenchRow,
} from './bench-kit.js';

export interface MarketoBenchOptions {
  leads?: number;
  reps?: number;
  /** The subscription's daily quota the emulator enforces. Default 50,000 (Marketo's usual allowance). */
  dailyQuota?: number;
  log?: BenchLog;
}

const CLIENT = { clientId: 'bench-marketo-client', clientSecret: 'bench-marketo-secret' };

function breakdown(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export async function run(options: MarketoBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? stdoutLog;
  const leads = options.leads ?? 1_000;
  const repCount = options.reps ?? 100;
  const dailyQuota = options.dailyQuota ?? 50_000;
  const mk = await startMarketoEmulator({ clients: [CLIENT], dailyQuota });
  mk.control.defineField({ name: 'handoffRep', displayName: 'Handoff Rep', dataType: 'string' });
  const { world } = await createBenchWorld({
    reps: repCount,
    config: (c) => ({
      ...c,
      source: { kind: 'marketo', pollEvery: '10s', overlap: '2m', startFrom: '1h', mql: { minScore: 80 } },
      crm: {
        kind: 'marketo',
        assignOwnerOn: 'accept',
        onAccept: { set: { leadStatus: 'Sales Accepted', handoffRep: '{{rep.name}}' } },
        onReject: { set: { leadStatus: 'Sales Rejected' } },
      },
      marketo: { baseUrl: mk.url, ...CLIENT, dailyQuota },
    }),
  });
  try {
    const ids: number[] = [];
    for (let i = 0; i < leads; i++) {
      const lead = mk.control.createLead({
        email: `bench${i}@company${i}.example`,
        firstName: 'Bench',
        lastName: `Lead ${i}`,
        company: `Company ${i}`,
        leadScore: 20,
      });
      mk.control.updateLead(lead.id, { leadScore: 85 });
      ids.push(lead.id);
    }
    mk.control.resetCallCounts();
    const usedBefore = mk.control.dailyUsed();
    const t0 = Date.now();
    await world.startWorker({ LOG_LEVEL: 'warn' });

    // Detection: the first poll stores every lead.
    const store = await world.openStore();
    try {
      await pollUntil(async () => (await store.listOpenHandoffs(leads + 10)).length >= leads, 120_000, 100);
    } finally {
      await store.close();
    }
    const detected = mk.control.callCounts();
    const cards = (): number => postedCards(world.slack).length;
    const allPosted = await pollProgress(cards, leads, { stallMs: 30_000, maxMs: 240_000 });
    const offeredAt = Date.now();
    log(`marketo: ${cards()}/${leads} cards posted in ${seconds(offeredAt - t0)}${allPosted ? '' : ' (timed out)'}`);

    const slack = world.slack.control;
    const userOfChannel = new Map<string, string>();
    for (const u of slack.users()) {
      const dm = slack.dmChannel(u.id);
      if (dm !== null) userOfChannel.set(dm, u.id);
    }
    const posted = postedCards(world.slack);
    let next = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = next++; i < posted.length; i = next++) {
          const card = posted[i]!;
          const user = userOfChannel.get(card.channel);
          const answer = user
            ? await slack.clickButton({ user, channel: card.channel, ts: card.ts, actionId: 'handoff_accept' })
            : null;
          if (answer?.status !== 200) refused++;
        }
      }),
    );
    const written = (): number => ids.filter((id) => mk.control.lead(id)?.leadStatus === 'Sales Accepted').length;
    const allWritten =
      allPosted && (await pollProgress(written, leads, { stallMs: 30_000, maxMs: 240_000, everyMs: 500 }));
    const doneAt = Date.now();
    // Let the last write-back batch settle before counting.
    await pollUntil(() => ids.every((id) => mk.control.updatesOf(id) >= 1), 10_000, 200);
    const counts = mk.control.callCounts();
    // After the first poll stored every lead, polls find nothing new: each reads one activities page from the stored
    // token (and, every 5 min, a paging token for the overlap sweep). Counted apart: they cost the same whatever the
    // lead volume.
    const logReads = (c: typeof counts): number =>
      (c.byEndpoint['GET activities'] ?? 0) + (c.byEndpoint['GET activities/pagingtoken'] ?? 0);
    const quietCalls = logReads(counts) - logReads(detected);
    const quietPolls = (counts.byEndpoint['GET activities'] ?? 0) - (detected.byEndpoint['GET activities'] ?? 0);
    const forLeads = counts.rest - quietCalls;
    const used = mk.control.dailyUsed() - usedBefore;
    const doubleWrites = ids.filter((id) => mk.control.updatesOf(id) > 1).length;
    log(
      `marketo: ${written()}/${leads} written back in ${seconds(doneAt - t0)} (clicks refused: ${refused}, leads updated twice: ${doubleWrites})${allWritten ? '' : ' (timed out)'}`,
    );
    log(
      `marketo: ${counts.rest} REST calls (${forLeads} for the leads + ${quietCalls} in ${quietPolls} quiet polls), ${counts.identity} token calls: ${breakdown(counts.byEndpoint)}`,
    );
    log(
      `marketo: refused ${counts.refused} (${breakdown(counts.byError) || 'none'}); quota used ${used} of ${dailyQuota} (${((used / dailyQuota) * 100).toFixed(2)}%); peak concurrency ${mk.control.peakConcurrency()}`,
    );
    const complete = allPosted && allWritten && refused === 0;
    const per1000 = Math.round((forLeads * 1_000) / leads);
    return [
      {
        figure: 'Marketo API calls per 1,000 score changes detected and written back',
        measured: `${per1000}${complete ? '' : ' (run incomplete)'}`,
        budget: '≤ 40',
        ok: complete && per1000 <= 40 && doubleWrites === 0,
        note: `${leads} score changes, ${repCount} reps, every one accepted; calls: ${breakdown(counts.byEndpoint)}; ${counts.identity} token calls; ${quietPolls} quiet polls after detection not counted`,
      },
      {
        figure: '  Marketo daily quota used by that run',
        measured: `${used} of ${dailyQuota.toLocaleString('en')} (${((used / dailyQuota) * 100).toFixed(2)}%)`,
        budget: 'within the quota, no 606/607',
        ok: used < dailyQuota && (counts.byError['606'] ?? 0) === 0 && (counts.byError['607'] ?? 0) === 0,
        note: `refusals: ${breakdown(counts.byError) || 'none'}; peak concurrency ${mk.control.peakConcurrency()} (Marketo allows 10)`,
      },
      {
        figure: '  naive design: one activity read + one lead read + one write per lead',
        measured: '3,000',
        budget: '(comparison)',
        ok: null,
      },
    ];
  } finally {
    await world.close();
    await mk.close();
  }
}

runIfMain(import.meta.url, 'marketo', run);
