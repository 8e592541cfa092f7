/**
 * `npm run bench`: times the chapter's loops on every TensorFlow.js backend that loads, next to
 * PyTorch running the book's code (Debian's, when /usr/bin/python3 imports torch, and a current one
 * from a venv that the bench makes with pip on first use), and the notebooks' run time. Repeats are interleaved (backend after backend, one fresh process each) so
 * that load from other processes hits every backend alike; ratios are taken within this run.
 *
 *   npm run bench -- [--repeats N] [--scale-repeats N] [--no-scale] [--all-closed-form]
 *                    [--baseline GIT_REF] [--json PATH] [--no-torch-venv] [--notebook-repeats N]
 *                    [--notebooks-only] [--board-only] [--kernel-start-only] [--kernel-only]
 *                    [--kernel-baseline GIT_REF]
 *
 * The notebooks also run side by side with `jupyter nbconvert --execute` (bench/notebooks.ts) when a
 * Python with nbconvert is found; --notebooks-only runs just that comparison.
 *
 * --board-only times what d2l.Animator adds to a training loop (bench/board.ts), and nothing else.
 *
 * The kernel's start in and outside the project (bench/kernel-start.ts) runs too; --kernel-start-only
 * runs just that, and --kernel-baseline adds the kernel as it was at GIT_REF.
 *
 * The kernel experience (bench/kernel-lesson.ts): the d2l-ts kernel through notebooks/3.2-… against
 * ipykernel running the book's PyTorch 3.2 (bench/lesson_3_2.py) in the bench's torch venv, cell by
 * cell, --notebook-repeats runs each; --kernel-only runs just that (with --kernel-baseline: the kernel
 * at GIT_REF as well).
 *
 * --baseline builds d2l as it was at GIT_REF and runs it too (as `wasm@REF`, ...), for before/after.
 * Prints a table and writes JSON (default .bench/results-<UTC date and time>.json) for tracking.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as d2l from 'd2l';
import { cacheDir } from '../src/native';
import { boardBench } from './board';
import type { ChildReport } from './child';
import { benchKernelLesson, formatKernelLesson } from './kernel-lesson';
import { benchKernelStart, formatKernelStart } from './kernel-start';
import { benchNotebooks, compareWithNbconvert, findNbconvert, formatComparison } from './notebooks';
import { formatTable, summarise, type Summary } from './report';
import { PROJECT_ROOT } from '../src/paths';

const DEBIAN_PYTHON = '/usr/bin/python3';
/** The bench's own venv with a current PyTorch (pip serves the CPU build), made on first use. */
const TORCH_VENV = path.join(cacheDir(), 'bench-torch');
/** ipykernel and matplotlib: the kernel-experience bench runs the book's 3.2 in ipykernel with this torch. */
const TORCH_REQUIREMENTS = ['torch==2.13.0+cpu', 'numpy', 'ipykernel', 'matplotlib'];
/** Backends whose XᵀX over 10⁶ rows takes a minute (tfjs's matMul with transposeA); run on request. */
const SLOW_CLOSED_FORM = ['cpu', 'wasm'];

interface Options {
  repeats: number;
  scaleRepeats: number;
  scale: boolean;
  allClosedForm: boolean;
  torchVenv: boolean;
  baseline?: string;
  json: string;
  notebookRepeats: number;
  notebooksOnly: boolean;
  boardOnly: boolean;
  kernelStartOnly: boolean;
  kernelOnly: boolean;
  kernelBaseline?: string;
}

