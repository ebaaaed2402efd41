// Outcome inference of imported history: one test per rule of the HubSpot and Salesforce defaults, reasons,
// precedence, custom rules from the config file, and the decision time.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { DEFAULT_HISTORY } from '../../src/config/schema.js';
import { decisionTime, historyProperties, inferOutcome, reasonFromValue } from '../../src/domain/history.js';
import type { RejectionReason } from '../../src/domain/model.js';
import { makeLead } from '../helpers/builders.js';

const REASONS: RejectionReason[] = [
  { id: 'not_icp', label: 'Not our ideal customer', recycle: false, noteRequired: false },
  { id: 'bad_timing', label: 'Bad timing', recycle: true, noteRequired: false },
];
const hubspot = DEFAULT_HISTORY.hubspot;
const salesforce = DEFAULT_HISTORY.salesforce;
const hs = (props: Record<string, string | null>) => makeLead({ props });
const sf = (props: Record<string, string | null>) => makeLead({ source: 'salesforce', props });

describe('inferOutcome with the HubSpot defaults', () => {
  it.each(['salesqualifiedlead', 'opportunity', 'customer'])(
    'counts a contact now in lifecycle stage %s as accepted',
    (stage) => {
      expect(inferOutcome(hs({ lifecyclestage: stage, hs_lead_status: null }), hubspot, REASONS)).toEqual({
        state: 'accepted',
      });
    },
  );

  it.each(['OPEN', 'IN_PROGRESS', 'CONNECTED', 'OPEN_DEAL'])(
    'counts an MQL with lead status %s as accepted',
    (status) => {
      expect(
        inferOutcome(hs({ lifecyclestage: 'marketingqualifiedlead', hs_lead_status: status }), hubspot, REASONS),
      ).toEqual({ state: 'accepted' });
    },
  );

  it('counts UNQUALIFIED as rejected with the reason from our own property', () => {
    const lead = hs({
      lifecyclestage: 'marketingqualifiedlead',
      hs_lead_status: 'UNQUALIFIED',
      handoff_rejection_reason: 'not_icp',
    });
    expect(inferOutcome(lead, hubspot, REASONS)).toEqual({ state: 'rejected', reasonId: 'not_icp' });
  });

  it('counts BAD_TIMING as rejected; without our reason property the reason is unknown', () => {
    const lead = hs({ lifecyclestage: 'lead', hs_lead_status: 'BAD_TIMING', handoff_rejection_reason: null });
    expect(inferOutcome(lead, hubspot, REASONS)).toEqual({ state: 'rejected', reasonId: 'unknown' });
  });

  it('leaves an MQL that no rule matches open', () => {
    expect(
      inferOutcome(hs({ lifecyclestage: 'marketingqualifiedlead', hs_lead_status: 'NEW' }), hubspot, REASONS),
    ).toEqual({ state: 'open' });
    expect(inferOutcome(hs({ lifecyclestage: 'marketingqualifiedlead' }), hubspot, REASONS)).toEqual({ state: 'open' });
  });

  it('lets a later lifecycle stage win over a rejected status', () => {
    const lead = hs({ lifecyclestage: 'customer', hs_lead_status: 'UNQUALIFIED', handoff_rejection_reason: 'not_icp' });
    expect(inferOutcome(lead, hubspot, REASONS).state).toBe('accepted');
  });
});

describe('inferOutcome with the Salesforce defaults', () => {
  it('counts a converted lead as accepted', () => {
    expect(inferOutcome(sf({ IsConverted: 'true', Status: 'Closed - Converted' }), salesforce, REASONS)).toEqual({
      state: 'accepted',
    });
  });

  it('counts Working - Contacted as accepted', () => {
    expect(inferOutcome(sf({ IsConverted: 'false', Status: 'Working - Contacted' }), salesforce, REASONS)).toEqual({
      state: 'accepted',
    });
  });

  it('counts Closed - Not Converted as rejected, with the reason field when it holds a configured label', () => {
    const lead = sf({
      IsConverted: 'false',
      Status: 'Closed - Not Converted',
      Handoff_Rejection_Reason__c: 'Bad timing',
    });
    expect(inferOutcome(lead, salesforce, REASONS)).toEqual({ state: 'rejected', reasonId: 'bad_timing' });
  });

  it('leaves a lead still in Marketing Qualified open', () => {
    expect(inferOutcome(sf({ IsConverted: 'false', Status: 'Marketing Qualified' }), salesforce, REASONS)).toEqual({
      state: 'open',
    });
  });
});

describe('history rules from the config file', () => {
  it('uses the history section instead of the defaults', () => {
    const config = parseConfigText(
      [
        'source: { kind: hubspot }',
        'hubspot: { token: t }',
        'reps: [{ id: ana, name: Ana, email: ana@example.com, timezone: UTC }]',
        'teams: [{ id: all, members: [ana] }]',
        'routing: { fallback: { team: all } }',
        'history:',
        '  accepted: { props.deal_stage: { in: [won, negotiating] } }',
        '  rejected: { props.sales_verdict: { eq: nope } }',
        '  reasonProperty: verdict_reason',
      ].join('\n'),
      {},
      '/cfg/handoff.yaml',
    );
    const rules = config.history;
    expect(inferOutcome(hs({ deal_stage: 'won', lifecyclestage: 'marketingqualifiedlead' }), rules, REASONS)).toEqual({
      state: 'accepted',
    });
    // the default rule (later lifecycle stage) no longer applies
    expect(inferOutcome(hs({ lifecyclestage: 'customer' }), rules, REASONS)).toEqual({ state: 'open' });
    expect(inferOutcome(hs({ sales_verdict: 'nope', verdict_reason: 'Too small' }), rules, REASONS)).toEqual({
      state: 'rejected',
      reasonId: 'Too small',
    });
    expect(historyProperties(rules)).toEqual(['deal_stage', 'sales_verdict', 'verdict_reason']);
  });

  it('names every property the default rules read', () => {
    expect(historyProperties(hubspot)).toEqual(['lifecyclestage', 'hs_lead_status', 'handoff_rejection_reason']);
    expect(historyProperties(salesforce)).toEqual(['IsConverted', 'Status', 'Handoff_Rejection_Reason__c']);
  });
});

describe('reasonFromValue and decisionTime', () => {
  it('maps ids and labels in any case, keeps other text, and calls nothing unknown', () => {
    expect(reasonFromValue('NOT_ICP', REASONS)).toBe('not_icp');
    expect(reasonFromValue(' bad timing ', REASONS)).toBe('bad_timing');
    expect(reasonFromValue('budget frozen', REASONS)).toBe('budget frozen');
    expect(reasonFromValue('', REASONS)).toBe('unknown');
    expect(reasonFromValue(null, REASONS)).toBe('unknown');
  });

  it('takes the CRM outcome time when it is not before the MQL, else the last change, never before the MQL', () => {
    expect(decisionTime(1_000, 5_000, 9_000)).toBe(5_000);
    expect(decisionTime(1_000, 500, 9_000)).toBe(9_000);
    expect(decisionTime(1_000, null, 9_000)).toBe(9_000);
    expect(decisionTime(1_000, null, 200)).toBe(1_000);
  });
});
