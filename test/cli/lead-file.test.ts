// The one lead file parser: JSON with line numbers and RFC 4180 CSV, read the same way, as `handoff
// simulate` uses it (default MQL time, numbered ids) and as `handoff backfill --from` does (mqlAt
// required, ids by email, extra fields checked by the caller).
import { describe, expect, it } from 'vitest';
import { parseCsv, parseLeadFile, type LeadFileOptions } from '../../src/cli/lead-file.js';

/** The options of `handoff simulate`. */
const opts = (name: string): LeadFileOptions => ({
  name,
  defaultMqlAt: 1_000,
  source: 'salesforce',
  missingId: 'numbered',
});
/** The options of `handoff backfill --from`. */
const history = (name: string): LeadFileOptions => ({
  name,
  source: 'hubspot',
  missingId: 'email',
  extraFields: ['outcome', 'reason', 'rep'],
});

const problemsOf = (text: string, options: LeadFileOptions): string[] => parseLeadFile(text, options).problems;

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
    ).rows;
    expect(leads).toHaveLength(2);
    expect(leads[0]).toEqual({
      line: 2,
      extra: {},
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
    expect(problemsOf('email,company\na@b.io,ok\nc@d.io,"never\nclosed\n', opts('q.csv'))).toEqual([
      'q.csv line 3: broken CSV: a quoted value (column 2) is never closed',
    ]);
  });

  it('reports every bad value at once', () => {
    const text = 'email,employees,source,mqlAt\nnot-an-email,12,hubspot,\nb@c.io,1e3x,sap,yesterday\n';
    expect(problemsOf(text, opts('v.csv'))).toEqual([
      'v.csv line 2, field "email": not an email address: "not-an-email"',
      'v.csv line 3, field "employees": expected a number, got "1e3x"',
      'v.csv line 3, field "source": expected hubspot or salesforce, got "sap"',
      'v.csv line 3, field "mqlAt": expected an ISO time or epoch milliseconds, got "yesterday"',
    ]);
  });

  it('reports a quote inside an unquoted value and a duplicate or empty header', () => {
    expect(problemsOf('email,company\na@b.io,Mc"Coy\n', opts('x.csv'))).toEqual([
      'x.csv line 2: broken CSV: a quote inside unquoted column 2 (quote the whole value and double the quote)',
    ]);
    expect(problemsOf('email,email,\n', opts('h.csv'))).toEqual([
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
    ).rows;
    expect(leads[0]!.lead).toMatchObject({
      fields: { campaign: '2026', employees: 1200 },
      props: { flag: 'true' },
      mqlAt: 5,
    });
  });

  it('names the line of the key or value at fault', () => {
    const text =
      '[\n  {"email": "a@b.io"},\n  {\n    "email": "c@d.io",\n    "country": ["DE"],\n    "email": "x@y.z"\n  },\n  7\n]';
    expect(problemsOf(text, opts('k.json'))).toEqual([
      'k.json line 5, field "country": expected text, got a list',
      'k.json line 6, field "email": given twice',
      'k.json line 8: entry 3 is not an object',
    ]);
    expect(problemsOf('{"email": "a@b.io"}', opts('o.json'))).toEqual([
      'o.json line 1: expected a JSON array of objects, one per lead',
    ]);
    expect(problemsOf('[\n{"email": "a@b.io",}\n]', opts('t.json'))).toEqual([
      't.json line 2: broken JSON: expected a quoted key, found "}"',
    ]);
    expect(problemsOf('[\n{"email": "a@b.io"}\n] x', opts('e.json'))).toEqual([
      'e.json line 3: broken JSON: unexpected "x" after the end of the data',
    ]);
  });
});

