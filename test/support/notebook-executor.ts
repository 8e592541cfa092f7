/**
 * Executes a notebook in a real tslab kernel with the project's own runner (`src/runner`) and returns
 * its cells with their outputs. The runner turns what tslab prints on stderr for a failing cell into an
 * `error` output, so a failed cell is one with an error output.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner';
import { readNotebook } from '../../src/runner/notebook';

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}

export interface ExecutedCell {
  id: string;
  cell_type: string;
  source: string;
  outputs: Output[];
  /** 'ok', or 'error' when the cell has an error output; undefined for markdown cells. */
  status?: string;
}

export interface ExecutedNotebook {
  cells: ExecutedCell[];
  /** One message per failed code cell: its id and what it wrote to stderr. */
  errors: string[];
}

/** The text of a stream output or a list of them, joined. */
export const textOf = (outputs: Output[], stream = 'stdout'): string =>
  outputs
    .filter((o) => o.output_type === 'stream' && o.name === stream)
    .map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')))
    .join('');

/**
 * Runs every cell of `file` (in the notebook's folder, as Jupyter does) and returns the executed cells;
 * the file itself is left untouched. A failing cell does not throw: look at `errors`.
 */
export async function executeNotebook(
  file: string,
  { timeoutSeconds = 300 } = {},
): Promise<ExecutedNotebook> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-executed-'));
  try {
    const result = await runNotebook(path.resolve(file), {
      out: dir,
      allowErrors: true,
      timeout: timeoutSeconds,
    });
    if (result.written === null) throw new Error(`${file} did not run: ${result.message ?? result.status}`);
    const cells = readNotebook(result.written).cells.map((c) => {
      const outputs = c.outputs ?? [];
      const failed = outputs.some((o) => o.output_type === 'error');
      return {
        id: c.id ?? '',
        cell_type: c.cell_type,
        source: c.source,
        outputs,
        status: c.cell_type === 'code' ? (failed ? 'error' : 'ok') : undefined,
      };
    });
    const errors = cells
      .filter((c) => c.status === 'error')
      .map((c) => {
        const e = c.outputs.find((o) => o.output_type === 'error') as Output & {
          ename?: string;
          evalue?: string;
        };
        return `cell ${c.id}: ${e.ename ?? ''}: ${e.evalue ?? ''} ${textOf(c.outputs, 'stderr').trim()}`;
      });
    return { cells, errors };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
