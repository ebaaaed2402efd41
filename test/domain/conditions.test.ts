import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emailDomain,
  evaluateCondition,
  explainCondition,
  isConditionField,
  resolveField,
} from '../../src/domain/conditions.js';
import type { ComparisonOp, Condition, Scalar } from '../../src/domain/model.js';
import { makeLead } from '../helpers/routing-builders.js';

const cmp = (field: string, op: ComparisonOp, value: Scalar | Scalar[]): Condition => ({
  kind: 'compare',
  field,
  op,
  value,
});

const lead = makeLead({
  email: 'Jane.Doe@ACME.io',
  source: 'salesforce',
  fields: { country: 'DE', employees: 1200, title: 'VP Sales', score: 42 },
  props: { hs_lead_status: 'OPEN', numberofemployees: '1200', created: '2026-11-01', empty: '', nothing: null },
});
const at = { lead };

describe('resolveField', () => {
  it('reads mapped fields, built-ins and props', () => {
    expect(resolveField('country', at)).toBe('DE');
    expect(resolveField('employees', at)).toBe(1200);
    expect(resolveField('email', at)).toBe('Jane.Doe@ACME.io');
    expect(resolveField('domain', at)).toBe('acme.io');
    expect(resolveField('source', at)).toBe('salesforce');
    expect(resolveField('hot', at)).toBe(false);
    expect(resolveField('hot', { lead, hot: true })).toBe(true);
    expect(resolveField('props.hs_lead_status', at)).toBe('OPEN');
  });

  it('treats undefined, null and empty text as missing', () => {
    expect(resolveField('industry', at)).toBeNull();
    expect(resolveField('props.empty', at)).toBeNull();
    expect(resolveField('props.nothing', at)).toBeNull();
    expect(resolveField('props.absent', at)).toBeNull();
    expect(resolveField('domain', { lead: makeLead({ email: null }) })).toBeNull();
  });

  it('knows which names are fields', () => {
    expect(isConditionField('employees')).toBe(true);
    expect(isConditionField('domain')).toBe(true);
    expect(isConditionField('props.x')).toBe(true);
    expect(isConditionField('props.')).toBe(false);
    expect(isConditionField('employeez')).toBe(false);
    expect(emailDomain('a@B.Com ')).toBe('b.com');
    expect(emailDomain('nobody')).toBeNull();
  });
});

