// Inline SVG charts for the dashboard. Each chart draws in a 400-unit-wide coordinate system and is
// scaled to the panel by CSS, so its text stays readable from a phone to a wide screen. Every bar
// carries its number as text and markers carry their names: nothing is told by colour alone. Every
// chart has a <title> and <desc>; the panels put the same numbers in a table next to it.
import type { WeekPoint } from '../../app/dashboard-view.js';
import { bucketIndex, type Histogram } from '../../domain/metrics.js';
import { html, join, svgNumber, type SafeHtml } from './html.js';

const WIDTH = 400;

export interface BarRow {
  label: string;
  value: number;
  /** The text shown after the bar ("12 · 33.3%"). */
  valueText: string;
  /** Emphasised rows draw darker (the headline row of the funnel). */
  strong?: boolean;
}

function frame(id: string, title: string, desc: string, height: number, body: SafeHtml): SafeHtml {
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${svgNumber(height)}" role="img" aria-labelledby="${id}-t ${id}-d" preserveAspectRatio="xMinYMin meet"><title id="${id}-t">${title}</title><desc id="${id}-d">${desc}</desc>${body}</svg>`;
}

/** Horizontal bars, the label above each bar and the number after it. */
export function barChart(
  id: string,
  title: string,
  rows: readonly BarRow[],
  options: { max?: number; empty?: string } = {},
): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${options.empty ?? 'Nothing to show for these filters.'}</p>`;
  const rowHeight = 38;
  // Room for the longest number after the longest bar (7.5 units a character covers the larger
  // phone font), the rest for the bars.
  const valueRoom = Math.max(...rows.map((r) => r.valueText.length)) * 7.5 + 8;
  const barArea = Math.max(120, WIDTH - valueRoom);
  const labelChars = 46;
  const max = Math.max(options.max ?? 0, ...rows.map((r) => r.value), 1);
  const body = rows.map((r, i) => {
    const y = 4 + i * rowHeight;
    const w = r.value <= 0 ? 0 : Math.max(2, (r.value / max) * barArea);
    const label =
      r.label.length > labelChars
        ? html`${r.label.slice(0, labelChars - 1)}…<title>${r.label}</title>`
        : html`${r.label}`;
    return html`<g class="bar-row${r.strong ? ' strong' : ''}"><text class="bar-label" x="0" y="${svgNumber(y + 12)}">${label}</text><rect class="bar" x="0" y="${svgNumber(y + 17)}" width="${svgNumber(w)}" height="14" rx="2"></rect><text class="bar-value" x="${svgNumber(w + 6)}" y="${svgNumber(y + 28.5)}">${r.valueText}</text></g>`;
  });
  const desc = rows.map((r) => `${r.label}: ${r.valueText}`).join('; ');
  return frame(id, title, desc, 8 + rows.length * rowHeight, join(body));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function weekLabel(start: number): string {
  const d = new Date(start);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''}`;
}

/** Columns of MQL→SAL % per week (0–100 %), the percentage above each column and the week below. */
export function weeklyChart(id: string, title: string, weeks: readonly WeekPoint[]): SafeHtml {
  const left = 34;
  const top = 16;
  const plot = 140;
  const slot = (WIDTH - left) / Math.max(weeks.length, 1);
  const barWidth = Math.min(22, slot * 0.7);
  const y = (p: number) => top + plot - (p / 100) * plot;
  const grid = [0, 25, 50, 75, 100].map(
    (p) =>
      html`<line class="grid" x1="${left}" x2="${WIDTH}" y1="${svgNumber(y(p))}" y2="${svgNumber(y(p))}"></line><text class="axis" x="${left - 4}" y="${svgNumber(y(p) + 3.5)}" text-anchor="end">${p}%</text>`,
  );
  const cols = weeks.map((w, i) => {
    const cx = left + slot * i + slot / 2;
    const label = weekLabel(w.start).split(' ');
    const axis = html`<text class="axis" x="${svgNumber(cx)}" y="${top + plot + 13}" text-anchor="middle">${label[0] ?? ''}</text><text class="axis" x="${svgNumber(cx)}" y="${top + plot + 24}" text-anchor="middle">${label[1] ?? ''}</text>`;
    if (w.percent === null) {
      return html`<g class="week"><text class="bar-value muted" x="${svgNumber(cx)}" y="${top + plot - 4}" text-anchor="middle">–</text>${axis}</g>`;
    }
    const h = Math.max(1, (w.percent / 100) * plot);
    return html`<g class="week${w.partial ? ' partial' : ''}"><rect class="bar" x="${svgNumber(cx - barWidth / 2)}" y="${svgNumber(top + plot - h)}" width="${svgNumber(barWidth)}" height="${svgNumber(h)}" rx="2"></rect><text class="bar-value" x="${svgNumber(cx)}" y="${svgNumber(top + plot - h - 4)}" text-anchor="middle">${Math.round(w.percent)}</text>${axis}</g>`;
  });
  const desc = weeks
    .map(
      (w) =>
        `week of ${weekLabel(w.start)}${w.partial ? ' (so far)' : ''}: ${w.percent === null ? 'no MQLs' : `${w.percent.toFixed(1)}% (${w.sals} of ${w.mqls})`}`,
    )
    .join('; ');
  return frame(id, title, desc, top + plot + 30, join([...grid, ...cols]));
}

