/** What the runner prints: progress lines, failure reports, the summary table, JUnit XML and annotations. */
import { mismatchLines, mismatchSummary, mismatchText } from './check/report';
import { readNotebook } from './notebook';
import type { CellFailure, NotebookResult, ProgressEvent } from './run';

const seconds = (s: number): string => `${s.toFixed(1)} s`;

export function progressLine(event: ProgressEvent): string {
  switch (event.type) {
    case 'start':
      return `${event.notebook}: starting kernel, ${event.cells} code cells`;
    case 'cell':
      return (
        `${event.notebook}: cell ${event.cell}/${event.cells} ${event.ok ? (event.differs ? 'DIFFERS' : 'ok') : 'FAILED'}` +
        `${event.cut ? `, ${event.cut.toUpperCase()}` : ''} in ${seconds(event.seconds)} ` +
        `(elapsed ${seconds(event.elapsed)})`
      );
    case 'end':
      return `${event.result.notebook}: ${event.result.status} in ${seconds(event.result.seconds)}`;
  }
}

function excerpt(lines: string[], max: number): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `… (${lines.length - max} more lines)`];
}

/** A cell's error: its traceback, after its name and message unless the traceback names them already. */
function errorLines(f: CellFailure, maxTraceback: number): string[] {
  // A traceback from Node already names the error; a compile error's lists only the diagnostics.
  const named = f.traceback.some((line) => line.startsWith(`${f.ename}:`));
  return [...(named ? [] : [`${f.ename}: ${f.evalue}`]), ...excerpt(f.traceback, maxTraceback)];
}

/**
 * What a run prints about a notebook, worst last: the errors that `--allow-errors` stored and ran past
 * (saved in the notebook, but never silent), cells whose saved output is incomplete (cut at the limit,
 * or messages lost on the way), and why it did not finish, with the cell's source and error.
 */
export function notebookReports(result: NotebookResult): string[] {
  const where = (mark: string, cell: { codeCell: number; cellIndex: number }): string =>
    `${mark} ${result.notebook}: cell ${cell.codeCell}/${result.cells} (cell ${cell.cellIndex} in the file)`;
  const cellReport = (mark: string, f: CellFailure, what: string): string =>
    [
      `${where(mark, f)} ${what}`,
      ...excerpt(f.source.split('\n'), 12).map((line) => `  │ ${line}`),
      ...errorLines(f, 30).map((line) => `  ${line}`),
    ].join('\n');
  const reports = result.storedErrors.map((f) => cellReport('!', f, 'error (stored, run continued)'));
  for (const c of result.cut) {
    const truncated =
      `output truncated: ${c.droppedChars} characters in ${c.droppedOutputs} outputs past --max-output ` +
      'were not saved';
    const parts = [...(c.droppedOutputs > 0 ? [truncated] : []), ...(c.lost ? [c.lost] : [])];
    reports.push(`${where('!', c)} ${parts.join('; ')}`);
  }
  for (const m of result.mismatches ?? []) {
    reports.push([`${where('✗', m)}: outputs differ from the saved ones`, ...mismatchLines(m)].join('\n'));
  }
  if (result.status === 'failed') {
    const message = result.message ?? 'failed';
    reports.push(`✗ ${message.startsWith(result.notebook) ? message : `${result.notebook}: ${message}`}`);
  } else if (result.failure) {
    reports.push(cellReport('✗', result.failure, result.status));
  }
  return reports;
}

