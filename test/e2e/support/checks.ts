/** What a notebook must show; one row per notebook in test/e2e/notebooks.ts. */
export interface NotebookExpectation {
  /** Path from the project root. */
  path: string;
  /** Printed lines, in this order (others may come between): a string is a whole line, a RegExp tests a line. */
  lines: Array<string | RegExp>;
  /** How many plots (outputs carrying vega-lite) the notebook shows; undefined = do not count. */
  plots?: number;
  /** At least this many plots (for notebooks whose exact number is the lesson's business). */
  minPlots?: number;
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
  /** stderr streams and error outputs (ename, evalue and traceback). */
  errors: string;
}

/** A plot as a page rendered it. */
export interface PlotShown {
  cell: number;
  /** The renderer that drew it: vega-lite (JupyterLab's), or the image MIME type (nbconvert's HTML). */
  renderer: string;
  width: number;
  height: number;
  /** Drawn (non-white, non-transparent) pixels, or for an inline SVG its shapes. */
  inked: number;
}

/** The parts of a saved nbformat 4 notebook read here. */
export interface SavedNotebook {
  cells: Array<{
    cell_type: string;
    source: string | string[];
    execution_count?: number | null;
    outputs?: Array<{
      output_type: string;
      name?: string;
      text?: string | string[];
      data?: Record<string, unknown>;
      ename?: string;
      evalue?: string;
      traceback?: string[];
    }>;
  }>;
}

const joined = (text: unknown): string =>
  Array.isArray(text) ? text.join('') : typeof text === 'string' ? text : '';

/** Every code cell of a saved notebook as a CellOutcome (ran = has an execution count). */
export function savedCells(nb: SavedNotebook): CellOutcome[] {
  return nb.cells.flatMap((cell, index) => {
    if (cell.cell_type !== 'code') return [];
    const outputs = cell.outputs ?? [];
    const text = outputs
      .map((o) =>
        o.output_type === 'stream'
          ? o.name === 'stdout'
            ? joined(o.text)
            : ''
          : joined(o.data?.['text/plain']),
      )
      .join('');
    const errors = outputs
      .map((o) => {
        if (o.output_type === 'stream' && o.name === 'stderr') return joined(o.text);
        if (o.output_type === 'error') return [`${o.ename}: ${o.evalue}`, ...(o.traceback ?? [])].join('\n');
        return '';
      })
      .join('');
    return [
      { index, source: joined(cell.source), ran: typeof cell.execution_count === 'number', text, errors },
    ];
  });
}

/** Indices of the cells whose outputs carry a plot (a vega-lite spec), in a saved notebook. */
export function plotCells(nb: SavedNotebook): number[] {
  return nb.cells.flatMap((cell, index) =>
    (cell.outputs ?? []).flatMap((o) =>
      Object.keys(o.data ?? {}).some((mime) => mime.startsWith('application/vnd.vegalite')) ? [index] : [],
    ),
  );
}

function excerpt(source: string): string {
  const first = source.split('\n').find((line) => line.trim() !== '') ?? '';
  return first.length > 80 ? `${first.slice(0, 77)}...` : first;
}

/**
 * Human-readable problems in a run: error output, cells that never ran, missing lines, and plots that
 * are missing, were drawn by another renderer than `renderer`, or drew nothing. `expectedPlots` are the cells
 * whose saved outputs carry a plot.
 */
export function findProblems(
  expectation: NotebookExpectation,
  cells: CellOutcome[],
  plots: PlotShown[],
  expectedPlots: number[],
  renderer: RegExp,
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

  if (expectation.plots !== undefined && expectedPlots.length !== expectation.plots) {
    problems.push(`expected ${expectation.plots} plot(s), the notebook has ${expectedPlots.length}`);
  }
  if (expectation.minPlots !== undefined && expectedPlots.length < expectation.minPlots) {
    problems.push(
      `expected at least ${expectation.minPlots} plot(s), the notebook has ${expectedPlots.length}`,
    );
  }
  const shown = plots.map((plot) => plot.cell);
  if (shown.join() !== expectedPlots.join()) {
    problems.push(
      `plots in cells [${expectedPlots.join(', ')}], the page shows them in [${shown.join(', ')}]`,
    );
  }
  for (const plot of plots) {
    const where = `the plot in cell ${plot.cell}`;
    if (!renderer.test(plot.renderer))
      problems.push(`${where} was rendered by ${plot.renderer}, expected ${String(renderer)}`);
    if (!(plot.width > 0 && plot.height > 0))
      problems.push(`${where} is not visible (${plot.width}x${plot.height} px)`);
    if (plot.inked === 0) problems.push(`${where} draws nothing`);
  }
  return problems;
}
