/**
 * The headless notebook runner: Node only, the real tslab kernel over the Jupyter wire protocol.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  prepare,
  runPrepared,
  startKernel,
  targetOf,
  type EarlyStart,
  type NotebookResult,
  type RunOptions,
} from './run';

export { DEFAULT_MAX_OUTPUT, runNotebook } from './run';
export type { CellCut, CellFailure, NotebookResult, NotebookStatus, ProgressEvent, RunOptions } from './run';
export { readNotebook, serializeNotebook, writeNotebookAtomic } from './notebook';
export type { Cell, Notebook } from './notebook';
export type { Output } from './outputs';

/** Folders a search for notebooks never enters (Jupyter's own skip hidden ones and checkpoints too). */
const SKIPPED_FOLDERS = new Set(['node_modules', '.ipynb_checkpoints']);

/**
 * Notebooks named by `paths`: files, or folders searched recursively (skipping node_modules, checkpoints
 * and hidden folders; symlinked folders are not followed), each folder's notebooks sorted.
 */
export function findNotebooks(paths: readonly string[]): string[] {
  const found: string[] = [];
  const search = (dir: string): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) search(full);
      } else if (entry.name.endsWith('.ipynb') && !entry.name.startsWith('.') && isFile(full)) {
        found.push(full);
      }
    }
  };
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new Error(`paths: ${p} does not exist (expected a .ipynb file or a folder of them)`);
    }
    if (stat.isDirectory()) {
      search(p);
    } else if (p.endsWith('.ipynb')) {
      found.push(p);
    } else {
      throw new Error(`paths: ${p} is not a notebook (expected a .ipynb file or a folder of them)`);
    }
  }
  // The same file named twice (or through a symlink) runs once.
  const seen = new Set<string>();
  return found.filter((file) => {
    const real = fs.realpathSync(file);
    return !seen.has(real) && seen.add(real);
  });
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false; // a dangling symlink
  }
}

/** As many notebooks at once as the machine has cores: each kernel keeps about one busy. */
export function defaultJobs(): number {
  return os.availableParallelism();
}

/** Throws before anything runs if two notebooks would be written to one file (--out flattens folders). */
export function checkTargets(notebooks: readonly string[], out?: string): void {
  const owners = new Map<string, string>();
  for (const notebook of notebooks) {
    const target = path.resolve(targetOf(notebook, out));
    const other = owners.get(target);
    if (other !== undefined) {
      throw new Error(
        `--out: ${other} and ${notebook} would both be written to ${targetOf(notebook, out)}; ` +
          'run them with different --out folders',
      );
    }
    owners.set(target, notebook);
  }
}

/**
 * Runs notebooks, up to `jobs` at once (one kernel each; default: one per core), results in the order
 * given. The kernel of the next notebook starts while the others run, to hide its start-up time.
 */
export async function runNotebooks(
  notebooks: readonly string[],
  options: RunOptions & { jobs?: number } = {},
): Promise<NotebookResult[]> {
  const jobs = options.jobs ?? defaultJobs();
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs: expected a positive integer, got ${jobs}`);
  checkTargets(notebooks, options.out);
  const results: NotebookResult[] = new Array(notebooks.length);
  const early = new Map<number, EarlyStart>();
  const startEarly = (i: number): void => {
    if (i >= notebooks.length || early.has(i) || options.signal?.aborted) return;
    let prepared;
    try {
      prepared = prepare(notebooks[i], options);
    } catch {
      return; // runPrepared reports it in its turn
    }
    const kernel = startKernel(prepared, options);
    kernel.catch(() => {}); // reported in its turn as well
    early.set(i, { prepared, kernel });
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < notebooks.length) {
      const i = next++;
      startEarly(i);
      startEarly(next);
      results[i] = await runPrepared(notebooks[i], options, early.get(i));
      early.delete(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, notebooks.length) }, worker));
  return results;
}
