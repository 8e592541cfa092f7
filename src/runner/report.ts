/** What the runner prints: progress lines, failure reports, the summary table and the JSON summary. */
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
