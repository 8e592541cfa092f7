/**
 * report.ts: the JUnit XML that CI dashboards read (checked as XML, then read back by a JUnit parser)
 * and GitHub's workflow annotations; the first on made-up results, then from a real run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { parse, type ITestResult } from 'test-results-parser';
import type { CellFailure, NotebookResult } from '../../src/runner';
import { githubAnnotations, junitXml } from '../../src/runner/report';
import { cli, removeScratchFolders, scratchFolder } from '../support/runner-helpers';

jest.setTimeout(90_000);
afterAll(removeScratchFolders);

/** Writes `xml` to a file, checks that it is well-formed XML, and reads it as a JUnit report. */
function readJunit(xml: string): ITestResult {
  expect(XMLValidator.validate(xml)).toBe(true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-junit-'));
  try {
    fs.writeFileSync(path.join(dir, 'junit.xml'), xml);
    return parse({ type: 'junit', files: [path.join(dir, 'junit.xml')] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const failure = (codeCell: number, ename: string, evalue: string): CellFailure => ({
  codeCell,
  cellIndex: codeCell + 1,
  source: 'x',
  ename,
  evalue,
  traceback: [`${ename}: ${evalue}`, '    at Cell In[2], line 1'],
});

const result = (fields: Partial<NotebookResult>): NotebookResult => ({
  notebook: 'nb/missing.ipynb',
  written: null,
  status: 'ok',
  cells: 0,
  executed: 0,
  cellSeconds: [],
  storedErrors: [],
  cut: [],
  seconds: 1,
  ...fields,
});

describe('junitXml', () => {
  it('gives a suite per notebook and a case per code cell: passed, failed with its error, skipped', () => {
    const report = readJunit(
      junitXml([
        result({ notebook: 'a & <b>.ipynb', cells: 2, executed: 2, cellSeconds: [0.5, 1.25] }),
        result({
          notebook: 'c.ipynb',
          status: 'error',
          cells: 3,
          executed: 2,
          cellSeconds: [0.1, 0.2],
          failure: failure(2, 'TypeError', 'a "bad"\u0007 <value> & more'),
        }),
        result({
          notebook: 'd.ipynb',
          cells: 1,
          executed: 1,
          cellSeconds: [0.3],
          storedErrors: [failure(1, 'RangeError', 'expected')],
        }),
        result({ notebook: 'e.ipynb', status: 'failed', message: 'kernel did not answer within 60 s' }),
      ]),
    );
    expect(report.suites.map((s) => [s.name, s.cases.map((c) => c.status)])).toEqual([
      ['a & <b>.ipynb', ['PASS', 'PASS']],
      ['c.ipynb', ['PASS', 'FAIL', 'SKIP']],
      ['d.ipynb', ['PASS']], // --allow-errors: an expected error
      ['e.ipynb', ['FAIL']],
    ]);
    expect(report.suites[0].cases.map((c) => c.duration)).toEqual([500, 1250]);
    const failed = report.suites[1].cases[1];
    expect(failed.failure).toBe('a "bad" <value> & more'); // the control character XML cannot hold is dropped
    expect(failed.stack_trace).toContain('at Cell In[2], line 1');
    expect(report.suites[3].cases[0].failure).toMatch(/did not answer/);
    // 7 cases, of which 1 skipped (the parser's total counts the others), 1 failed, 1 erred.
    expect([report.total, report.failed, report.errors, report.skipped]).toEqual([6, 1, 1, 1]);
  });
});

describe('githubAnnotations', () => {
  it('annotates each notebook that did not finish, escaped as workflow commands need', () => {
    const lines = githubAnnotations([
      result({ notebook: 'ok.ipynb' }),
      result({
        notebook: 'x,y.ipynb',
        status: 'error',
        cells: 3,
        failure: { ...failure(2, 'TypeError', '100% wrong'), traceback: ['line 1', 'line 2'] },
      }),
      // A traceback that names the error already is not preceded by it again.
      result({ notebook: 'y.ipynb', status: 'error', cells: 1, failure: failure(1, 'RangeError', 'far') }),
      result({ notebook: 'z.ipynb', status: 'failed', message: 'cannot lock' }),
    ]);
    expect(lines).toEqual([
      '::error file=x%2Cy.ipynb,title=cell 2/3 error%3A TypeError::TypeError: 100%25 wrong%0Aline 1%0Aline 2',
      '::error file=y.ipynb,title=cell 1/1 error%3A RangeError::RangeError: far%0A    at Cell In[2], line 1',
      '::error file=z.ipynb,title=notebook failed::cannot lock',
    ]);
  });
});

describe('npm run notebooks -- --junit FILE, on GitHub Actions', () => {
  it('writes the report of a run that stops at a failing cell, and annotates the notebook', async () => {
    const dir = scratchFolder('outputs.ipynb');
    const notebook = path.join(dir, 'outputs.ipynb');
    const junit = path.join(dir, 'reports', 'junit.xml');
    const run = await cli(['run', notebook, '--junit', junit], { ...process.env, GITHUB_ACTIONS: 'true' })
      .done;
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error file=${notebook},title=cell 6/7 error%3A TypeError::TypeError: boom%0A    at Cell In[6], line 2`,
    );
    const report = readJunit(fs.readFileSync(junit, 'utf8'));
    expect(report.suites).toHaveLength(1);
    const cases = report.suites[0].cases;
    expect(cases.map((c) => c.status)).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'FAIL', 'SKIP']);
    expect(cases[0].name).toBe("cell 1: console.log('one');");
    expect(cases[5]).toMatchObject({
      failure: 'boom',
      stack_trace: expect.stringContaining('TypeError: boom'),
    });
    expect(cases.slice(0, 6).every((c) => c.duration > 0)).toBe(true);
  });
});