describe('the same rules for both formats', () => {
  it('reads a CSV row and the same JSON object into the same lead: trimmed text, empty = no value, ISO dates', () => {
    const csv = parseLeadFile(
      'email,firstName,company,employees,country,mqlAt,props.note\n  a@b.io , Ana ,Acme  ,12,,2026-11-01,\n',
      opts('same.csv'),
    );
    const json = parseLeadFile(
      '[{"email":"  a@b.io ","firstName":" Ana ","company":"Acme  ","employees":12,"country":"","mqlAt":"2026-11-01","props.note":null}]',
      opts('same.json'),
    );
    expect(csv.problems).toEqual([]);
    expect(json.problems).toEqual([]);
    expect(json.rows[0]!.lead).toEqual(csv.rows[0]!.lead);
    expect(csv.rows[0]!.lead).toMatchObject({
      email: 'a@b.io',
      firstName: 'Ana',
      fields: { company: 'Acme', employees: 12 },
      props: { note: null },
      mqlAt: Date.parse('2026-11-01T00:00:00Z'),
      externalId: 'sim-1',
    });
  });

  it('takes an ISO date or epoch milliseconds for mqlAt, nothing a browser might guess at', () => {
    expect(problemsOf('email,mqlAt\na@b.io,Nov 3 2026\nc@d.io,03/11/2026\n', opts('d.csv'))).toEqual([
      'd.csv line 2, field "mqlAt": expected an ISO time or epoch milliseconds, got "Nov 3 2026"',
      'd.csv line 3, field "mqlAt": expected an ISO time or epoch milliseconds, got "03/11/2026"',
    ]);
    expect(problemsOf('[{"email":"a@b.io","mqlAt":true,"lastName":false}]', opts('d.json'))).toEqual([
      'd.json line 1, field "mqlAt": expected an ISO time or epoch milliseconds, got true',
      'd.json line 1, field "lastName": expected text, got false',
    ]);
  });

  it('leaves out the rows with a problem, keeps the good ones and counts the rest', () => {
    const f = parseLeadFile('email,employees\na@b.io,1\nnot-an-email,2\nc@d.io,many\ne@f.io,4\n', opts('m.csv'));
    expect(f.rows.map((r) => [r.line, r.lead.email])).toEqual([
      [2, 'a@b.io'],
      [5, 'e@f.io'],
    ]);
    expect(f.invalidRows).toBe(2);
    expect(f.problems).toHaveLength(2);
  });
});

describe('history files (backfill --from)', () => {
  it('requires mqlAt and an email or externalId, keys rows by email, and hands back the extra fields', () => {
    const f = parseLeadFile(
      'email,externalId,mqlAt,outcome,reason,rep\nAna@Acme.example,,2026-10-01T10:00:00Z, Rejected ,bad timing,\n,,1791108000000,,,\n,x9,,open,,alice\n',
      history('h.csv'),
    );
    expect(f.problems).toEqual([
      'h.csv line 3, field "externalId": required when there is no email: the record id in the CRM',
      'h.csv line 4, field "mqlAt": required: when the lead became MQL (ISO time or epoch milliseconds)',
    ]);
    expect(f.rows).toEqual([
      {
        line: 2,
        lead: expect.objectContaining({ externalId: 'email:ana@acme.example', source: 'hubspot' }),
        extra: { outcome: 'Rejected', reason: 'bad timing' },
      },
    ]);
    expect(f.invalidRows).toBe(2);
  });

  it("reports the caller's problems at the line of the field in a JSON file and leaves the row out", () => {
    const text =
      '[\n  {\n    "email": "a@b.io",\n    "mqlAt": 5,\n    "outcome": "won"\n  },\n  {"email": "c@d.io", "mqlAt": 6}\n]';
    const f = parseLeadFile(text, history('c.json'), (row, report) => {
      if (row.extra.outcome !== undefined) report('outcome', `unknown outcome "${row.extra.outcome}"`);
      return row.lead.email;
    });
    expect(f.problems).toEqual(['c.json line 5, field "outcome": unknown outcome "won"']);
    expect(f.rows).toEqual(['c@d.io']);
    expect(f.invalidRows).toBe(1);
  });

  it('names the extra fields among the known ones, and refuses them where the caller has none', () => {
    expect(problemsOf('email,colour\n', history('u.csv'))[0]).toMatch(
      /^u\.csv line 1, field "colour": unknown field \(use title, .*, source, outcome, reason, rep or props\.<name>\)$/,
    );
    expect(problemsOf('email,outcome\na@b.io,accepted\n', opts('s.csv'))[0]).toMatch(
      /^s\.csv line 1, field "outcome": unknown field/,
    );
  });
});