/** Where a value sits on the bucket axis: bucket index plus the fraction through that bucket. */
export function bucketPosition(edges: readonly number[], value: number): number {
  const i = bucketIndex(edges, value);
  const lo = edges[i] as number;
  const hi = edges[i + 1];
  if (hi === undefined) return i + 0.5;
  return i + Math.min(1, Math.max(0, (value - lo) / (hi - lo)));
}

export interface Marker {
  name: string;
  value: number;
  text: string;
  /** Dashed line (the second marker), so two markers differ by more than colour. */
  dashed?: boolean;
}

/** Columns per bucket with their counts, and named vertical markers (p50, p90). Bucket labels alternate between two rows so they never touch. */
export function histogramChart(id: string, title: string, h: Histogram, markers: readonly Marker[]): SafeHtml {
  const left = 4;
  const top = 42;
  const plot = 110;
  const slot = (WIDTH - left) / h.counts.length;
  const max = Math.max(1, ...h.counts);
  const cols = h.counts.map((n, i) => {
    const x = left + slot * i;
    const bh = n === 0 ? 0 : Math.max(1, (n / max) * plot);
    return html`<g><rect class="bar" x="${svgNumber(x + 3)}" y="${svgNumber(top + plot - bh)}" width="${svgNumber(slot - 6)}" height="${svgNumber(bh)}" rx="2"></rect><text class="bar-value" x="${svgNumber(x + slot / 2)}" y="${svgNumber(top + plot - bh - 4)}" text-anchor="middle">${n}</text><text class="axis" x="${svgNumber(x + slot / 2)}" y="${top + plot + (i % 2 === 0 ? 13 : 25)}" text-anchor="middle">${h.labels[i] ?? ''}</text></g>`;
  });
  // Labels point away from each other: the first marker's label ends at its line, the next ones
  // start at theirs (markers come in ascending order), unless that would leave the chart.
  const marks = markers.map((m, k) => {
    const x = left + slot * bucketPosition(h.edges, m.value);
    const ty = 12 + k * 13;
    const room = 90;
    const toLeft = k === 0 ? x - room >= 0 : x + room > WIDTH;
    const tx = toLeft ? x - 3 : x + 3;
    return html`<g class="marker"><line x1="${svgNumber(x)}" x2="${svgNumber(x)}" y1="${ty - 10}" y2="${top + plot}"${m.dashed ? html` stroke-dasharray="4 3"` : ''}></line><text class="marker-label" x="${svgNumber(tx)}" y="${ty}" text-anchor="${toLeft ? 'end' : 'start'}">${m.name} ${m.text}</text></g>`;
  });
  const base = html`<line class="grid" x1="0" x2="${WIDTH}" y1="${top + plot}" y2="${top + plot}"></line>`;
  const desc = `${h.counts.map((n, i) => `${h.labels[i] ?? ''}: ${n}`).join('; ')}${markers.length ? `. ${markers.map((m) => `${m.name} ${m.text}`).join(', ')}` : ''}`;
  return frame(id, title, desc, top + plot + 30, join([base, ...cols, ...marks]));
}
