/**
 * runNotebook: execute every code cell of a notebook on a fresh d2l-ts kernel started in the notebook's
 * folder, store the outputs as Jupyter would, and save (in place or under `out`) atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelSpec } from '../kernelspec';
import { describeExit, KernelClient, type ExecuteOutcome } from './kernel';
import { ensureCellIds, readNotebook, writeNotebookAtomic, type Cell, type Notebook } from './notebook';
import { CellOutputs, DisplayRegistry, type ErrorOutput } from './outputs';

export interface RunOptions {
  /** Directory for the executed copy; default: overwrite the notebook. */
  out?: string;
  /** Keep going after a failing cell (the error is stored either way). */
  allowErrors?: boolean;
  /** Per-cell limit in seconds; 0 or Infinity: none. */
  timeout?: number;
  /** Seconds between the interrupt (SIGINT) of a timed-out cell and killing the kernel. */
  interruptGrace?: number;
  /** Seconds to wait for the kernel to start. */
  startTimeout?: number;
  /** Kernel command; default: the d2l-ts kernelspec's argv. */
  kernelArgv?: string[];
  /** Aborting stops the run, kills the kernel and leaves the notebook file untouched. */
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: 'start'; notebook: string; cells: number }
  | {
      type: 'cell';
      notebook: string;
      cell: number;
      cells: number;
      seconds: number;
      elapsed: number;
      ok: boolean;
    }
  | { type: 'end'; result: NotebookResult };

/**
 * ok: every cell ran (with allowErrors, errors may be stored); error: a cell failed; timeout: a cell hit
 * the limit; died: the kernel exited mid-cell; cancelled: aborted, file untouched; failed: the notebook
 * could not be read, the kernel could not start, or the file could not be written.
 */
export type NotebookStatus = 'ok' | 'error' | 'timeout' | 'died' | 'cancelled' | 'failed';

export interface CellFailure {
  /** 1-based among code cells, and 1-based position in the file. */
  codeCell: number;
  cellIndex: number;
  source: string;
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface NotebookResult {
  notebook: string;
  /** Where the executed notebook was written (null when nothing was written). */
  written: string | null;
  status: NotebookStatus;
  /** Code cells in the notebook, and how many of them ran. */
  cells: number;
  executed: number;
  /** Cells whose error was stored and passed over (allowErrors), in order. */
  storedErrors: CellFailure[];
  seconds: number;
  failure?: CellFailure;
  /** Why the notebook could not run at all (status failed). */
  message?: string;
}

const ACCEPTED_KERNELS = new Set(['d2l-ts', 'tslab']);

function checkKernel(nb: Notebook, file: string): void {
  const spec = (nb.metadata.kernelspec ?? {}) as { name?: unknown; language?: unknown };
  const name = typeof spec.name === 'string' ? spec.name : undefined;
  if (name !== undefined && !ACCEPTED_KERNELS.has(name) && spec.language !== 'typescript') {
    throw new Error(
      `${file}: uses kernel '${name}'; this runner runs TypeScript notebooks on d2l-ts (tslab)`,
    );
  }
}

export async function runNotebook(notebook: string, options: RunOptions = {}): Promise<NotebookResult> {
  const started = Date.now();
  const elapsed = (): number => (Date.now() - started) / 1000;
  const result: NotebookResult = {
    notebook,
    written: null,
    status: 'ok',
    cells: 0,
    executed: 0,
    storedErrors: [],
    seconds: 0,
  };
  const finish = (): NotebookResult => {
    result.seconds = elapsed();
    options.onProgress?.({ type: 'end', result });
    return result;
  };

  let nb: Notebook;
  let target: string;
  let kernel: KernelClient;
  try {
    nb = readNotebook(notebook);
    checkKernel(nb, notebook);
    target = options.out ? path.join(options.out, path.basename(notebook)) : notebook;
    if (options.out) fs.mkdirSync(options.out, { recursive: true });
    const code = nb.cells.filter((cell) => cell.cell_type === 'code');
    result.cells = code.length;
    options.onProgress?.({ type: 'start', notebook, cells: code.length });
    if (options.signal?.aborted) {
      result.status = 'cancelled';
      return finish();
    }
    kernel = await KernelClient.start({
      argv: options.kernelArgv ?? kernelSpec().argv,
      cwd: path.dirname(path.resolve(notebook)),
      startTimeoutMs: (options.startTimeout ?? 60) * 1000,
      signal: options.signal,
    });
  } catch (error) {
    result.status = options.signal?.aborted ? 'cancelled' : 'failed';
    result.message = (error as Error).message;
    return finish();
  }

  const onAbort = (): void => kernel.killNow();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Like nbclient: record the kernel's language_info in the notebook.
    const languageInfo = kernel.info.language_info;
    if (languageInfo && typeof languageInfo === 'object') nb.metadata.language_info = languageInfo;
    const displays = new DisplayRegistry();
    let codeCell = 0;
    for (const [cellIndex, cell] of nb.cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      codeCell++;
      const cellStarted = Date.now();
      const { outcome, error } = await runCell(kernel, cell, displays, options);
      if (outcome.status === 'cancelled') {
        result.status = 'cancelled';
        return finish();
      }
      result.executed++;
      options.onProgress?.({
        type: 'cell',
        notebook,
        cell: codeCell,
        cells: result.cells,
        seconds: (Date.now() - cellStarted) / 1000,
        elapsed: elapsed(),
        ok: !error,
      });
      if (!error) continue;
      const { ename, evalue, traceback } = error;
      const failure: CellFailure = {
        codeCell,
        cellIndex: cellIndex + 1,
        source: cell.source,
        ename,
        evalue,
        traceback,
      };
      const fatal = outcome.status === 'died' || outcome.killed || !options.allowErrors;
      if (!fatal) {
        result.storedErrors.push(failure);
        continue;
      }
      result.failure = failure;
      result.status = outcome.status === 'died' || outcome.status === 'timeout' ? outcome.status : 'error';
      break;
    }
    ensureCellIds(nb);
    writeNotebookAtomic(target, nb);
    result.written = target;
  } catch (error) {
    result.status = options.signal?.aborted ? 'cancelled' : 'failed';
    result.message = (error as Error).message;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await kernel.shutdown();
  }
  return finish();
}

