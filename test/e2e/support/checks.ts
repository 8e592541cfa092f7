/** What a notebook must show; one row per notebook in test/e2e/notebooks.ts. */
export interface NotebookExpectation {
  /** Path from the project root. */
  path: string;
  /** Printed lines, in this order (others may come between): a string is a whole line, a RegExp tests a line. */
  lines: Array<string | RegExp>;
  /** How many plots (image/png outputs) the notebook shows; undefined = do not count. */
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

/** A plot's image as the page laid it out. */
export interface RenderedImage {
  cell: number;
  width: number;
  height: number;
  /** Pixels of the decoded image that are not white (0 for a blank or broken image). */
  inked: number;
}

/** Counts the pixels of a decoded image that are not white, by drawing it on a canvas (in the page). */
export const INKED_PIXELS = `(img) => {
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
  if (canvas.width === 0) return 0;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 720 && data[i + 3] > 0) inked++;
  return inked;
}`;

function excerpt(source: string): string {
  const first = source.split('\n').find((line) => line.trim() !== '') ?? '';
  return first.length > 80 ? `${first.slice(0, 77)}...` : first;
}

/** Human-readable problems in a run: error output, cells that never ran, missing lines or plots. */
export function findProblems(
  expectation: NotebookExpectation,
  cells: CellOutcome[],
  images: RenderedImage[],
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

  if (expectation.plots !== undefined && images.length !== expectation.plots) {
    problems.push(`expected ${expectation.plots} plot(s), found ${images.length} PNG image(s)`);
  }
  for (const image of images) {
    if (!(image.width > 0 && image.height > 0)) {
      problems.push(`the image in cell ${image.cell} is not visible (${image.width}x${image.height} px)`);
    }
    if (image.inked === 0) problems.push(`the image in cell ${image.cell} draws nothing`);
  }
  return problems;
}
