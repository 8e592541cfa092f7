/** What a notebook must show; one row per notebook in test/e2e/notebooks.ts. */
export interface NotebookExpectation {
  /** Path from the project root. */
  path: string;
  /** Printed lines, in this order (others may come between): a string is a whole line, a RegExp tests a line. */
  lines: Array<string | RegExp>;
  /** How many plots (image/svg+xml outputs) the notebook shows; undefined = do not count. */
  plots?: number;
  /** Upper bound for running all cells once, in ms (default 5 minutes). */
  timeoutMs?: number;
}

/** A code cell after a run, whichever front end ran it. */
export interface CellOutcome {
  /** Index among all cells of the notebook, 0-based. */
  index: number;
  source: string;
  /** Whether the cell ran at all (has an execution count, or for nbconvert, produced its outputs). */
  ran: boolean;
  /** Printed text (stdout, and text/plain shown for display data). */
  text: string;
  /** stderr streams and error outputs: tslab reports every error on stderr. */
  errors: string;
}

/** An SVG image as the page laid it out. */
export interface RenderedSvg {
  cell: number;
  width: number;
  height: number;
  /** Drawn shapes inside it (paths, lines, polylines, rects, circles, ...). */
  shapes: number;
}

function excerpt(source: string): string {
  const first = source.split('\n').find((line) => line.trim() !== '') ?? '';
  return first.length > 80 ? `${first.slice(0, 77)}...` : first;
}

/** Human-readable problems in a run: error output, cells that never ran, missing lines or plots. */
export function findProblems(
  expectation: NotebookExpectation,
  cells: CellOutcome[],
  svgs: RenderedSvg[],
): string[] {
  const problems: string[] = [];
  for (const cell of cells) {
    const where = `cell ${cell.index} (${excerpt(cell.source)})`;
    if (cell.errors.trim() !== '') problems.push(`${where} printed an error:\n${cell.errors.trim()}`);
    if (!cell.ran) problems.push(`${where} did not run`);
  }

  const printed = cells.flatMap((cell) => (cell.text === '' ? [] : cell.text.replace(/\n$/, '').split('\n')));
  let from = 0;
  for (const line of expectation.lines) {
    const at = printed.findIndex(
      (candidate, i) => i >= from && (typeof line === 'string' ? candidate === line : line.test(candidate)),
    );
    if (at < 0) {
      problems.push(
        `expected printed line ${String(line)} (after line ${from} of ${printed.length}) not found`,
      );
    } else {
      from = at + 1;
    }
  }

  if (expectation.plots !== undefined && svgs.length !== expectation.plots) {
    problems.push(`expected ${expectation.plots} plot(s), found ${svgs.length} SVG image(s)`);
  }
  for (const svg of svgs) {
    if (!(svg.width > 0 && svg.height > 0)) {
      problems.push(`the SVG in cell ${svg.cell} is not visible (${svg.width}x${svg.height} px)`);
    }
    if (svg.shapes === 0) problems.push(`the SVG in cell ${svg.cell} draws nothing`);
  }
  return problems;
}
