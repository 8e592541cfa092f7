/**
 * The headless runner against `jupyter nbconvert --execute` on the same notebooks, side by side:
 * the runner at its default settings, the runner one notebook at a time (-j 1), and nbconvert (which
 * runs them one after the other), interleaved repeat by repeat. nbconvert comes from a Python that can
 * import it: $D2L_BENCH_PYTHON, the active virtualenv, ./.venv, or /usr/bin/python3; skipped otherwise.
 * Each run's outputs are compared by shape (cells, output kinds, stream names, MIME types): printed
 * values such as timings differ from run to run, the shape must not.
 *
 * Besides wall time it records each run's CPU time, kernels included (Linux: the finished children's
 * times in /proc/self/stat). A kernel is more than one thread (V8 compiles and collects garbage beside the
 * cell), so even nbconvert's one-at-a-time run keeps more than one core busy: the CPU time divided by the
 * machine's cores is the floor of any parallel runner, and the table prints it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installKernelSpec } from '../src/kernelspec';
import { readNotebook } from '../src/runner/notebook';
import { cpuSeconds } from './kernel-start';
import { median } from './report';
import { PROJECT_ROOT } from '../src/paths';

export interface NotebookComparison {
  /** Seconds per run, by contestant: `runner` (defaults), `runner -j 1`, `nbconvert`. */
  seconds: Record<string, number[]>;
  /** CPU seconds (user + system, kernels included) per run, by contestant; empty where unknown. */
  cpuSeconds: Record<string, number[]>;
  nbconvert: string;
  /** Notebooks whose output shape differed from the runner's -j 1 run (should be empty). */
  changed: string[];
}

/** A Python that imports nbconvert and nbclient, and nbconvert's version; null with the reason. */
export function findNbconvert(): { python: string; version: string } | { why: string } {
  const candidates = [
    process.env.D2L_BENCH_PYTHON,
    process.env.VIRTUAL_ENV && path.join(process.env.VIRTUAL_ENV, 'bin', 'python'),
    path.join(PROJECT_ROOT, '.venv', 'bin', 'python'),
    '/usr/bin/python3',
  ].filter((p): p is string => Boolean(p) && existsSync(p!));
  for (const python of candidates) {
    try {
      const version = execFileSync(
        python,
        ['-c', 'import nbclient, nbconvert, ipykernel; print(nbconvert.__version__)'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      ).trim();
      return { python, version };
    } catch {
      // next
    }
  }
  return {
    why:
      `no Python that imports nbconvert (tried ${candidates.join(', ') || 'none'}); e.g. python3 -m venv .venv && ` +
      '.venv/bin/pip install nbconvert==7.17.1 nbclient==0.11.0 ipykernel, or set D2L_BENCH_PYTHON',
  };
}

/** Cells → output kinds, stream names and MIME types, which must not depend on how the run was done. */
function shape(file: string): string {
  return JSON.stringify(
    readNotebook(file).cells.map((cell) =>
      (cell.outputs ?? []).map((o) =>
        o.output_type === 'stream'
          ? `stream:${o.name}`
          : o.output_type === 'error'
            ? `error:${o.ename}`
            : `${o.output_type}:${Object.keys(o.data).sort().join(',')}`,
      ),
    ),
  );
}

/** Wall and CPU seconds of `run`, which runs child processes to their end. */
function timed(run: () => void): { wall: number; cpu: number } {
  const [t0, cpu0] = [performance.now(), cpuSeconds(process.pid, true)];
  run();
  return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(process.pid, true) - cpu0 };
}

export function compareWithNbconvert(
  notebooks: string[],
  repeats: number,
  python: string,
  version: string,
  progress: (text: string) => void,
): NotebookComparison {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'd2l-bench-nbconvert-'));
  try {
    const env = { ...process.env, JUPYTER_DATA_DIR: path.join(tmp, 'jupyter') };
    installKernelSpec({ user: true }, { env, platform: process.platform, home: os.homedir() });
    const tsx = path.join(PROJECT_ROOT, 'node_modules/.bin/tsx');
    const contestants: Record<string, (out: string) => void> = {
      runner: (out) =>
        execFileSync(tsx, ['src/cli.ts', 'run', '-q', '--out', out, ...notebooks], {
          cwd: PROJECT_ROOT,
          env,
        }),
      'runner -j 1': (out) =>
        execFileSync(tsx, ['src/cli.ts', 'run', '-q', '-j', '1', '--out', out, ...notebooks], {
          cwd: PROJECT_ROOT,
          env,
        }),
      nbconvert: (out) =>
        execFileSync(
          python,
          [
            '-m',
            'nbconvert',
            '--log-level=ERROR',
            '--to',
            'notebook',
            '--execute',
            '--output-dir',
            out,
            ...notebooks,
          ],
          { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
        ),
    };
    const names = Object.keys(contestants);
    const seconds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const cpuSeconds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const changed = new Set<string>();
    for (let r = 0; r < repeats; r++) {
      // Rotate the order so that no contestant always runs first.
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length];
        progress(`bench notebooks: ${name}, repeat ${r + 1}/${repeats}`);
        const out = path.join(tmp, `${r}-${name.replace(/\W+/g, '-')}`);
        const { wall, cpu } = timed(() => contestants[name](out));
        seconds[name].push(wall);
        if (Number.isFinite(cpu)) cpuSeconds[name].push(cpu);
      }
      for (const nb of notebooks) {
        const base = path.basename(nb);
        const reference = shape(path.join(tmp, `${r}-runner-j-1`, base));
        if (shape(path.join(tmp, `${r}-runner`, base)) !== reference) changed.add(base);
      }
    }
    return { seconds, cpuSeconds, nbconvert: `nbconvert ${version} (${python})`, changed: [...changed] };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatComparison(c: NotebookComparison, notebooks: number, cores: number): string {
  const reference = median(c.seconds.nbconvert);
  const range = (xs: number[]): string =>
    `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  const rows = Object.entries(c.seconds).map(([name, xs]) => {
    const cpu = c.cpuSeconds[name] ?? [];
    const cpuColumns =
      cpu.length > 0 ? `${range(cpu)} | ${(median(cpu) / median(xs)).toFixed(2)}` : 'unknown | unknown';
    return `| ${name} | ${range(xs)} | ${(median(xs) / reference).toFixed(2)}× | ${cpuColumns} |`;
  });
  // A runner cannot finish before its CPU time spread over every core has passed.
  const runnerCpu = c.cpuSeconds.runner ?? [];
  const floor =
    runnerCpu.length > 0
      ? `floor for the runner on ${cores} cores: its CPU time / ${cores} = ` +
        `${(median(runnerCpu) / cores).toFixed(1)} s, ${(median(runnerCpu) / cores / reference).toFixed(2)}× nbconvert`
      : 'floor: unknown (no CPU times on this platform)';
  return [
    `re-executing the ${notebooks} notebooks, seconds, median (min–max) of ${c.seconds.nbconvert.length} runs each:`,
    '',
    '| who | wall s | / nbconvert | CPU s, kernels included | cores used |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    floor,
    `nbconvert: ${c.nbconvert}; runner defaults: -j ${os.availableParallelism()} (one per core), next kernel started early`,
    c.changed.length === 0
      ? 'outputs: the same cells, output kinds and MIME types at the defaults as with -j 1'
      : `outputs CHANGED with the defaults (vs -j 1) in: ${c.changed.join(', ')}`,
  ].join('\n');
}

/** The notebooks the bench runs: notebooks/*.ipynb. */
export function benchNotebooks(): string[] {
  const dir = path.join(PROJECT_ROOT, 'notebooks');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ipynb'))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
}
