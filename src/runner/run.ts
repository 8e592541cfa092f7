/**
 * runNotebook and runNotebooks: execute every code cell of a notebook on a fresh kernel started in the
 * notebook's folder, store the outputs as Jupyter would, and save (in place or under `out`) atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lockFile, lockFileFor, readOnlyReason, realTarget, tempFileFor } from './files';
import { describeExit, KernelClient, type ExecuteOutcome, type Timing } from './kernel';
import { chooseKernel } from './kernelspecs';
import { ensureCellIds, readNotebook, writeNotebookAtomic, type Cell } from './notebook';
import { CellOutputs, type Displays, type ErrorOutput, type OutputCut } from './outputs';
import { checkParameters, injectParameters } from './parameters';
import { checkTargets, commonFolder, targetOf } from './paths';
import { DEFAULTS } from './defaults';
import { checkCell, CHECK_DEFAULTS, TAGS, tagsOf, type CellMismatch, type CheckOptions } from './check';

export { DEFAULTS };

export interface RunOptions extends Partial<typeof DEFAULTS> {
  /** Directory for the executed copies (mirroring the notebooks' folders); default: overwrite them. */
  out?: string;
  /** Run with this installed kernelspec (or d2l-ts) whatever the notebook names. */
  kernel?: string;
  /** Kernel command (`{connection_file}` is substituted); default: the chosen kernelspec's argv. */
  kernelArgv?: string[];
  /**
   * Check instead of save: compare each cell's new outputs with the saved ones (CHECK_DEFAULTS
   * documents the options); the notebook is not written. Its mismatches are in the result.
   */
  check?: Partial<CheckOptions>;
  /** Aborting stops the run, kills the kernels and leaves unfinished notebooks untouched. */
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
      /** Checking: the outputs differ from the saved ones. */
      differs?: boolean;
    }
  | { type: 'end'; result: NotebookResult };

/**
 * ok: every cell ran (with allowErrors, errors may be stored); error: a cell failed; timeout: a cell hit
 * the limit; died: the kernel exited mid-cell; cancelled: aborted, file untouched; failed: the notebook
 * could not be read or locked, the kernel could not start, or the file could not be written; mismatch:
 * checking, every cell ran but some outputs differ from the saved ones.
 */
export type NotebookStatus = 'ok' | 'error' | 'timeout' | 'died' | 'cancelled' | 'failed' | 'mismatch';

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
  /** Seconds each code cell that ran took, in order. */
  cellSeconds: number[];
  /** Cells whose error was stored and passed over (allowErrors), in order. */
  storedErrors: CellFailure[];
  /** Cells whose saved outputs are incomplete: never a clean ok, though the status may say ok. */
  cut: CellCut[];
  seconds: number;
  failure?: CellFailure;
  /** Why the notebook could not run at all (status failed). */
  message?: string;
  /** Checking: the cells whose outputs differ from the saved ones, in order. */
  mismatches?: CellMismatch[];
  /** Checking: the code cells tagged nbval-skip, not run (numbers as codeCell). */
  skipped?: number[];
}

type Settings = typeof DEFAULTS & Omit<RunOptions, 'check'> & { outBase?: string; check?: CheckOptions };

const isEmpty = (cell: Cell): boolean => cell.cell_type === 'code' && cell.source.trim() === '';

/** A notebook read and checked, with its kernel starting (started early to hide its start-up time). */
interface Opened {
  target: string;
  kernel: Promise<KernelClient>;
}

/** Reads `notebook`, checks that its copy may be written, and starts its kernel; throws naming it. */
function open(notebook: string, settings: Settings): Opened {
  const nb = readNotebook(notebook);
  const choice = settings.kernelArgv
    ? { name: settings.kernel ?? 'd2l-ts', argv: settings.kernelArgv }
    : chooseKernel(nb, notebook, settings.kernel);
  const target = targetOf(notebook, settings.out, settings.outBase);
  const readOnly = settings.check ? null : readOnlyReason(target); // a check writes nothing
  if (readOnly) {
    throw new Error(
      `${readOnly}: not overwriting it${settings.out ? '' : ' (--out DIR writes the executed copy elsewhere)'}`,
    );
  }
  const real = realTarget(target);
  const kernel = KernelClient.start({
    argv: choice.argv,
    cwd: path.dirname(path.resolve(notebook)),
    env: choice.env ? { ...process.env, ...choice.env } : undefined,
    kernelName: choice.name,
    startTimeout: settings.startTimeout,
    signal: settings.signal,
    orphanCleanup: settings.check
      ? { files: [], locks: [] }
      : { files: [tempFileFor(real)], locks: [lockFileFor(real)] },
  });
  kernel.catch(() => {}); // reported when the notebook's turn comes
  return { target, kernel };
}