function parseArgs(argv: string[]): Options {
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const options: Options = {
    repeats: 5,
    scaleRepeats: 3,
    scale: true,
    allClosedForm: false,
    torchVenv: true,
    json: path.join(PROJECT_ROOT, '.bench', `results-${stamp}.json`),
    notebookRepeats: 3,
    notebooksOnly: false,
    boardOnly: false,
    kernelStartOnly: false,
    kernelOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const count = (): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} must be a positive integer`);
      return v;
    };
    if (arg === '--repeats') options.repeats = count();
    else if (arg === '--scale-repeats') options.scaleRepeats = count();
    else if (arg === '--no-scale') options.scale = false;
    else if (arg === '--all-closed-form') options.allClosedForm = true;
    else if (arg === '--no-torch-venv') options.torchVenv = false;
    else if (arg === '--json') options.json = path.resolve(value());
    else if (arg === '--baseline') options.baseline = value();
    else if (arg === '--notebook-repeats') options.notebookRepeats = count();
    else if (arg === '--notebooks-only') options.notebooksOnly = true;
    else if (arg === '--board-only') options.boardOnly = true;
    else if (arg === '--kernel-start-only') options.kernelStartOnly = true;
    else if (arg === '--kernel-only') options.kernelOnly = true;
    else if (arg === '--kernel-baseline') options.kernelBaseline = value();
    else throw new Error(`unknown option ${arg}; see the comment at the top of bench/index.ts`);
  }
  return options;
}

/** What runs the cases: a tfjs backend with some build of d2l, or PyTorch. */
interface Runner {
  name: string;
  backend: string;
  /** For PyTorch: the Python that imports it. */
  python?: string;
  /** A baseline build of d2l (D2L_BENCH_MODULE), or the workspace package when absent. */
  module?: string;
}

/** A process to run: one runner and one group of cases. */
interface Job {
  runner: Runner;
  group: 'small' | 'epoch' | 'closed';
}

function runJob(job: Job): Promise<ChildReport> {
  const { runner, group } = job;
  const [cmd, args] =
    runner.python !== undefined
      ? [runner.python, [path.join(PROJECT_ROOT, 'bench/pytorch_reference.py'), group, runner.name]]
      : [
          path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
          [path.join(PROJECT_ROOT, 'bench/child.ts'), runner.backend, group, runner.name],
        ];
  const env = { ...process.env, D2L_BENCH_MODULE: runner.module ?? '' };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`${runner.name} ${group} exited with ${code}:\n${err.trim().slice(-2000)}`));
      } else resolve(JSON.parse(line) as ChildReport);
    });
  });
}

/** Builds d2l as it was at `ref` in a temporary folder that shares this checkout's node_modules. */
function buildBaseline(ref: string): { module: string; label: string; hasLstsq: boolean } {
  const sha = execFileSync('git', ['rev-parse', '--short', '--verify', `${ref}^{commit}`], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), `d2l-${sha}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true })); // also after an error
  const archive = execFileSync('git', ['archive', sha, 'd2l'], { cwd: PROJECT_ROOT, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(dir, 'd2l')], {
    stdio: 'inherit',
  });
  const hasLstsq = existsSync(path.join(dir, 'd2l/src/lstsq.ts'));
  return { module: path.join(dir, 'd2l/dist/index.js'), label: sha, hasLstsq };
}

