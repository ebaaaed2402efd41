// The lead file parser of `handoff simulate`: JSON with line numbers and RFC 4180 CSV.
import { describe, expect, it } from 'vitest';
import { parseCsv, parseLeadFile } from '../../src/cli/lead-file.js';
import { InputError } from '../../src/domain/errors.js';

const opts = (name: string) => ({ name, defaultMqlAt: 1_000, source: 'salesforce' as const });

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) {
      expect(err.code).toBe('input.invalid');
      return err.problems;
    }
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('CSV', () => {
  it('splits RFC 4180 records: quotes, doubled quotes, commas and line breaks in values, CRLF, BOM', () => {
    const problems: string[] = [];
    const recs = parseCsv('\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\r\n\r\n2,"multi\r\nline",\n3,,z', {
      add: (line, field, m) => void problems.push(`${line} ${field ?? ''} ${m}`),
    });
    expect(problems).toEqual([]);
    expect(recs).toEqual([
      { line: 1, values: ['a', 'b', 'c'] },
      { line: 2, values: ['1', 'x, y', 'say "hi"'] },
      { line: 4, values: ['2', 'multi\r\nline', ''] },
      { line: 6, values: ['3', '', 'z'] },
    ]);
  });

  it('builds leads with typed fields, props and defaults', () => {
    const leads = parseLeadFile(
      'email,employees,score,props.x,mqlAt,externalId,source\nA@b.io,1200,,7,2026-11-01T00:00:00Z,42,hubspot\nc@d.io,,,,,,\n',
      opts('l.csv'),
    );
    expect(leads).toHaveLength(2);
    expect(leads[0]).toEqual({
      line: 2,
      lead: expect.objectContaining({
        email: 'A@b.io',
        fields: { employees: 1200 },
        props: { x: '7' },
        mqlAt: Date.parse('2026-11-01T00:00:00Z'),
        externalId: '42',
        source: 'hubspot',
      }),
    });
    expect(leads[1]!.lead).toMatchObject({
      externalId: 'sim-2',
      source: 'salesforce',
      mqlAt: 1_000,
      fields: {},
      props: { x: null },
    });
  });

  it('reports an unclosed quote at the line where its record starts', () => {
    expect(problemsOf(() => parseLeadFile('email,company\na@b.io,ok\nc@d.io,"never\nclosed\n', opts('q.csv')))).toEqual(
      ['q.csv line 3: broken CSV: a quoted value (column 2) is never closed'],
    );
  });

  it('reports every bad value at once', () => {
    const text = 'email,employees,source,mqlAt\nnot-an-email,12,hubspot,\nb@c.io,1e3x,sap,yesterday\n';
    expect(problemsOf(() => parseLeadFile(text, opts('v.csv')))).toEqual([
      'v.csv line 2, field "email": not an email address: "not-an-email"',
      'v.csv line 3, field "employees": expected a number, got "1e3x"',
      'v.csv line 3, field "source": expected hubspot or salesforce, got "sap"',
      'v.csv line 3, field "mqlAt": expected an ISO time or epoch milliseconds, got "yesterday"',
    ]);
  });

  it('reports a quote inside an unquoted value and a duplicate or empty header', () => {
    expect(problemsOf(() => parseLeadFile('email,company\na@b.io,Mc"Coy\n', opts('x.csv')))).toEqual([
      'x.csv line 2: broken CSV: a quote inside unquoted column 2 (quote the whole value and double the quote)',
    ]);
    expect(problemsOf(() => parseLeadFile('email,email,\n', opts('h.csv')))).toEqual([
      'h.csv line 1, field "email": given twice in the header',
      'h.csv line 1: column 3 has no name',
    ]);
  });
});

describe('JSON', () => {
  it('reads an array of objects, accepting numbers for text and numeric text for numbers', () => {
    const leads = parseLeadFile(
      '[{"email":"a@b.io","campaign":2026,"employees":"1200","props.flag":true,"mqlAt":5}]',
      opts('l.json'),
    );
    expect(leads[0]!.lead).toMatchObject({
      fields: { campaign: '2026', employees: 1200 },
      props: { flag: 'true' },
      mqlAt: 5,
    });
  });

  it('names the line of the key or value at fault', () => {
    const text =
      '[\n  {"email": "a@b.io"},\n  {\n    "email": "c@d.io",\n    "country": ["DE"],\n    "email": "x@y.z"\n  },\n  7\n]';
    expect(problemsOf(() => parseLeadFile(text, opts('k.json')))).toEqual([
      'k.json line 5, field "country": expected text, got a list',
      'k.json line 6, field "email": given twice',
      'k.json line 8: lead 3 is not an object',
    ]);
    expect(problemsOf(() => parseLeadFile('{"email": "a@b.io"}', opts('o.json')))).toEqual([
      'o.json line 1: expected a JSON array of lead objects',
    ]);
    expect(problemsOf(() => parseLeadFile('[\n{"email": "a@b.io",}\n]', opts('t.json')))).toEqual([
      't.json line 2: broken JSON: expected a quoted key, found "}"',
    ]);
    expect(problemsOf(() => parseLeadFile('[\n{"email": "a@b.io"}\n] x', opts('e.json')))).toEqual([
      'e.json line 3: broken JSON: unexpected "x" after the end of the data',
    ]);
  });
});
