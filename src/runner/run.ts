/**
 * runNotebook: execute every code cell of a notebook on a fresh d2l-ts kernel started in the notebook's
 * folder, store the outputs as Jupyter would, and save (in place or under `out`) atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lockFile, lockFileFor, readOnlyReason, tempFileFor } from './files';
import { describeExit, KernelClient, type ExecuteOutcome } from './kernel';
import { chooseKernel, type KernelChoice } from './kernelspecs';
import { ensureCellIds, readNotebook, writeNotebookAtomic, type Cell, type Notebook } from './notebook';
import { CellOutputs, DisplayRegistry, type ErrorOutput, type OutputCut } from './outputs';

/** Characters of output a cell may store by default, as text or MIME data (10 MB of text). */
export const DEFAULT_MAX_OUTPUT = 10_000_000;

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
  /** Seconds a cell's trailing outputs may keep the runner waiting after its reply (default 10). */
  outputWait?: number;
  /** Run with this installed kernelspec (or d2l-ts) whatever the notebook names. */
  kernel?: string;
  /** Kernel command (`{connection_file}` is substituted); default: the chosen kernelspec's argv. */
  kernelArgv?: string[];
  /** Characters of output kept per cell (0: no limit); past it outputs are cut, with a note. */
  maxOutput?: number;
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
      /** What the cell's saved output lacks, if anything. */
      cut?: string;
    }
  | { type: 'end'; result: NotebookResult };

/**
 * ok: every cell ran (with allowErrors, errors may be stored); error: a cell failed; timeout: a cell hit
 * the limit; died: the kernel exited mid-cell; cancelled: aborted, file untouched; failed: the notebook
 * could not be read or locked, the kernel could not start, or the file could not be written.
 */
export type NotebookStatus = 'ok' | 'error' | 'timeout' | 'died' | 'cancelled' | 'failed';

export interface CellFailure {
  /** 1-based among the code cells that run (empty ones do not), and 1-based position in the file. */
  codeCell: number;
  cellIndex: number;
  source: string;
  ename: string;
  evalue: string;
  traceback: string[];
}

/** A cell whose saved outputs are incomplete: cut at the size limit, or messages lost on the way. */
export interface CellCut extends OutputCut {
  codeCell: number;
  cellIndex: number;
}

export interface NotebookResult {
  notebook: string;
  /** Where the executed notebook was written (null when nothing was written). */
  written: string | null;
  status: NotebookStatus;
  /** Code cells to run in the notebook (empty ones are skipped, as Jupyter does), and how many ran. */
  cells: number;
  executed: number;
  /** Cells whose error was stored and passed over (allowErrors), in order. */
  storedErrors: CellFailure[];
  /** Cells whose saved outputs are incomplete: never a clean ok, though the status may say ok. */
  cut: CellCut[];
  seconds: number;
  failure?: CellFailure;
  /** Why the notebook could not run at all (status failed). */
  message?: string;
}

/** Where the executed copy of `notebook` goes. */
export function targetOf(notebook: string, out?: string): string {
  return out ? path.join(out, path.basename(notebook)) : notebook;
}

/** The file a write to `file` lands in: symlinks followed, as replaceFile does. */
function realTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

const isEmpty = (cell: Cell): boolean => cell.cell_type === 'code' && cell.source.trim() === '';

/** A notebook read, its kernel chosen and its target checked: what starting its kernel needs. */
export interface Prepared {
  nb: Notebook;
  target: string;
  kernel: KernelChoice;
  cwd: string;
}

/** Reads `notebook` and checks that its executed copy may be written; throws a message naming it. */
export function prepare(notebook: string, options: RunOptions): Prepared {
  const nb = readNotebook(notebook);
  const kernel = options.kernelArgv
    ? { name: options.kernel ?? 'd2l-ts', argv: options.kernelArgv }
    : chooseKernel(nb, notebook, options.kernel);
  const target = targetOf(notebook, options.out);
  const readOnly = readOnlyReason(target);
  if (readOnly) {
    throw new Error(
      `${readOnly}: not overwriting it${options.out ? '' : ' (--out DIR writes the executed copy elsewhere)'}`,
    );
  }
  return { nb, target, kernel, cwd: path.dirname(path.resolve(notebook)) };
}

export function startKernel(prepared: Prepared, options: RunOptions): Promise<KernelClient> {
  const real = realTarget(prepared.target);
  return KernelClient.start({
    argv: prepared.kernel.argv,
    cwd: prepared.cwd,
    env: prepared.kernel.env ? { ...process.env, ...prepared.kernel.env } : undefined,
    kernelName: prepared.kernel.name,
    startTimeoutMs: (options.startTimeout ?? 60) * 1000,
    signal: options.signal,
    orphanCleanup: { files: [tempFileFor(real)], locks: [lockFileFor(real)] },
  });
}

/** A kernel started ahead of its notebook's turn (runNotebooks does, to hide start-up time). */
export interface EarlyStart {
  prepared: Prepared;
  kernel: Promise<KernelClient>;
}

export function runNotebook(notebook: string, options: RunOptions = {}): Promise<NotebookResult> {
  return runPrepared(notebook, options);
}