function torchVersion(python: string, alsoImport = ''): string | null {
  try {
    return execFileSync(python, ['-c', `import torch${alsoImport}; print(torch.__version__)`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/** The Pythons that import torch: Debian's, and the bench's venv (made here when it is missing). */
function torchRunners(makeVenv: boolean, notes: string[]): Runner[] {
  const venvPython = path.join(TORCH_VENV, 'bin', 'python');
  if (makeVenv && torchVersion(venvPython, VENV_IMPORTS) === null) {
    progress(`bench: making ${TORCH_VENV} with ${TORCH_REQUIREMENTS.join(' ')} (once; about 300 MB)`);
    try {
      if (!existsSync(venvPython)) execFileSync('python3', ['-m', 'venv', TORCH_VENV], { stdio: 'inherit' });
      // --retries 0: an index that cannot be reached fails at once instead of after minutes.
      execFileSync(venvPython, ['-m', 'pip', 'install', '--retries', '0', '-q', ...TORCH_REQUIREMENTS], {
        stdio: 'inherit',
      });
    } catch (e) {
      notes.push(`PyTorch venv not made (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const runners: Runner[] = [];
  for (const python of [DEBIAN_PYTHON, venvPython]) {
    const version = torchVersion(python);
    if (version !== null) runners.push({ name: `pytorch ${version}`, backend: 'pytorch', python });
  }
  if (runners.length === 0) {
    notes.push(`PyTorch skipped: neither ${DEBIAN_PYTHON} nor ${venvPython} imports torch`);
  }
  return runners;
}

const VENV_IMPORTS = ', ipykernel, matplotlib';

/** The bench venv's Python when it has torch, ipykernel and matplotlib (for ipykernel + PyTorch), else undefined. */
function ipykernelPython(notes: string[]): string | undefined {
  const python = path.join(TORCH_VENV, 'bin', 'python');
  const version = torchVersion(python, VENV_IMPORTS);
  if (version === null) {
    notes.push(`ipykernel + PyTorch skipped: ${python} does not import torch, ipykernel and matplotlib`);
    return undefined;
  }
  notes.push(`ipykernel: ${python}, torch ${version}`);
  return python;
}

/** Notebook run time needs the notebooks and the headless runner (src/runner, src/cli.ts). */
function notebookJobs(): { notebooks: string[]; why?: string } {
  const dir = path.join(PROJECT_ROOT, 'notebooks');
  const notebooks = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ipynb')) : [];
  if (notebooks.length === 0) return { notebooks, why: 'no notebooks in notebooks/' };
  return { notebooks: notebooks.map((f) => path.join(dir, f)) };
}

/** Runs the notebooks with the headless runner, writing the executed copies to a temporary folder. */
function runNotebooks(backend: string, notebooks: string[]): number {
  const out = mkdtempSync(path.join(os.tmpdir(), 'd2l-bench-notebooks-'));
  try {
    const t0 = performance.now();
    execFileSync(
      path.join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
      ['src/cli.ts', 'run', '-q', '--out', out, ...notebooks],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, D2L_BACKEND: backend },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    return (performance.now() - t0) / 1000;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

/** Runner against nbconvert on the notebooks: the printed table, and the figures for the JSON. */
function nbconvertComparison(repeats: number): {
  text: string;
  result?: ReturnType<typeof compareWithNbconvert>;
} {
  const notebooks = benchNotebooks();
  if (notebooks.length === 0)
    return { text: 'note: runner vs nbconvert skipped: no notebooks in notebooks/' };
  const found = findNbconvert();
  if ('why' in found) return { text: `note: runner vs nbconvert skipped: ${found.why}` };
  const result = compareWithNbconvert(notebooks, repeats, found.python, found.version, progress);
  progress('');
  return { text: formatComparison(result, notebooks.length, os.availableParallelism()), result };
}

/** The kernel experience against ipykernel + PyTorch on 3.2: the printed table, and the figures for the JSON. */
async function kernelLessonComparison(
  options: Options,
): Promise<{ text: string; result: Awaited<ReturnType<typeof benchKernelLesson>> }> {
  const notes: string[] = [];
  if (options.torchVenv) torchRunners(true, notes); // makes the venv when missing
  const python = ipykernelPython(notes);
  const result = await benchKernelLesson(options.notebookRepeats, python, options.kernelBaseline, progress);
  progress('');
  result.notes.push(...notes);
  return { text: formatKernelLesson(result), result };
}

/** The kernel's start in and outside the project: the printed table, and the figures for the JSON. */
async function kernelStartComparison(
  repeats: number,
  baseline?: string,
): Promise<{ text: string; result: Awaited<ReturnType<typeof benchKernelStart>> }> {
  const result = await benchKernelStart(repeats, baseline);
  return { text: formatKernelStart(result), result };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  // The single comparisons: print their table and write their JSON, nothing else.
  const single = options.boardOnly
    ? { board: await boardBench(options.repeats) }
    : options.kernelOnly
      ? { kernelLesson: await kernelLessonComparison(options) }
      : options.kernelStartOnly
        ? { kernelStart: await kernelStartComparison(options.notebookRepeats, options.kernelBaseline) }
        : options.notebooksOnly
          ? { nbconvert: nbconvertComparison(options.notebookRepeats) }
          : undefined;
  if (single !== undefined) {
    const [[name, { text, result }]] = Object.entries(single);
    console.log(text);
    mkdirSync(path.dirname(options.json), { recursive: true });
    const json = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      loadavg: os.loadavg(),
      [name]: result,
    };
    writeFileSync(options.json, JSON.stringify(json, null, 2) + '\n');
    console.log(`\nwrote ${path.relative(process.cwd(), options.json)}`);
    return;
  }
  const backends = await d2l.availableBackends();
  const notes: string[] = [];
  const runners: Runner[] = backends.map((b) => ({ name: b, backend: b }));
  let baselineHasLstsq = true;
  if (options.baseline !== undefined) {
    progress(`bench: building d2l at ${options.baseline}`);
    const base = buildBaseline(options.baseline);
    baselineHasLstsq = base.hasLstsq;
    for (const b of backends) runners.push({ name: `${b}@${base.label}`, backend: b, module: base.module });
    if (!base.hasLstsq) notes.push(`closed form skipped at ${base.label}: no d2l.lstsq there`);
  }
  const torches = torchRunners(options.torchVenv, notes);
  runners.push(...torches);
  const scaleRunners = options.scale ? runners : [];
  const closedRunners = scaleRunners.filter(
    (r) =>
      (!SLOW_CLOSED_FORM.includes(r.backend) || options.allClosedForm) &&
      (r.module === undefined || baselineHasLstsq),
  );
  const slow = SLOW_CLOSED_FORM.filter((b) => backends.includes(b as d2l.BackendName));
  if (options.scale && !options.allClosedForm && slow.length > 0) {
    notes.push(
      `closed form skipped on ${slow.join(' and ')} (about a minute a run; --all-closed-form includes them)`,
    );
  }
  if (!options.scale) notes.push('scale cases skipped (--no-scale)');

  // Interleave: every repeat runs each runner once, so slow phases of the machine hit all alike, and
  // the order rotates from repeat to repeat so that no runner always goes first.
  const rotate = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]);
  const jobs: Job[] = [];
  for (let r = 0; r < Math.max(options.repeats, options.scaleRepeats); r++) {
    if (r < options.repeats) for (const runner of rotate(runners, r)) jobs.push({ runner, group: 'small' });
    if (r < options.scaleRepeats) {
      for (const runner of rotate(scaleRunners, r)) jobs.push({ runner, group: 'epoch' });
      for (const runner of rotate(closedRunners, r)) jobs.push({ runner, group: 'closed' });
    }
  }
  const reports: ChildReport[] = [];
  const t0 = performance.now();
  for (const [i, job] of jobs.entries()) {
    const elapsed = ((performance.now() - t0) / 1000).toFixed(0);
    progress(`bench [${i + 1}/${jobs.length}] ${job.runner.name} ${job.group}  (${elapsed} s elapsed)`);
    reports.push(await runJob(job));
  }
  const notebookTimes: Record<string, number[]> = {};
  const { notebooks, why } = notebookJobs();
  if (why !== undefined) notes.push(`notebook run time skipped: ${why}`);
  else {
    for (let r = 0; r < options.repeats; r++) {
      for (const backend of backends) {
        progress(`bench notebooks ${backend} repeat ${r + 1}/${options.repeats}`);
        (notebookTimes[backend] ??= []).push(runNotebooks(backend, notebooks));
      }
    }
  }
  progress('');
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  for (const torch of torches) {
    const threads = reports.find((r) => r.backend === torch.name)?.threads;
    if (threads !== undefined) notes.push(`${torch.name}: torch.get_num_threads() = ${threads}`);
  }

  const summary: Summary = summarise(
    runners.map((r) => r.name),
    reports,
    notebookTimes,
  );
  console.log(formatTable(summary, notes));
  const comparison = nbconvertComparison(options.notebookRepeats);
  console.log(`\n${comparison.text}`);
  const { text: kernelStartText, result: kernelStart } = await kernelStartComparison(
    options.notebookRepeats,
    options.kernelBaseline,
  );
  console.log(`\n${kernelStartText}`);
  const { text: kernelLessonText, result: kernelLesson } = await kernelLessonComparison(options);
  console.log(`\n${kernelLessonText}`);
  const result = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
    pytorch: torches.map((t) => t.name),
    baseline: options.baseline,
    options,
    notes,
    summary,
    reports,
    nbconvert: comparison.result,
    kernelStart,
    kernelLesson,
  };
  mkdirSync(path.dirname(options.json), { recursive: true });
  writeFileSync(options.json, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), options.json)}`);
}

function gitCommit(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? sha : `${sha}+dirty`;
  } catch {
    return null;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
