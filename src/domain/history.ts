// Imported history: what became of a past MQL, inferred from the CRM record as it is now.
// Pure functions; the rules come from the `history:` config section (or its CRM defaults).
import { evaluateCondition } from './conditions.js';
import type { Condition, Lead, Millis, RejectionReason } from './model.js';

export interface HistoryRules {
  /** A past MQL counts as accepted (SAL) when this holds. */
  accepted: Condition;
  /** A past MQL counts as rejected when this holds (and it is not accepted). */
  rejected: Condition;
  /** The CRM property holding our own rejection reason id (written back by the live loop). */
  reasonProperty: string;
}

export type HistoryOutcomeState = 'accepted' | 'rejected' | 'open';

export type InferredOutcome = { state: 'accepted' } | { state: 'rejected'; reasonId: string } | { state: 'open' };

/** Reason id recorded when a past rejection carries no reason. */
export const UNKNOWN_REASON = 'unknown';

/**
 * Accepted wins over rejected: a lead that reached a later lifecycle stage was taken by sales, whatever its
 * status says now. Neither rule → still open (counted as pending, never offered).
 */
export function inferOutcome(lead: Lead, rules: HistoryRules, reasons: readonly RejectionReason[]): InferredOutcome {
  if (evaluateCondition(rules.accepted, { lead })) return { state: 'accepted' };
  if (evaluateCondition(rules.rejected, { lead })) {
    return { state: 'rejected', reasonId: reasonFromValue(lead.props[rules.reasonProperty] ?? null, reasons) };
  }
  return { state: 'open' };
}

/** A configured reason id (or label, any case) becomes its id; other text is kept as written; nothing → unknown. */
export function reasonFromValue(raw: string | null | undefined, reasons: readonly RejectionReason[]): string {
  const text = (raw ?? '').trim();
  if (text === '') return UNKNOWN_REASON;
  const lower = text.toLowerCase();
  const known =
    reasons.find((r) => r.id.toLowerCase() === lower) ?? reasons.find((r) => r.label.toLowerCase() === lower);
  return known ? known.id : text;
}

/** The raw CRM properties (`props.<name>`) a condition reads, in first-use order. */
export function conditionProps(c: Condition, out: string[] = []): string[] {
  switch (c.kind) {
    case 'all':
    case 'any':
      for (const part of c.of) conditionProps(part, out);
      return out;
    case 'not':
      return conditionProps(c.of, out);
    case 'compare':
      if (c.field.startsWith('props.')) {
        const name = c.field.slice('props.'.length);
        if (!out.includes(name)) out.push(name);
      }
      return out;
  }
}

/** Every raw property the history rules need from the CRM, the reason property included. */
export function historyProperties(rules: HistoryRules): string[] {
  const out = conditionProps(rules.accepted);
  conditionProps(rules.rejected, out);
  if (!out.includes(rules.reasonProperty)) out.push(rules.reasonProperty);
  return out;
}

/**
 * When an imported decision happened, as well as history tells: the CRM's own outcome time when it is known
 * and not before the MQL time, else the record's last change (an upper bound), never before the MQL time.
 */
export function decisionTime(mqlAt: Millis, outcomeAt: Millis | null, modifiedAt: Millis): Millis {
  if (outcomeAt !== null && outcomeAt >= mqlAt) return outcomeAt;
  return Math.max(mqlAt, modifiedAt);
}
