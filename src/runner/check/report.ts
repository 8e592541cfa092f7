/** What a check prints about a cell whose outputs differ: where, its first line, and each difference. */
import type { CellMismatch } from '.';

/** The first line of a cell's source that says something (a `//@save` mark says little). */
export function firstLine(source: string): string {
  const lines = source.split('\n').map((line) => line.trim());
  const line = lines.find((l) => l !== '' && l !== '//@save') ?? lines[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** The lines of one cell's mismatch report, below its heading (differences indented). */
export function mismatchLines(mismatch: CellMismatch): string[] {
  return [
    `  │ ${firstLine(mismatch.source)}`,
    ...mismatch.differences.flatMap((d) => [`  ${d.what}`, ...d.lines.map((line) => `    ${line}`)]),
  ];
}

/** One paragraph for a cell's JUnit failure or GitHub annotation: the differences, no heading. */
export function mismatchText(mismatch: CellMismatch): string {
  return mismatch.differences.flatMap((d) => [d.what, ...d.lines.map((line) => `  ${line}`)]).join('\n');
}

/** A short summary of what differs in a cell, for a JUnit failure message and annotation titles. */
export function mismatchSummary(mismatch: CellMismatch): string {
  const what = mismatch.differences.map((d) => d.what.split(':')[0]);
  return `outputs differ from the saved ones: ${[...new Set(what)].join(', ')}`;
}
