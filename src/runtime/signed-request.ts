// Pieces every signed-request check shares (HubSpot webhooks, intake deliveries, Mautic): reading a header from
// Node's header bag whatever its case, and comparing a signature in time that does not depend on the texts.
import { timingSafeEqual } from 'node:crypto';

export type HeaderBag = Record<string, string | string[] | undefined>;

/** The header's value (the first, when it came more than once), matched without regard to case. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== wanted) continue;
    return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Text equality whose time does not depend on where the texts differ (nor, beyond a length check, on them). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
