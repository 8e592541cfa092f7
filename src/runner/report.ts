/** What the runner prints: progress lines, failure reports, the summary table and the JSON summary. */
import { readNotebook } from './notebook';
import type { CellCut, CellFailure, NotebookResult, ProgressEvent } from './run';

const seconds = (s: number): string => `${s.toFixed(1)} s`;

export function progressLine(event: ProgressEvent): string {
  switch (event.type) {
    case 'start':
      return `${event.notebook}: starting kernel, ${event.cells} code cells`;
    case 'cell':
      return (
        `${event.notebook}: cell ${event.cell}/${event.cells} ${event.ok ? 'ok' : 'FAILED'}` +
        `${event.cut ? `, ${event.cut.toUpperCase()}` : ''} in ${seconds(event.seconds)} ` +
        `(elapsed ${seconds(event.elapsed)})`
      );
    case 'end':
      return `${event.result.notebook}: ${event.result.status} in ${seconds(event.result.seconds)}`;
  }
}

const MAX_SOURCE_LINES = 12;
const MAX_TRACEBACK_LINES = 30;

function excerpt(lines: string[], max: number): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `… (${lines.length - max} more lines)`];
}

/** Notebook, cell, source excerpt and error of a notebook that did not finish. */
export function failureReport(result: NotebookResult): string | null {
  if (result.status === 'failed') {
    const message = result.message ?? 'failed';
    return `✗ ${message.startsWith(result.notebook) ? message : `${result.notebook}: ${message}`}`;
  }
  return result.failure ? cellReport('✗', result, result.failure, result.status) : null;
}

/** The errors that `--allow-errors` stored and ran past: saved in the notebook, but never silent. */
export function storedErrorReports(result: NotebookResult): string[] {
  return result.storedErrors.map((f) => cellReport('!', result, f, 'error (stored, run continued)'));
}

/** Cells whose saved output is incomplete: cut at the limit, or messages lost on the way. */
export function cutReports(result: NotebookResult): string[] {
  return result.cut.map((c: CellCut) => {
    const where = `! ${result.notebook}: cell ${c.codeCell}/${result.cells} (cell ${c.cellIndex} in the file)`;
    const parts = [];
    if (c.droppedOutputs > 0) {
      parts.push(
        `output truncated: ${c.droppedChars} characters in ${c.droppedOutputs} outputs past --max-output ` +
          'were not saved',
      );
    }
    if (c.lost) parts.push(c.lost);
    return `${where} ${parts.join('; ')}`;
  });
}

function cellReport(mark: string, result: NotebookResult, f: CellFailure, what: string): string {
  const source = excerpt(f.source.split('\n'), MAX_SOURCE_LINES).map((line) => `  │ ${line}`);
  const traceback = excerpt(f.traceback, MAX_TRACEBACK_LINES).map((line) => `  ${line}`);
  return [
    `${mark} ${result.notebook}: cell ${f.codeCell}/${result.cells} (cell ${f.cellIndex} in the file) ${what}`,
    ...source,
    // A traceback from Node already names the error; a compile error's lists only the diagnostics.
    ...(f.traceback.some((line) => line.startsWith(`${f.ename}:`)) ? [] : [`  ${f.ename}: ${f.evalue}`]),
    ...traceback,
  ].join('\n');
}