describe('evaluateCondition', () => {
  it.each([
    [cmp('country', 'eq', 'de'), true],
    [cmp('country', 'eq', 'FR'), false],
    [cmp('country', 'ne', 'FR'), true],
    [cmp('country', 'in', ['FR', 'DE', 'GB']), true],
    [cmp('country', 'notIn', ['FR', 'GB']), true],
    [cmp('employees', 'eq', '1200'), true],
    [cmp('props.numberofemployees', 'eq', 1200), true],
    [cmp('props.numberofemployees', 'gte', 1000), true],
    [cmp('props.numberofemployees', 'lt', 999), false],
    [cmp('employees', 'gt', 1200), false],
    [cmp('employees', 'gte', 1200), true],
    [cmp('employees', 'lte', 1200), true],
    [cmp('employees', 'lt', 'many'), false],
    [cmp('props.created', 'gte', '2026-10-01'), true],
    [cmp('props.created', 'lt', '2026-10-01'), false],
    [cmp('title', 'contains', 'sales'), true],
    [cmp('title', 'contains', 'marketing'), false],
    [cmp('title', 'matches', '^VP\\b'), true],
    [cmp('title', 'matches', '^vp\\b'), false],
    [cmp('title', 'matches', '/^vp\\b/i'), true],
    [cmp('title', 'matches', '(unclosed'), false],
    [cmp('domain', 'eq', 'acme.io'), true],
    [cmp('hot', 'eq', true), false],
    [cmp('country', 'exists', true), true],
    [cmp('industry', 'exists', true), false],
    [cmp('industry', 'exists', false), true],
  ])('%j → %s', (c, expected) => {
    expect(evaluateCondition(c, at)).toBe(expected);
  });

  it('never matches a missing value except ne, notIn and exists:false', () => {
    const ops: [ComparisonOp, Scalar | Scalar[]][] = [
      ['eq', 'x'],
      ['in', ['x']],
      ['gt', 1],
      ['gte', 1],
      ['lt', 1],
      ['lte', 1],
      ['contains', 'x'],
      ['matches', '.*'],
      ['exists', true],
    ];
    for (const [op, v] of ops) expect(evaluateCondition(cmp('industry', op, v), at), op).toBe(false);
    expect(evaluateCondition(cmp('industry', 'ne', 'x'), at)).toBe(true);
    expect(evaluateCondition(cmp('industry', 'notIn', ['x']), at)).toBe(true);
  });

  it('combines with all, any and not', () => {
    const enterpriseDe: Condition = { kind: 'all', of: [cmp('employees', 'gte', 1000), cmp('country', 'eq', 'DE')] };
    expect(evaluateCondition(enterpriseDe, at)).toBe(true);
    expect(evaluateCondition({ kind: 'not', of: enterpriseDe }, at)).toBe(false);
    expect(evaluateCondition({ kind: 'any', of: [cmp('country', 'eq', 'US'), cmp('score', 'gt', 40)] }, at)).toBe(true);
    expect(evaluateCondition({ kind: 'any', of: [] }, at)).toBe(false);
    expect(evaluateCondition({ kind: 'all', of: [] }, at)).toBe(true);
  });

  it('ne is exactly not eq and notIn exactly not in, for any value', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom('1', '01', '1.0', 'DE', 'de'),
    );
    fc.assert(
      fc.property(fc.option(value, { nil: undefined }), value, fc.array(value, { maxLength: 3 }), (actual, v, vs) => {
        const l = makeLead({
          props: { p: actual === undefined ? null : String(actual) },
          fields: typeof actual === 'number' ? { score: actual } : {},
        });
        for (const field of ['props.p', 'score']) {
          const i = { lead: l };
          expect(evaluateCondition(cmp(field, 'ne', v), i)).toBe(!evaluateCondition(cmp(field, 'eq', v), i));
          expect(evaluateCondition(cmp(field, 'notIn', vs), i)).toBe(!evaluateCondition(cmp(field, 'in', vs), i));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('explainCondition', () => {
  it('agrees with evaluateCondition and says why a rule did not match', () => {
    const c: Condition = { kind: 'all', of: [cmp('employees', 'gte', 5000), cmp('country', 'in', ['DE', 'FR'])] };
    const r = explainCondition(c, at);
    expect(r.matched).toBe(false);
    expect(r.detail).toBe('employees 1200 ≥ 5000');
    const m = explainCondition({ kind: 'any', of: [cmp('country', 'eq', 'US'), cmp('country', 'in', ['DE'])] }, at);
    expect(m).toEqual({ matched: true, detail: 'country "DE" in ["DE"]' });
    expect(explainCondition(cmp('industry', 'eq', 'SaaS'), at).detail).toBe('industry is missing (= "SaaS")');
    expect(explainCondition({ kind: 'not', of: cmp('country', 'eq', 'DE') }, at)).toEqual({
      matched: false,
      detail: 'not (country "DE" = "DE")',
    });
  });

  it('matches evaluateCondition on random trees', () => {
    const leaf = fc
      .tuple(
        fc.constantFrom('country', 'employees', 'industry', 'props.hs_lead_status', 'domain', 'hot'),
        fc.constantFrom<ComparisonOp>('eq', 'ne', 'in', 'notIn', 'gt', 'lte', 'contains', 'exists'),
        fc.oneof(fc.constantFrom<Scalar>('DE', 'open', 1000, 'acme', true, false), fc.constant<Scalar[]>(['DE', 'FR'])),
      )
      .map(([f, op, v]) => cmp(f, op, v));
    const tree = fc.letrec<{ node: Condition }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('node'), { maxLength: 3 }).map((of) => ({ kind: 'all' as const, of })),
        fc.array(tie('node'), { maxLength: 3 }).map((of) => ({ kind: 'any' as const, of })),
        tie('node').map((of) => ({ kind: 'not' as const, of })),
      ),
    })).node;
    fc.assert(
      fc.property(tree, fc.boolean(), (c, hot) => {
        expect(explainCondition(c, { lead, hot }).matched).toBe(evaluateCondition(c, { lead, hot }));
      }),
      { numRuns: 300 },
    );
  });
});
