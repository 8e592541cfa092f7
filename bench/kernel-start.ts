/**
 * Kernel start, side by side: the d2l-ts kernel until it answers kernel_info in a folder outside the
 * project and in notebooks/ (where TypeScript sees the project's node_modules/@types), then, in
 * notebooks/, the first cell importing d2l and tfjs-node. With a baseline ref, the kernel as it was
 * at that commit (its src/ extracted into .bench/) runs in notebooks/ too. Contestants take turns
 * repeat by repeat; each reports wall time and the kernel's CPU time (user + system), which a loaded
 * machine disturbs less.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KERNEL_V8_FLAGS, kernelSpec } from '../src/kernelspec';
import { PROJECT_ROOT } from '../src/paths';
import { KernelClient } from '../src/runner/kernel';
import { statFields } from '../src/runner/launcher';
import { median } from './report';

const FIRST_CELL = "import * as d2l from 'd2l';\nimport * as tf from '@tensorflow/tfjs-node';";
/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS = 100;

export interface KernelStartTimes {
  /** Seconds, by contestant and measure (`ready wall`, `ready cpu`, `first cell wall`, `first cell cpu`). */
  seconds: Record<string, Record<string, number[]>>;
}

interface Contestant {
  name: string;
  cwd: string;
  argv: string[];
  firstCell: boolean;
}

/**
 * A process's user + system CPU seconds so far (Linux), or NaN; with `children`, those of its finished
 * children and theirs (proc(5)'s utime + stime, or cutime + cstime).
 */
export function cpuSeconds(pid: number | undefined, children = false): number {
  const fields = pid === undefined ? null : statFields(pid);
  const at = children ? 13 : 11;
  return fields ? (Number(fields[at]) + Number(fields[at + 1])) / TICKS : NaN;
}

/** The kernelspec's argv with the preload as it was at `ref`. */
export function baselineArgv(ref: string): string[] {
  const sha = execFileSync('git', ['rev-parse', '--short', '--verify', `${ref}^{commit}`], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  }).trim();
  // Inside the project, so that its requires resolve from the project's node_modules.
  const dir = path.join(PROJECT_ROOT, '.bench', `kernel-${sha}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // The kernel's preload also requires d2l's plain-JavaScript tf-log.js (where the ref has it).
  const paths = ['src', 'd2l/src/tf-log.js'].filter(
    (p) => spawnSync('git', ['cat-file', '-e', `${sha}:${p}`], { cwd: PROJECT_ROOT }).status === 0,
  );
  const archive = execFileSync('git', ['archive', sha, ...paths], { cwd: PROJECT_ROOT, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  const preload = ['src/kernel/preload.js', 'src/kernel-preload.js']
    .map((file) => path.join(dir, file))
    .find((file) => fs.existsSync(file));
  if (!preload) throw new Error(`${ref} has no kernel preload`);
  // Without this checkout's V8 flags, which src/kernelspec.ts names since they came (REFs before them
  // ran without): the kernel as started then.
  const argv = kernelSpec().argv.filter((arg) => !KERNEL_V8_FLAGS.includes(arg) || !flaglessAt(sha));
  argv[argv.indexOf('--require') + 1] = preload;
  return argv;
}

/** Whether the kernelspec at `sha` named none of KERNEL_V8_FLAGS (it predates them). */
function flaglessAt(sha: string): boolean {
  const spec = execFileSync('git', ['show', `${sha}:src/kernelspec.ts`], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  return !spec.includes('KERNEL_V8_FLAGS');
}

async function once(contestant: Contestant, record: (measure: string, seconds: number) => void) {
  const started = performance.now();
  const kernel = await KernelClient.start({ argv: contestant.argv, cwd: contestant.cwd });
  try {
    record('ready wall', (performance.now() - started) / 1000);
    record('ready cpu', cpuSeconds(kernel.pid));
    if (!contestant.firstCell) return;
    const cellStarted = performance.now();
    const cpuBefore = cpuSeconds(kernel.pid);
    const outcome = await kernel.execute(FIRST_CELL, { onIopub: () => {} });
    if (outcome.status !== 'ok')
      throw new Error(`${contestant.name}: the first cell ended ${outcome.status}`);
    record('first cell wall', (performance.now() - cellStarted) / 1000);
    record('first cell cpu', cpuSeconds(kernel.pid) - cpuBefore);
  } finally {
    await kernel.shutdown();
  }
}

export async function benchKernelStart(repeats: number, baseline?: string): Promise<KernelStartTimes> {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-bench-outside-'));
  const notebooks = path.join(PROJECT_ROOT, 'notebooks');
  const argv = kernelSpec().argv;
  const contestants: Contestant[] = [
    { name: 'outside the project', cwd: outside, argv, firstCell: false },
    { name: 'notebooks/', cwd: notebooks, argv, firstCell: true },
  ];
  if (baseline !== undefined) {
    contestants.push({
      name: `notebooks/ @${baseline}`,
      cwd: notebooks,
      argv: baselineArgv(baseline),
      firstCell: true,
    });
  }
  const seconds: KernelStartTimes['seconds'] = {};
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const contestant of contestants) {
        const times = (seconds[contestant.name] ??= {});
        await once(contestant, (measure, value) => (times[measure] ??= []).push(value));
      }
    }
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
  }
  return { seconds };
}

/** Medians by contestant, and the ratio of each to the kernel outside the project. */
export function formatKernelStart({ seconds }: KernelStartTimes): string {
  const measures = ['ready wall', 'ready cpu', 'first cell wall', 'first cell cpu'];
  const base = seconds['outside the project'];
  const lines = [`kernel start (median s; × outside the project)`, ['', ...measures].join(' | ')];
  for (const [name, times] of Object.entries(seconds)) {
    const cells = measures.map((measure) => {
      const value = times[measure] ? median(times[measure]) : NaN;
      if (Number.isNaN(value)) return '-';
      const against = base?.[measure] ? median(base[measure]) : NaN;
      return Number.isNaN(against)
        ? value.toFixed(2)
        : `${value.toFixed(2)} (${(value / against).toFixed(2)}×)`;
    });
    lines.push([name, ...cells].join(' | '));
  }
  return lines.join('\n');
}
