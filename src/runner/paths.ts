/** Which notebooks a run takes (found in folders, split into shards) and where their executed copies go. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNotebook } from './notebook';

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

/**
 * Seconds a notebook took when last run with --record-timing (from `idle` minus `busy`), or null (also
 * when it cannot be read: its run reports that).
 */
export function recordedSeconds(notebook: string): number | null {
  let cells;
  try {
    cells = readNotebook(notebook).cells;
  } catch {
    return null;
  }
  let total = 0;
  for (const cell of cells) {
    if (cell.cell_type !== 'code' || cell.source.trim() === '') continue;
    const timing = (cell.metadata.execution ?? {}) as Record<string, unknown>;
    const [busy, idle] = [timing['iopub.status.busy'], timing['iopub.status.idle']].map((d) =>
      typeof d === 'string' ? Date.parse(d) : NaN,
    );
    if (!(idle >= busy)) return null;
    total += (idle - busy) / 1000;
  }
  return total;
}

/**
 * Shard `index` (1-based) of `count`: every notebook lands in exactly one, the same one in every job.
 * Longest recorded run time first, each to the shard with the least so far (ties: the lower shard);
 * notebooks without a recorded time count as the median of the others (all alike when none has one,
 * which deals them out by name in turn).
 */
export function shard(notebooks: readonly string[], index: number, count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count) {
    throw new Error(`shard: expected I/N with 1 ≤ I ≤ N, got ${index}/${count}`);
  }
  const recorded = notebooks.map(recordedSeconds);
  const known = recorded.filter((s): s is number => s !== null).sort((a, b) => a - b);
  const fallback = known.length > 0 ? known[Math.floor(known.length / 2)] : 1;
  const order = notebooks
    .map((notebook, i) => ({ notebook, seconds: recorded[i] ?? fallback }))
    .sort(
      (a, b) => b.seconds - a.seconds || (a.notebook < b.notebook ? -1 : a.notebook > b.notebook ? 1 : 0),
    );
  const load = new Array<number>(count).fill(0);
  const mine = new Set<string>();
  for (const { notebook, seconds } of order) {
    const least = load.indexOf(Math.min(...load));
    load[least] += seconds;
    if (least === index - 1) mine.add(notebook);
  }
  return notebooks.filter((notebook) => mine.has(notebook));
}

/**
 * Where a notebook's executed copy goes: in place, or under `out` at its path below `outBase` (the
 * folder common to all the notebooks of a run), so that `notebooks/3.1.ipynb` and `notebooks/zh/3.1.ipynb`
 * become `out/3.1.ipynb` and `out/zh/3.1.ipynb`. Without `outBase`, the notebook's own folder.
 */
export function targetOf(notebook: string, out?: string, outBase?: string): string {
  if (!out) return notebook;
  return path.join(
    out,
    path.relative(path.resolve(outBase ?? path.dirname(notebook)), path.resolve(notebook)),
  );
}

/** The deepest folder that holds all of `notebooks`. */
export function commonFolder(notebooks: readonly string[]): string {
  const folders = notebooks.map((n) => path.dirname(path.resolve(n)));
  let common = folders[0] ?? process.cwd();
  const holdsAll = (): boolean =>
    folders.every((f) => `${f}${path.sep}`.startsWith(path.join(common, path.sep)));
  while (!holdsAll()) common = path.dirname(common);
  return common;
}

/**
 * Throws before anything runs if two notebooks would be written to one file (two names for one
 * notebook, through a symlink or `..`, once --out mirrors them).
 */
export function checkTargets(notebooks: readonly string[], out?: string, outBase?: string): void {
  const owners = new Map<string, string>();
  for (const notebook of notebooks) {
    const target = path.resolve(targetOf(notebook, out, outBase));
    const other = owners.get(target);
    if (other !== undefined) {
      throw new Error(
        `--out: ${other} and ${notebook} would both be written to ${targetOf(notebook, out, outBase)}; ` +
          'run them with different --out folders',
      );
    }
    owners.set(target, notebook);
  }
}