/** Runs one cell into `cell`; returns the outcome and the stored error output, if any. */
async function runCell(
  kernel: KernelClient,
  cell: Cell,
  displays: DisplayRegistry,
  options: RunOptions,
): Promise<{ outcome: ExecuteOutcome; error?: ErrorOutput }> {
  let outputs = new CellOutputs(displays);
  let outcome: ExecuteOutcome;
  // tslab aborts requests that arrive within ~200 ms of a failed cell: resend after the window.
  for (let attempt = 0; ; attempt++) {
    outcome = await kernel.execute(cell.source, {
      timeoutMs: (options.timeout ?? 0) * 1000,
      interruptGraceMs: (options.interruptGrace ?? 5) * 1000,
      onIopub: (message) => outputs.handle(message),
      signal: options.signal,
    });
    if (outcome.status !== 'abort' || attempt >= 10) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    outputs = new CellOutputs(displays);
  }
  if (outcome.status === 'cancelled') return { outcome };
  const limit = options.timeout ?? 0;
  if (outcome.status === 'timeout') {
    outputs.push({
      output_type: 'error',
      ename: 'TimeoutError',
      evalue: outcome.killed
        ? `cell timed out after ${limit} s; the interrupt did not stop it, so the kernel was killed`
        : `cell timed out after ${limit} s and was interrupted`,
      traceback: [],
    });
  } else if (outcome.status === 'died') {
    outputs.push({
      output_type: 'error',
      ename: 'KernelDied',
      evalue: `the kernel died while running this cell (${describeExit(outcome.exit)})`,
      traceback: kernel.log ? kernel.log.trimEnd().split('\n') : [],
    });
  }
  const failed = outcome.status !== 'ok';
  cell.outputs = outputs.finish(failed && outcome.status !== 'timeout');
  cell.execution_count = outcome.executionCount;
  for (const output of cell.outputs) {
    if (output.output_type === 'execute_result') output.execution_count = outcome.executionCount;
  }
  if (!failed) return { outcome };
  const error = [...cell.outputs].reverse().find((o): o is ErrorOutput => o.output_type === 'error') ?? {
    output_type: 'error',
    ename: 'Error',
    evalue: 'the cell failed without printing an error',
    traceback: [],
  };
  if (!cell.outputs.includes(error)) cell.outputs.push(error);
  return { outcome, error };
}