export async function runPrepared(
  notebook: string,
  options: RunOptions,
  early?: EarlyStart,
): Promise<NotebookResult> {
  const started = Date.now();
  const elapsed = (): number => (Date.now() - started) / 1000;
  const result: NotebookResult = {
    notebook,
    written: null,
    status: 'ok',
    cells: 0,
    executed: 0,
    storedErrors: [],
    cut: [],
    seconds: 0,
  };
  const finish = (): NotebookResult => {
    result.seconds = elapsed();
    options.onProgress?.({ type: 'end', result });
    return result;
  };

  let prepared: Prepared;
  let release = (): void => {};
  let kernel: KernelClient;
  try {
    if (options.out) fs.mkdirSync(options.out, { recursive: true });
    release = lockFile(realTarget(targetOf(notebook, options.out)));
    // Read under the lock (a kernel started early read it before), so no other run's write is lost.
    prepared = early ? { ...early.prepared, nb: readNotebook(notebook) } : prepare(notebook, options);
    result.cells = prepared.nb.cells.filter((cell) => cell.cell_type === 'code' && !isEmpty(cell)).length;
    if (options.signal?.aborted) throw new Error('cancelled');
    options.onProgress?.({ type: 'start', notebook, cells: result.cells });
    kernel = await (early?.kernel ?? startKernel(prepared, options));
  } catch (error) {
    release();
    early?.kernel.then((k) => k.kill()).catch(() => {});
    result.status = options.signal?.aborted ? 'cancelled' : 'failed';
    result.message = (error as Error).message;
    return finish();
  }

  const { nb, target } = prepared;
  const onAbort = (): void => kernel.killNow();
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Like nbclient: record the kernel's language_info in the notebook.
    const languageInfo = kernel.info.language_info;
    if (languageInfo && typeof languageInfo === 'object') nb.metadata.language_info = languageInfo;
    const displays = new DisplayRegistry();
    let codeCell = 0;
    for (const [cellIndex, cell] of nb.cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      if (isEmpty(cell)) {
        // Jupyter runs nothing for an empty cell, and numbers nothing.
        cell.outputs = [];
        cell.execution_count = null;
        continue;
      }
      codeCell++;
      const cellStarted = Date.now();
      const { outcome, error, cut } = await runCell(kernel, cell, displays, options);
      if (outcome.status === 'cancelled') {
        result.status = 'cancelled';
        return finish();
      }
      result.executed++;
      if (cut) result.cut.push({ codeCell, cellIndex: cellIndex + 1, ...cut });
      options.onProgress?.({
        type: 'cell',
        notebook,
        cell: codeCell,
        cells: result.cells,
        seconds: (Date.now() - cellStarted) / 1000,
        elapsed: elapsed(),
        ok: !error,
        cut: cut ? (cut.lost ? 'outputs may be missing' : 'output truncated') : undefined,
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
    if (options.signal?.aborted) {
      result.status = 'cancelled';
      return finish();
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
    release();
  }
  return finish();
}

/** Runs one cell into `cell`; returns the outcome, the stored error output and what was cut, if any. */
async function runCell(
  kernel: KernelClient,
  cell: Cell,
  displays: DisplayRegistry,
  options: RunOptions,
): Promise<{ outcome: ExecuteOutcome; error?: ErrorOutput; cut?: OutputCut }> {
  const limit = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  let outputs = new CellOutputs(displays, limit);
  let outcome: ExecuteOutcome;
  // tslab aborts requests that arrive within ~200 ms of a failed cell: resend after the window.
  for (let attempt = 0; ; attempt++) {
    outcome = await kernel.execute(cell.source, {
      timeoutMs: (options.timeout ?? 0) * 1000,
      interruptGraceMs: (options.interruptGrace ?? 5) * 1000,
      outputWaitMs: options.outputWait === undefined ? undefined : options.outputWait * 1000,
      onIopub: (message) => outputs.handle(message),
      signal: options.signal,
    });
    if (outcome.status !== 'abort' || attempt >= 10) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    outputs = new CellOutputs(displays, limit);
  }
  if (outcome.status === 'cancelled') return { outcome };
  const seconds = options.timeout ?? 0;
  if (outcome.lost) {
    outputs.pushNote(`\n[d2l-ts runner: ${outcome.lost}]\n`);
  }
  if (outcome.status === 'timeout') {
    outputs.push({
      output_type: 'error',
      ename: 'TimeoutError',
      evalue: outcome.killed
        ? `cell timed out after ${seconds} s; the interrupt did not stop it, so the kernel was killed`
        : `cell timed out after ${seconds} s and was interrupted`,
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
  const cutForSize = outputs.cut;
  const cut = outcome.lost
    ? {
        droppedChars: cutForSize?.droppedChars ?? 0,
        droppedOutputs: cutForSize?.droppedOutputs ?? 0,
        lost: outcome.lost,
      }
    : (cutForSize ?? undefined);
  cell.outputs = outputs.finish(failed && outcome.status !== 'timeout');
  cell.execution_count = outcome.executionCount;
  for (const output of cell.outputs) {
    if (output.output_type === 'execute_result') output.execution_count = outcome.executionCount;
  }
  if (!failed) return { outcome, cut };
  const error = [...cell.outputs].reverse().find((o): o is ErrorOutput => o.output_type === 'error') ?? {
    output_type: 'error',
    ename: 'Error',
    evalue: 'the cell failed without printing an error',
    traceback: [],
  };
  if (!cell.outputs.includes(error)) cell.outputs.push(error);
  return { outcome, error, cut };
}