function settingsOf(options: RunOptions): Settings {
  // An option given as undefined takes its default too.
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const check = options.check && { ...CHECK_DEFAULTS, ...options.check };
  const settings: Settings = { ...DEFAULTS, ...given, check };
  for (const name of ['timeout', 'interruptGrace', 'startTimeout', 'outputWait', 'maxOutput'] as const) {
    if (!(settings[name] >= 0)) throw new Error(`${name}: expected a number ≥ 0, got ${settings[name]}`);
  }
  if (!Number.isInteger(settings.jobs) || settings.jobs < 1) {
    throw new Error(`jobs: expected a positive integer, got ${settings.jobs}`);
  }
  checkParameters(settings.parameters);
  return settings;
}

/** Runs one notebook (see runNotebooks). */
export async function runNotebook(notebook: string, options: RunOptions = {}): Promise<NotebookResult> {
  return (await runNotebooks([notebook], { ...options, jobs: 1 }))[0];
}

/**
 * Runs notebooks, up to `jobs` at once (one kernel each), results in the order given. The kernel of
 * the next notebook starts while the others run, to hide its start-up time. Bad options throw before
 * any kernel starts.
 */
export async function runNotebooks(
  notebooks: readonly string[],
  options: RunOptions = {},
): Promise<NotebookResult[]> {
  const settings = settingsOf(options);
  // --out mirrors the notebooks' folders below the one they share.
  settings.outBase = commonFolder(notebooks);
  checkTargets(notebooks, settings.out, settings.outBase);
  const results: NotebookResult[] = new Array(notebooks.length);
  const early = new Map<number, Opened | Error>();
  const startEarly = (i: number): void => {
    if (i >= notebooks.length || early.has(i) || settings.signal?.aborted) return;
    try {
      early.set(i, open(notebooks[i], settings));
    } catch (error) {
      early.set(i, error as Error);
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < notebooks.length) {
      const i = next++;
      startEarly(i);
      startEarly(next);
      results[i] = await run(notebooks[i], settings, early.get(i));
      early.delete(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.jobs, notebooks.length) }, worker));
  return results;
}

async function run(notebook: string, settings: Settings, opened?: Opened | Error): Promise<NotebookResult> {
  const started = Date.now();
  const elapsed = (): number => (Date.now() - started) / 1000;
  const result: NotebookResult = {
    notebook,
    written: null,
    status: 'ok',
    cells: 0,
    executed: 0,
    cellSeconds: [],
    storedErrors: [],
    cut: [],
    seconds: 0,
  };
  const { signal } = settings;
  let release = (): void => {};
  let kernel: KernelClient | undefined;
  const onAbort = (): void => kernel?.killNow();
  try {
    if (opened instanceof Error || opened === undefined) throw opened ?? new Error('cancelled');
    const { target } = opened;
    const { check } = settings;
    if (settings.out) fs.mkdirSync(path.dirname(target), { recursive: true });
    if (!check) release = lockFile(realTarget(target));
    // Read again under the lock (the early start read it before), so no other run's write is lost.
    const nb = readNotebook(notebook);
    injectParameters(nb, settings.parameters);
    const saved = nb.cells.map((cell) => cell.outputs ?? []); // what a check compares with
    result.cells = nb.cells.filter((cell) => cell.cell_type === 'code' && !isEmpty(cell)).length;
    if (signal?.aborted) throw new Error('cancelled');
    settings.onProgress?.({ type: 'start', notebook, cells: result.cells });
    kernel = await opened.kernel;
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    // Like nbclient: record the kernel's language_info in the notebook.
    const languageInfo = kernel.info.language_info;
    if (languageInfo && typeof languageInfo === 'object') nb.metadata.language_info = languageInfo;
    const displays: Displays = new Map();
    let codeCell = 0;
    for (const [index, cell] of nb.cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      if (isEmpty(cell)) {
        // Jupyter runs nothing for an empty cell, and numbers nothing.
        cell.outputs = [];
        cell.execution_count = null;
        continue;
      }
      const at = { codeCell: ++codeCell, cellIndex: index + 1 };
      if (check && tagsOf(cell).includes(TAGS.skip)) {
        // nbval-skip: not run, nothing compared; counted as passed over, so cell numbers stay aligned.
        (result.skipped ??= []).push(codeCell);
        result.executed++;
        result.cellSeconds.push(0);
        continue;
      }
      const cellStarted = Date.now();
      const { outcome, error, cut } = await runCell(kernel, cell, displays, settings);
      if (outcome.status === 'cancelled') break; // the signal aborted: see below
      const seconds = (Date.now() - cellStarted) / 1000;
      result.executed++;
      result.cellSeconds.push(seconds);
      if (cut) result.cut.push({ ...at, ...cut });
      // An error the cell is tagged to raise is its expected output (as nbclient and nbval take it).
      const expected = !!error && outcome.status === 'error' && tagsOf(cell).includes(TAGS.raisesException);
      const mismatch =
        check && (!error || expected || settings.allowErrors)
          ? checkCell(cell, saved[index], at, check)
          : null;
      if (mismatch) (result.mismatches ??= []).push(mismatch);
      settings.onProgress?.({
        type: 'cell',
        notebook,
        cell: codeCell,
        cells: result.cells,
        seconds,
        elapsed: elapsed(),
        ok: !error || expected,
        cut: cut ? (cut.lost ? 'outputs may be missing' : 'output truncated') : undefined,
        differs: mismatch ? true : undefined,
      });
      if (!error || expected) continue;
      const { ename, evalue, traceback } = error;
      const failure = { ...at, source: cell.source, ename, evalue, traceback };
      if (outcome.status !== 'died' && !outcome.killed && settings.allowErrors) {
        result.storedErrors.push(failure);
        continue;
      }
      result.failure = failure;
      result.status = outcome.status === 'died' || outcome.status === 'timeout' ? outcome.status : 'error';
      break;
    }
    if (signal?.aborted) {
      result.status = 'cancelled';
    } else if (check) {
      if (result.status === 'ok' && result.mismatches) result.status = 'mismatch';
    } else {
      ensureCellIds(nb);
      writeNotebookAtomic(target, nb);
      result.written = target;
    }
  } catch (error) {
    result.status = signal?.aborted ? 'cancelled' : 'failed';
    result.message = (error as Error).message;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (kernel) await kernel.shutdown();
    else if (opened && !(opened instanceof Error)) opened.kernel.then((k) => k.kill()).catch(() => {});
    release();
  }
  result.seconds = elapsed();
  settings.onProgress?.({ type: 'end', result });
  return result;
}

