/**
 * The notebook check (`npm run notebooks -- --check`): re-executed outputs compared with the saved ones.
 * run.ts runs the cells; this compares them (compare.ts) and says how they differ (report.ts).
 */
import type { Cell } from '../notebook';
import type { Output } from '../outputs';
import { compareOutputs, type Difference } from './compare';
import { CHECK_DEFAULTS, TAGS, type CheckOptions } from './defaults';

export { CHECK_DEFAULTS, TAGS, type CheckOptions, type Difference };
export { parseSanitizers, readSanitizers, BUILT_IN_SANITIZERS, type Sanitizer } from './sanitize';

/** A code cell whose outputs differ from the saved ones. */
export interface CellMismatch {
  /** 1-based among the code cells that run (empty ones do not), and 1-based position in the file. */
  codeCell: number;
  cellIndex: number;
  source: string;
  differences: Difference[];
}

export const tagsOf = (cell: Cell): string[] =>
  Array.isArray(cell.metadata.tags)
    ? cell.metadata.tags.filter((t): t is string => typeof t === 'string')
    : [];

/** Whether the check compares this cell's outputs at all (nbval-ignore-output, and --lax). */
export function compared(cell: Cell, options: CheckOptions): boolean {
  const tags = tagsOf(cell);
  if (tags.includes(TAGS.ignoreOutput) || tags.includes(TAGS.skip)) return false;
  return !options.lax || tags.includes(TAGS.checkOutput);
}

/**
 * How a cell that ran differs from its saved outputs (null when it matches or is not compared). A cell
 * tagged raises-exception must have failed.
 */
export function checkCell(
  cell: Cell,
  saved: readonly Output[],
  at: { codeCell: number; cellIndex: number },
  options: CheckOptions,
): CellMismatch | null {
  const differences: Difference[] = [];
  const tags = tagsOf(cell);
  const outputs = cell.outputs ?? [];
  if (tags.includes(TAGS.raisesException) && !outputs.some((o) => o.output_type === 'error')) {
    differences.push({
      what: `no error: the cell is tagged ${TAGS.raisesException} but ran without one`,
      lines: [],
    });
  }
  if (compared(cell, options)) differences.push(...compareOutputs(saved, outputs, tags, options));
  return differences.length > 0 ? { ...at, source: cell.source, differences } : null;
}
