// Away spells: "/handoff away until …" is read on the rep's wall clock, never the server's.
import { describe, expect, it } from 'vitest';
import { parseAwayUntil } from '../../src/domain/away.js';

describe('parseAwayUntil', () => {
  it('parses away durations and dates in the rep time zone', () => {
    const now = Date.UTC(2026, 10, 25, 9, 0);
    expect(parseAwayUntil([], now, 'Europe/Berlin')).toEqual({ ok: true, until: null });
    expect(parseAwayUntil(['for', '3d'], now, undefined)).toEqual({ ok: true, until: now + 3 * 86_400_000 });
    expect(parseAwayUntil(['until', '2026-12-28'], now, 'Europe/Berlin')).toEqual({
      ok: true,
      until: Date.UTC(2026, 11, 27, 23, 0),
    });
    expect(parseAwayUntil(['until', '2026-07-01'], Date.UTC(2026, 5, 1), 'Europe/Berlin')).toEqual({
      ok: true,
      until: Date.UTC(2026, 5, 30, 22, 0),
    });
    expect(parseAwayUntil(['until', '2026-01-01'], now, 'UTC')).toEqual({
      ok: false,
      error: '2026-01-01 is in the past.',
    });
    expect(parseAwayUntil(['for', 'ages'], now, 'UTC')).toMatchObject({ ok: false });
    expect(parseAwayUntil(['sometime'], now, 'UTC')).toMatchObject({ ok: false });
  });

  it('reads "until DATE HH:MM" in the rep time zone, not the server one', () => {
    const now = Date.UTC(2026, 11, 5, 12, 0);
    // New York is UTC−5 in December: 09:00 there is 14:00 UTC, whatever TZ this process runs in.
    expect(parseAwayUntil(['until', '2026-12-22', '09:00'], now, 'America/New_York')).toEqual({
      ok: true,
      until: Date.UTC(2026, 11, 22, 14, 0),
    });
    expect(parseAwayUntil(['until', '2026-12-22T09:00'], now, 'Asia/Tokyo')).toEqual({
      ok: true,
      until: Date.UTC(2026, 11, 22, 0, 0),
    });
    // No time zone configured: UTC.
    expect(parseAwayUntil(['until', '2026-12-22', '09:00'], now, undefined)).toEqual({
      ok: true,
      until: Date.UTC(2026, 11, 22, 9, 0),
    });
  });

  it('takes the first instant after a skipped wall time and refuses impossible ones', () => {
    const now = Date.UTC(2026, 0, 1);
    // Berlin skips 02:00–03:00 on 2026-03-29: 02:30 does not exist, the spell ends at 03:00 CEST (01:00 UTC).
    expect(parseAwayUntil(['until', '2026-03-29', '02:30'], now, 'Europe/Berlin')).toEqual({
      ok: true,
      until: Date.UTC(2026, 2, 29, 1, 0),
    });
    expect(parseAwayUntil(['until', '2026-02-30'], now, 'UTC')).toMatchObject({ ok: false });
    expect(parseAwayUntil(['until', '2026-02-01', '25:00'], now, 'UTC')).toMatchObject({ ok: false });
  });
});