/** Runs one cell into `cell`; returns the outcome, the stored error output and what was cut, if any. */
async function runCell(
  kernel: KernelClient,
  cell: Cell,
  displays: Displays,
  settings: Settings,
): Promise<{ outcome: ExecuteOutcome; error?: ErrorOutput; cut?: OutputCut }> {
  const outputs = new CellOutputs(displays, settings.maxOutput);
  const outcome = await kernel.execute(cell.source, {
    ...settings,
    onIopub: (message) => outputs.handle(message),
  });
  if (outcome.status === 'cancelled') return { outcome };
  if (outcome.lost) outputs.markLost(outcome.lost);
  // The runner's own errors: the cell's limit, or a dead kernel (with what it printed).
  let error: ErrorOutput | undefined;
  if (outcome.status === 'timeout') {
    const evalue = outcome.killed
      ? `cell timed out after ${settings.timeout} s; the interrupt did not stop it, so the kernel was killed`
      : `cell timed out after ${settings.timeout} s and was interrupted`;
    error = { output_type: 'error', ename: 'TimeoutError', evalue, traceback: [] };
  } else if (outcome.status === 'died') {
    const evalue = `the kernel died while running this cell (${describeExit(outcome.exit)})`;
    error = {
      output_type: 'error',
      ename: 'KernelDied',
      evalue,
      traceback: kernel.log ? kernel.log.trimEnd().split('\n') : [],
    };
  }
  if (error) outputs.push(error);
  const cut = outputs.cut ?? undefined;
  cell.outputs = outputs.finish();
  cell.execution_count = outcome.executionCount;
  for (const output of cell.outputs) {
    if (output.output_type === 'execute_result') output.execution_count = outcome.executionCount;
  }
  if (settings.recordTiming) cell.metadata.execution = nbclientTiming(outcome.timing);
  if (outcome.status === 'ok') return { outcome, cut };
  error ??= [...cell.outputs].reverse().find((o): o is ErrorOutput => o.output_type === 'error');
  if (!error) {
    const why =
      outcome.status === 'abort' ? 'the kernel aborted the request' : 'the cell failed without an error';
    error = { output_type: 'error', ename: 'Error', evalue: why, traceback: [] };
    cell.outputs.push(error);
  }
  return { outcome, error, cut };
}

/** Header dates as nbclient stores them: ISO 8601 in UTC with microseconds, `2026-01-02T03:04:05.678000Z`. */
function nbclientTiming(timing: Timing): Record<string, string> {
  const stored: Record<string, string> = {};
  for (const [key, date] of Object.entries(timing)) {
    const utc = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(?:Z|[+-]00:?00)$/.exec(date);
    const [whole, fraction = ''] = utc
      ? [utc[1], utc[2]]
      : new Date(date).toISOString().replace('Z', '').split('.');
    stored[key] = `${whole}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
  }
  return stored;
}