export function summaryTable(results: readonly NotebookResult[]): string {
  const rows = results.map((r) => {
    const notes = [
      ...(r.storedErrors.length > 0 ? [`${r.storedErrors.length} stored errors`] : []),
      ...(r.cut.length > 0 ? [`output cut in ${r.cut.length} cell${r.cut.length === 1 ? '' : 's'}`] : []),
    ];
    return [
      r.notebook,
      `${r.executed}/${r.cells}`,
      r.seconds.toFixed(1),
      notes.length > 0 ? `${r.status} (${notes.join(', ')})` : r.status,
    ];
  });
  const header = ['notebook', 'cells', 'seconds', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const format = (row: string[]): string =>
    row
      .map((cell, i) => (i === 1 || i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...rows.map(format)].join('\n');
}

export interface JsonSummary {
  /** Every notebook ran to the end and saved whole outputs. */
  ok: boolean;
  seconds: number;
  notebooks: NotebookResult[];
}

export function jsonSummary(results: NotebookResult[], totalSeconds: number): JsonSummary {
  const clean = results.every((r) => r.status === 'ok' && r.cut.length === 0);
  return { ok: clean, seconds: totalSeconds, notebooks: results };
}

/** XML text and attribute values, with the characters XML 1.0 cannot hold at all dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** What a code cell's test case is called: its number and first line of code. */
function cellNames(result: NotebookResult): string[] {
  let sources: string[] = [];
  try {
    const nb = readNotebook(result.written ?? result.notebook);
    sources = nb.cells.filter((c) => c.cell_type === 'code' && c.source.trim() !== '').map((c) => c.source);
  } catch {
    // unreadable: numbers alone
  }
  return Array.from({ length: result.cells }, (_, i) => {
    const line = (sources[i] ?? '').trim().split('\n')[0];
    return line ? `cell ${i + 1}: ${line.length > 60 ? `${line.slice(0, 60)}…` : line}` : `cell ${i + 1}`;
  });
}

/**
 * JUnit XML as CI dashboards read it (pytest's and nbmake's shape): one test suite per notebook, one
 * test case per code cell with its time; a failing cell carries its error name, message and traceback;
 * cells that never ran are skipped; a notebook that could not run at all is one erroring test case.
 */
export function junitXml(results: readonly NotebookResult[]): string {
  const suites = results.map((r) => {
    const cases: string[] = [];
    const count = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    const testcase = (name: string, seconds: number, body = ''): void => {
      count.tests++;
      const attributes = `classname="${xml(r.notebook)}" name="${xml(name)}" time="${seconds.toFixed(3)}"`;
      cases.push(
        body
          ? `    <testcase ${attributes}>\n      ${body}\n    </testcase>`
          : `    <testcase ${attributes}/>`,
      );
    };
    if (r.status === 'failed' && r.executed === 0) {
      count.errors++;
      testcase('notebook', r.seconds, `<error message="${xml(r.message ?? 'failed')}" type="RunnerError"/>`);
    }
    const names = cellNames(r);
    for (let i = 0; i < (r.status === 'failed' && r.executed === 0 ? 0 : r.cells); i++) {
      const codeCell = i + 1;
      const stored = r.storedErrors.find((f) => f.codeCell === codeCell);
      if (r.failure?.codeCell === codeCell) {
        const f = r.failure;
        count.failures++;
        const failure = `<failure message="${xml(f.evalue)}" type="${xml(f.ename)}">${xml(f.traceback.join('\n'))}</failure>`;
        testcase(names[i], r.cellSeconds[i] ?? 0, failure);
      } else if (i >= r.executed) {
        count.skipped++;
        const why = r.status === 'cancelled' ? 'the run was cancelled' : 'an earlier cell failed';
        testcase(names[i], 0, `<skipped message="not run: ${why}"/>`);
      } else if (stored) {
        // --allow-errors: the error is expected, and kept in the notebook and the log.
        const text = `${stored.ename}: ${stored.evalue} (stored, --allow-errors)`;
        testcase(names[i], r.cellSeconds[i] ?? 0, `<system-err>${xml(text)}</system-err>`);
      } else {
        testcase(names[i], r.cellSeconds[i] ?? 0);
      }
    }
    const attributes = Object.entries(count).map(([k, v]) => `${k}="${v}"`);
    return {
      count,
      text: [
        `  <testsuite name="${xml(r.notebook)}" ${attributes.join(' ')} time="${r.seconds.toFixed(3)}">`,
        ...cases,
        '  </testsuite>',
      ].join('\n'),
    };
  });
  const total = (key: keyof (typeof suites)[number]['count']): number =>
    suites.reduce((sum, s) => sum + s.count[key], 0);
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="d2l-ts notebooks" tests="${total('tests')}" failures="${total('failures')}" ` +
      `errors="${total('errors')}" skipped="${total('skipped')}" time="${seconds.toFixed(3)}">`,
    ...suites.map((s) => s.text),
    '</testsuites>',
    '',
  ].join('\n');
}

/** GitHub's workflow-command escaping: `%`, CR and LF in messages; also `:` and `,` in properties. */
const ghData = (text: string): string =>
  text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProperty = (text: string): string => ghData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `::error file=…,title=…::…` for each notebook that did not finish, as GitHub Actions shows them. */
export function githubAnnotations(results: readonly NotebookResult[]): string[] {
  return results.flatMap((r) => {
    if (r.status === 'ok' || r.status === 'cancelled') return [];
    const f = r.failure;
    const title = f ? `cell ${f.codeCell}/${r.cells} ${r.status}: ${f.ename}` : `notebook ${r.status}`;
    // A traceback from Node names the error already; a compile error's lists only the diagnostics.
    const named = f?.traceback.some((line) => line.startsWith(`${f.ename}:`));
    const lines = f ? [...(named ? [] : [`${f.ename}: ${f.evalue}`]), ...f.traceback.slice(0, 20)] : [];
    const message = f ? lines.join('\n') : (r.message ?? '');
    return [`::error file=${ghProperty(r.notebook)},title=${ghProperty(title)}::${ghData(message)}`];
  });
}
