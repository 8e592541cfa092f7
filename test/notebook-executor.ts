/**
 * Executes a notebook in a real tslab kernel and returns its cells with their outputs.
 *
 * Until the project's own runner (`src/runner`) is merged, it drives Debian's `jupyter-nbconvert` (apt:
 * jupyter-nbconvert python3-nbclient) with a throwaway `d2l-ts` kernelspec pointing at this checkout's
 * tslab. `executeNotebook` is the only function the tests call, so switching means rewriting just it.
 *
 * tslab reports errors on stderr only: its `execute_reply` says `status: "error"` with no ename or
 * traceback, and nbconvert's error message is empty. So an nbclient hook records every cell's reply
 * status in the executed copy, and an error is a cell whose status is not `ok`, with its stderr as the
 * message.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const NBCONVERT = '/usr/bin/jupyter-nbconvert';
const ROOT = path.resolve(__dirname, '..');
const STATUS_KEY = 'd2l_execute_status';

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
  /** The kernel's `execute_reply` status: 'ok', 'error', 'abort'; undefined for markdown cells. */
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

/** Writes into `dir` a Jupyter data dir with the d2l-ts kernelspec, and an nbconvert config with the hook. */
function jupyterSetup(dir: string): void {
  const kernelDir = path.join(dir, 'kernels', 'd2l-ts');
  fs.mkdirSync(kernelDir, { recursive: true });
  const tslab = path.join(ROOT, 'node_modules/tslab/bin/tslab');
  const spec = {
    argv: [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript (d2l-ts)',
    language: 'typescript',
    interrupt_mode: 'signal',
  };
  fs.writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify(spec, null, 1));
  fs.writeFileSync(
    path.join(dir, 'nbconvert_config.py'),
    [
      'def record_status(cell, cell_index, execute_reply):',
      `    cell.metadata['${STATUS_KEY}'] = execute_reply['content']['status'] if execute_reply else 'no reply'`,
      'c.ExecutePreprocessor.on_cell_executed = record_status',
      'c.ExecutePreprocessor.record_timing = False',
      '',
    ].join('\n'),
  );
}

/**
 * Runs every cell of `file` (in the notebook's folder, as Jupyter does) and returns the executed cells;
 * the file itself is left untouched. A failing cell does not throw: look at `errors`.
 */
export async function executeNotebook(
  file: string,
  { timeoutSeconds = 300 } = {},
): Promise<ExecutedNotebook> {
  if (!fs.existsSync(NBCONVERT)) {
    throw new Error(`${NBCONVERT} not found: apt-get install jupyter-nbconvert python3-nbclient`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-jupyter-'));
  try {
    jupyterSetup(dir);
    await promisify(execFile)(
      NBCONVERT,
      [
        '--to',
        'notebook',
        '--execute',
        '--allow-errors',
        `--ExecutePreprocessor.timeout=${timeoutSeconds}`,
        `--config=${path.join(dir, 'nbconvert_config.py')}`,
        '--output-dir',
        dir,
        '--output',
        'executed.ipynb',
        path.resolve(file),
      ],
      { env: { ...process.env, JUPYTER_DATA_DIR: dir }, maxBuffer: 64 << 20 },
    );
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'executed.ipynb'), 'utf8')) as {
      cells: {
        id: string;
        cell_type: string;
        source: string | string[];
        outputs?: Output[];
        metadata: Record<string, unknown>;
      }[];
    };
    const cells = json.cells.map((c) => ({
      id: c.id,
      cell_type: c.cell_type,
      source: Array.isArray(c.source) ? c.source.join('') : c.source,
      outputs: c.outputs ?? [],
      status: c.metadata[STATUS_KEY] as string | undefined,
    }));
    const errors = cells
      .filter((c) => c.cell_type === 'code' && c.status !== 'ok')
      .map((c) => `cell ${c.id} (${c.status ?? 'not run'}): ${textOf(c.outputs, 'stderr').trim()}`);
    return { cells, errors };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