export function summaryTable(results: readonly NotebookResult[]): string {
  const rows = results.map((r) => {
    const notes = [
      ...(r.storedErrors.length > 0 ? [`${r.storedErrors.length} stored errors`] : []),
      ...(r.cut.length > 0 ? [`output cut in ${r.cut.length} cell${r.cut.length === 1 ? '' : 's'}`] : []),
      ...(r.mismatches?.length
        ? [`${r.mismatches.length} cell${r.mismatches.length === 1 ? '' : 's'} differ`]
        : []),
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

/** XML text and attribute values, with the characters XML 1.0 cannot hold at all dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** `<name attributes…>content</name>`, or `<name attributes…/>` without content (which is XML already). */
function element(name: string, attributes: Record<string, string | number>, content = ''): string {
  const start = [name, ...Object.entries(attributes).map(([k, v]) => `${k}="${xml(String(v))}"`)].join(' ');
  return content ? `<${start}>${content}</${name}>` : `<${start}/>`;
}

/** Child elements, one a line, indented at `depth`. */
const children = (elements: string[], depth: number): string =>
  elements.map((e) => `\n${'  '.repeat(depth)}${e}`).join('') + `\n${'  '.repeat(depth - 1)}`;

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
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites = results.map((r) => {
    const count = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    const testcase = (name: string, time: number, outcome?: keyof typeof count, content = ''): string => {
      count.tests++;
      if (outcome) count[outcome]++;
      return element('testcase', { classname: r.notebook, name, time: time.toFixed(3) }, content);
    };
    const cellCase = (name: string, i: number): string => {
      const [f, time] = [r.failure, r.cellSeconds[i] ?? 0];
      if (f?.codeCell === i + 1) {
        const failure = element('failure', { message: f.evalue, type: f.ename }, xml(f.traceback.join('\n')));
        return testcase(name, time, 'failures', failure);
      }
      const mismatch = r.mismatches?.find((m) => m.codeCell === i + 1);
      if (mismatch) {
        const attributes = { message: mismatchSummary(mismatch), type: 'OutputMismatch' };
        return testcase(name, time, 'failures', element('failure', attributes, xml(mismatchText(mismatch))));
      }
      if (r.skipped?.includes(i + 1)) {
        return testcase(name, 0, 'skipped', element('skipped', { message: 'not run: tagged nbval-skip' }));
      }
      if (i >= r.executed) {
        const why = r.status === 'cancelled' ? 'the run was cancelled' : 'an earlier cell failed';
        return testcase(name, 0, 'skipped', element('skipped', { message: `not run: ${why}` }));
      }
      // --allow-errors: the error is expected, and kept in the notebook and the log.
      const stored = r.storedErrors.find((e) => e.codeCell === i + 1);
      const text = stored ? `${stored.ename}: ${stored.evalue} (stored, --allow-errors)` : '';
      return testcase(name, time, undefined, text && element('system-err', {}, xml(text)));
    };
    const error = element('error', { message: r.message ?? 'failed', type: 'RunnerError' });
    const cases =
      r.status === 'failed' && r.executed === 0
        ? [testcase('notebook', r.seconds, 'errors', error)]
        : cellNames(r).map(cellCase);
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += count[key];
    return element(
      'testsuite',
      { name: r.notebook, ...count, time: r.seconds.toFixed(3) },
      children(cases, 2),
    );
  });
  const time = results.reduce((sum, r) => sum + r.seconds, 0).toFixed(3);
  const root = element('testsuites', { name: 'd2l-ts notebooks', ...total, time }, children(suites, 1));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}

/** GitHub's workflow-command escaping: `%`, CR and LF in messages; also `:` and `,` in properties. */
const ghData = (text: string): string =>
  text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const ghProperty = (text: string): string => ghData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `::error file=…,title=…::…` for each notebook that did not finish, as GitHub Actions shows them. */
export function githubAnnotations(results: readonly NotebookResult[]): string[] {
  return results.flatMap((r) => {
    const mismatches = (r.mismatches ?? []).map((m) => {
      const title = `cell ${m.codeCell}/${r.cells}: ${mismatchSummary(m)}`;
      return `::error file=${ghProperty(r.notebook)},title=${ghProperty(title)}::${ghData(mismatchText(m))}`;
    });
    if (r.status === 'ok' || r.status === 'cancelled' || r.status === 'mismatch') return mismatches;
    const f = r.failure;
    const title = f ? `cell ${f.codeCell}/${r.cells} ${r.status}: ${f.ename}` : `notebook ${r.status}`;
    const message = f ? errorLines(f, 20).join('\n') : (r.message ?? '');
    return [
      ...mismatches,
      `::error file=${ghProperty(r.notebook)},title=${ghProperty(title)}::${ghData(message)}`,
    ];
  });
}
