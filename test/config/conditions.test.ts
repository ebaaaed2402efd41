import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/domain/model.js';
import { inputError, minimalYaml, parse } from './helpers.js';

/** Parses a config whose only rule has this `when` (YAML flow text) and returns the condition. */
function when(yaml: string): Condition {
  const config = parse(
    minimalYaml(`routing:\n  rules:\n    - { name: R, when: ${yaml}, team: emea }\n  fallback: { team: emea }`),
  );
  return (config.routing.rules[0] as { when: Condition }).when;
}
function problemsOf(yaml: string): string[] {
  return inputError(() => when(yaml)).problems.map((p) => p.replace(/ \(line \d+\)$/, ''));
}
const at = 'routing.rules[0].when';

describe('conditions: the YAML form becomes the domain tree', () => {
  it('one field, one operator', () => {
    expect(when('{ employees: { gte: 1000 } }')).toEqual({
      kind: 'compare',
      field: 'employees',
      op: 'gte',
      value: 1000,
    });
  });

  it('several fields (and several operators) in one map are ANDed', () => {
    expect(when('{ country: { in: [DE, FR] }, employees: { gte: 50, lt: 1000 } }')).toEqual({
      kind: 'all',
      of: [
        { kind: 'compare', field: 'country', op: 'in', value: ['DE', 'FR'] },
        { kind: 'compare', field: 'employees', op: 'gte', value: 50 },
        { kind: 'compare', field: 'employees', op: 'lt', value: 1000 },
      ],
    });
  });

  it('all / any / not nest', () => {
    expect(
      when('{ any: [ { score: { gte: 90 } }, { all: [ { hot: true }, { not: { industry: { eq: Education } } } ] } ] }'),
    ).toEqual({
      kind: 'any',
      of: [
        { kind: 'compare', field: 'score', op: 'gte', value: 90 },
        {
          kind: 'all',
          of: [
            { kind: 'compare', field: 'hot', op: 'eq', value: true },
            { kind: 'not', of: { kind: 'compare', field: 'industry', op: 'eq', value: 'Education' } },
          ],
        },
      ],
    });
  });

  it('a bare value is eq; numbers for text fields become text; props compare as text', () => {
    expect(when('{ country: DE }')).toEqual({ kind: 'compare', field: 'country', op: 'eq', value: 'DE' });
    expect(when('{ campaign: { eq: 2026 } }')).toEqual({ kind: 'compare', field: 'campaign', op: 'eq', value: '2026' });
    expect(when('{ props.IsConverted: { eq: true } }')).toEqual({
      kind: 'compare',
      field: 'props.IsConverted',
      op: 'eq',
      value: 'true',
    });
    expect(when('{ props.num_visits: { gt: 3 } }')).toEqual({
      kind: 'compare',
      field: 'props.num_visits',
      op: 'gt',
      value: 3,
    });
    expect(when('{ email: { matches: "@(acme|globex)\\\\.com$" } }')).toEqual({
      kind: 'compare',
      field: 'email',
      op: 'matches',
      value: '@(acme|globex)\\.com$',
    });
    expect(when('{ need: { exists: false } }')).toEqual({ kind: 'compare', field: 'need', op: 'exists', value: false });
  });
});

describe('conditions: wrong fields and types are config errors', () => {
  it('a number field compared with text', () => {
    expect(problemsOf('{ employees: { gte: "x" } }')).toEqual([
      `${at}.employees.gte: "employees" is a number field; gte needs a number, not text "x"`,
    ]);
  });

  it('in needs a list; each element is checked', () => {
    expect(problemsOf('{ country: { in: DE } }')).toEqual([`${at}.country.in: expected a list, got a string`]);
    expect(problemsOf('{ employees: { in: [10, ten] } }')).toEqual([
      `${at}.employees.in[1]: "employees" is a number field; in needs a number, not text "ten"`,
    ]);
  });

  it('matches must compile as a regular expression', () => {
    expect(problemsOf('{ title: { matches: "(VP" } }')[0]).toMatch(
      new RegExp(`^${at.replace(/[[\].]/g, '\\$&')}\\.title\\.matches: not a valid regular expression`),
    );
  });

  it('ordered comparisons need numbers; text operators need text; hot is true/false', () => {
    expect(problemsOf('{ country: { gt: DE } }')).toEqual([
      `${at}.country.gt: gt compares numbers; "country" is a text field`,
    ]);
    expect(problemsOf('{ employees: { contains: "10" } }')).toEqual([
      `${at}.employees.contains: contains works on text; "employees" is a number field`,
    ]);
    expect(problemsOf('{ hot: { eq: yes } }')).toEqual([
      `${at}.hot.eq: "hot" is true or false; eq needs true or false, not text "yes"`,
    ]);
    expect(problemsOf('{ need: { exists: "yes" } }')).toEqual([
      `${at}.need.exists: expected true or false, got a string`,
    ]);
  });

  it('unknown fields and operators, with suggestions', () => {
    expect(problemsOf('{ employes: { gte: 5 } }')[0]).toMatch(
      /\.employes: unknown field "employes" \(did you mean "employees"\?\); fields are title, /,
    );
    expect(problemsOf('{ employees: { gtee: 5 } }')).toEqual([`${at}.employees.gtee: unknown key`]);
    expect(problemsOf('{ props.: { eq: x } }')[0]).toMatch(/unknown field "props\."/);
  });

  it('every problem in one condition is reported, even next to a shape error', () => {
    expect(
      problemsOf('{ all: [ { country: { in: DE } }, { employees: { gte: "x" } }, { score: { lt: "y" } } ] }'),
    ).toEqual([
      `${at}.all[0].country.in: expected a list, got a string`,
      `${at}.all[1].employees.gte: "employees" is a number field; gte needs a number, not text "x"`,
      `${at}.all[2].score.lt: "score" is a number field; lt needs a number, not text "y"`,
    ]);
  });

  it('empty conditions and empty combinators', () => {
    expect(problemsOf('{}')).toEqual([`${at}: empty condition; name at least one field, or all/any/not`]);
    expect(problemsOf('{ any: [] }')[0]).toMatch(/\.any: /);
  });

  it('a field that is not mapped for the source', () => {
    const err = inputError(() =>
      parse(minimalYaml('fields: { score: null }\nrouting: { rules: [{ when: { score: { gte: 5 } }, team: emea }] }')),
    );
    expect(err.problems).toEqual([
      expect.stringMatching(
        /^routing\.rules\[0\]\.when\.score: field "score" is not mapped to a HubSpot property \(set fields\.score\)/,
      ),
    ]);
  });

  it('the hot lane cannot depend on hot; history conditions are checked too', () => {
    const err = inputError(() =>
      parse(
        minimalYaml(
          'routing: { fallback: { team: emea } }\nhistory: { rejected: { props.hs_lead_status: { in: UNQUALIFIED } } }',
        ).replace('source: { kind: hubspot }', 'source: { kind: hubspot, hot: { when: { hot: true } } }'),
      ),
    );
    expect(err.problems).toEqual([
      expect.stringMatching(/^source\.hot\.when\.hot: the hot-lane condition cannot depend on "hot" itself/),
      expect.stringMatching(/^history\.rejected\.props\.hs_lead_status\.in: expected a list/),
    ]);
  });
});
