/**
 * The headless notebook runner: Node only, the real tslab kernel over the Jupyter wire protocol.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNotebook, type NotebookResult, type RunOptions } from './run';

export { runNotebook } from './run';
export type { CellFailure, NotebookResult, NotebookStatus, ProgressEvent, RunOptions } from './run';
export { readNotebook, serializeNotebook, writeNotebookAtomic } from './notebook';
export type { Cell, Notebook } from './notebook';
export type { Output } from './outputs';

/** Notebooks named by `paths` (files, or folders whose *.ipynb are taken), sorted, checkpoints skipped. */
export function findNotebooks(paths: readonly string[]): string[] {
  const found: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new Error(`paths: ${p} does not exist (expected a .ipynb file or a folder of them)`);
    }
    if (stat.isDirectory()) {
      const names = fs.readdirSync(p).filter((name) => name.endsWith('.ipynb'));
      found.push(...names.sort().map((name) => path.join(p, name)));
    } else if (p.endsWith('.ipynb')) {
      found.push(p);
    } else {
      throw new Error(`paths: ${p} is not a notebook (expected a .ipynb file or a folder of them)`);
    }
  }
  return [...new Set(found)];
}

/** Runs notebooks, up to `jobs` at once (one kernel each); results in the order given. */
export async function runNotebooks(
  notebooks: readonly string[],
  options: RunOptions & { jobs?: number } = {},
): Promise<NotebookResult[]> {
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs: expected a positive integer, got ${jobs}`);
  const results: NotebookResult[] = new Array(notebooks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < notebooks.length) {
      const i = next++;
      results[i] = await runNotebook(notebooks[i], options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, notebooks.length) }, worker));
  return results;
}
