/**
 * Where each cell of 3.2 spends its time in the d2l-ts kernel: runs notebooks/3.2-… (then a few new
 * one-line cells) in a kernel started with `--cpu-prof`, and splits each cell's samples (between the
 * client sending its request and receiving its reply and idle status) by what the sampled stack was in:
 * the cell's compile (converter.js, TypeScript), its own code, TensorFlow.js, d2l's figures (vega,
 * resvg), the kernel around it (tslab, src/kernel/, zeromq), garbage collection, or idle.
 *
 *   npx tsx bench/kernel-cells.ts [--runs N] [--top K] [--env NAME=VALUE]... [--node-flag FLAG]...
 *                                 [--save DIR] [--pause MS]
 *
 * Per cell: wall ms (median of the runs) and the ms of samples per category (median). `--top` lists
 * the K heaviest functions (self time) of the plot and training cells. --node-flag passes V8/Node flags
 * to the kernel (e.g. --max-semi-space-size=16), --env sets its environment; --save keeps each run's
 * profile (open it in Chrome's DevTools) and its cells' windows (µs, the profile's clock); --pause
 * waits before each cell after the first, as a learner reading (what the kernel does then is not timed).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelSpec } from '../src/kernelspec';
import { KernelClient } from '../src/runner/kernel';
import { LESSON_NOTEBOOK, procStatusMB, typescriptLesson, type LessonCell } from './kernel-lesson';
import { median } from './report';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const CATEGORIES = [
  'compile',
  'cell',
  'tf',
  'figure',
  'd2l',
  'kernel',
  'gc',
  'idle',
  'program',
  'other',
] as const;
type Category = (typeof CATEGORIES)[number];

/** The category of one frame, or undefined to look at its caller. */
function frameCategory({ functionName, url }: ProfileNode['callFrame']): Category | undefined {
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program';
  if (/converter\.js|typescript/.test(url)) return 'compile';
  if (/vega|resvg|d2l\/dist\/figure\/|d2l\/src\/figure\//.test(url)) return 'figure';
  if (/@tensorflow/.test(url)) return 'tf';
  if (/d2l\/(dist|src)\//.test(url)) return 'd2l';
  if (/^In\[\d+\]$/.test(url)) return 'cell';
  if (/src\/kernel\/|tslab|zeromq/.test(url)) return 'kernel';
  return undefined;
}

interface Window {
  label: string;
  start: number; // µs, CLOCK_MONOTONIC (the profile's clock)
  end: number;
}

/** Per window: ms of samples by category, and self ms by function (for --top). */
export function splitProfile(profile: Profile, windows: Window[]) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const category = new Map<number, Category>();
  const categoryOf = (id: number): Category => {
    const known = category.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const found = frameCategory(node.callFrame) ?? (up === undefined ? 'other' : categoryOf(up));
    category.set(id, found);
    return found;
  };
  const result = windows.map(() => ({
    ms: Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>,
    self: new Map<string, number>(),
  }));
  let t = profile.startTime;
  let w = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    // A sample stands for the interval up to the next one.
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    while (w < windows.length && t > windows[w].end) w++;
    if (w === windows.length) break;
    if (t < windows[w].start) continue;
    const id = profile.samples[i];
    result[w].ms[categoryOf(id)] += dt;
    const { functionName, url } = byId.get(id)!.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '')}`;
    result[w].self.set(key, (result[w].self.get(key) ?? 0) + dt);
  }
  return result;
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Args {
  runs: number;
  top: number;
  env: Record<string, string>;
  nodeFlags: string[];
  /** Keep each run's profile and cell windows here (for a closer look). */
  save?: string;
  /** Milliseconds to wait before each cell after the first, as a learner reading the lesson. */
  pause: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 1, top: 0, env: {}, nodeFlags: [], pause: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--top') args.top = Number(argv[++i]);
    else if (a === '--env') {
      const [k, ...v] = argv[++i].split('=');
      args.env[k] = v.join('=');
    } else if (a === '--node-flag') args.nodeFlags.push(argv[++i]);
    else if (a === '--save') args.save = argv[++i];
    else if (a === '--pause') args.pause = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const PROBES = Array.from({ length: 5 }, (_, i) => [
  `1 + ${i}`,
  `const c_${i} = ${i}`,
  `tf.add(true_w, ${i}).dispose()`,
]).flat();

async function once(args: Args, lesson: LessonCell[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-cells-'));
  const argv = kernelSpec().argv;
  argv.splice(1, 0, '--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250', ...args.nodeFlags);
  const kernel = await KernelClient.start({
    argv,
    cwd: path.dirname(LESSON_NOTEBOOK),
    env: { ...process.env, ...args.env },
  });
  const windows: Window[] = [];
  const wall: number[] = [];
  let rss = NaN;
  let peak = NaN;
  try {
    const cells = [
      ...lesson.map((c, i) => ({ label: `${i}:${c.role}`, code: c.code })),
      ...PROBES.map((code) => ({ label: code, code })),
    ];
    for (const [i, { label, code }] of cells.entries()) {
      if (i > 0 && args.pause > 0) await new Promise((resolve) => setTimeout(resolve, args.pause));
      const start = monotonicUs();
      const outcome = await kernel.execute(code, { onIopub: () => {}, timeout: 120 });
      const end = monotonicUs();
      if (outcome.status !== 'ok') throw new Error(`cell ${label} ended ${outcome.status}\n${kernel.log}`);
      windows.push({ label, start, end });
      wall.push((end - start) / 1000);
    }
    rss = procStatusMB(kernel.pid, 'VmRSS');
    peak = procStatusMB(kernel.pid, 'VmHWM');
  } finally {
    await kernel.shutdown(5000);
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`the kernel wrote no profile in ${dir}\n${kernel.log}`);
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Profile;
  if (args.save) {
    fs.mkdirSync(args.save, { recursive: true });
    const stem = path.join(args.save, `run-${Date.now()}`);
    fs.copyFileSync(path.join(dir, file), `${stem}.cpuprofile`);
    fs.writeFileSync(`${stem}.windows.json`, JSON.stringify(windows));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { windows, wall, rss, peak, split: splitProfile(profile, windows) };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const lesson = typescriptLesson();
  const runs: Awaited<ReturnType<typeof once>>[] = [];
  for (let r = 0; r < args.runs; r++) {
    process.stderr.write(`kernel-cells: run ${r + 1}/${args.runs}\n`);
    runs.push(await once(args, lesson));
  }
  const header = ['cell', 'wall', ...CATEGORIES];
  const lines = [header, header.map(() => '---')];
  const fmt = (x: number) => x.toFixed(0);
  runs[0].windows.forEach((w, i) => {
    const label = w.label.split('\n')[0].slice(0, 32).replace(/\|/g, '\\|');
    lines.push([
      label,
      fmt(median(runs.map((r) => r.wall[i]))),
      ...CATEGORIES.map((c) => fmt(median(runs.map((r) => r.split[i].ms[c])))),
    ]);
  });
  console.log(`ms per cell, median of ${args.runs} run(s); samples by category (see bench/kernel-cells.ts)`);
  // Totals over the cells after the first (the first is the kernel's start-up work).
  const after = (xs: number[]) => xs.slice(1).reduce((a, b) => a + b, 0);
  lines.push([
    'sum after the first',
    fmt(median(runs.map((r) => after(r.wall)))),
    ...CATEGORIES.map((c) => fmt(median(runs.map((r) => after(r.split.map((s) => s.ms[c])))))),
  ]);
  console.log(lines.map((l) => `| ${l.join(' | ')} |`).join('\n'));
  const mb = (xs: number[]) => `${fmt(median(xs))} MB`;
  console.log(`VmRSS at the end ${mb(runs.map((r) => r.rss))}, peak ${mb(runs.map((r) => r.peak))}`);
  if (args.top > 0) {
    runs[0].windows.forEach((w, i) => {
      if (!/plot|training/.test(w.label)) return;
      const top = [...runs[0].split[i].self.entries()].sort((a, b) => b[1] - a[1]).slice(0, args.top);
      console.log(`\n${w.label}: heaviest functions (self ms, run 1)`);
      for (const [name, ms] of top) console.log(`  ${ms.toFixed(1).padStart(7)}  ${name}`);
    });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
