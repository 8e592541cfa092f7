/**
 * The kernel as a learner feels it, side by side: the d2l-ts kernel running
 * notebooks/3.2-linear-regression-scratch.ipynb, and Python's ipykernel running the book's PyTorch 3.2
 * (bench/lesson_3_2.py), both started and driven by the runner's KernelClient, taking turns run by run
 * (A B A B, a fresh kernel each). Per run: kernel ready (start → kernel_info_reply), each cell of the
 * lesson, then after the lesson new one-line cells (new text each: the same text again is not rebuilt
 * and measures nothing), completion on new text, the plot cell again, and the kernel's resident memory
 * (VmRSS after the lesson and at the end, and its peak, VmHWM). The kernel's CPU time (until ready, the
 * first cell, the whole lesson) is steadier than wall time on a busy machine. With a baseline ref, the d2l-ts kernel as it was there
 * (its src/, as bench/kernel-start.ts extracts it) takes its turn too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelSpec } from '../src/kernelspec';
import { PROJECT_ROOT } from '../src/paths';
import { KernelClient } from '../src/runner/kernel';
import { readNotebook } from '../src/runner/notebook';
import type { Message } from '../src/runner/wire';
import { baselineArgv, cpuSeconds } from './kernel-start';
import { median } from './report';

export const LESSON_NOTEBOOK = path.join(PROJECT_ROOT, 'notebooks', '3.2-linear-regression-scratch.ipynb');
export const LESSON_PYTHON = path.join(PROJECT_ROOT, 'bench', 'lesson_3_2.py');
export const IPYKERNEL = 'ipykernel';
export const D2L_TS = 'd2l-ts';

export type Role = 'first' | 'plot' | 'training' | 'short';
export interface LessonCell {
  role: Role;
  code: string;
}

/** One-line cells sent after the lesson, `i` making each text new; per language. */
interface Probe {
  key: string;
  ts: (i: number) => string;
  python: (i: number) => string;
}
const PROBES: Probe[] = [
  { key: 'new `1 + i`', ts: (i) => `1 + ${i}`, python: (i) => `1 + ${i}` },
  { key: 'new `const c_i = i`', ts: (i) => `const c_${i} = ${i}`, python: (i) => `c_${i} = ${i}` },
  {
    key: 'new `tf.add(true_w, i)`',
    ts: (i) => `tf.add(true_w, ${i}).dispose()`,
    python: (i) => `torch.add(true_w, ${i})`,
  },
];
/** Completion requests on new text (the cursor at the end, after a `.`). */
const COMPLETION = { ts: (i: number) => `const q_${i} = true_w.`, python: (i: number) => `q_${i} = true_w.` };
const NEW_CELLS = 11;
const COMPLETIONS = 5;
const PLOTS_AGAIN = 3;

/** The TypeScript lesson: the notebook's code cells, by role (the first, the d2l.plot one, the Animator one). */
export function typescriptLesson(file = LESSON_NOTEBOOK): LessonCell[] {
  const code = readNotebook(file)
    .cells.filter((c) => c.cell_type === 'code' && c.source.trim() !== '')
    .map((c) => c.source);
  const cells = code.map((source, i): LessonCell => {
    const role =
      i === 0
        ? 'first'
        : /\bd2l\.plot\(/.test(source)
          ? 'plot'
          : /new d2l\.Animator/.test(source)
            ? 'training'
            : 'short';
    return { role, code: source };
  });
  checkRoles(cells, file);
  return cells;
}

/** The Python lesson: bench/lesson_3_2.py split at its `# %% ROLE` lines. */
export function pythonLesson(file = LESSON_PYTHON): LessonCell[] {
  const cells: LessonCell[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const marker = /^# %% (first|plot|training|short)\s*$/.exec(line);
    if (marker) cells.push({ role: marker[1] as Role, code: '' });
    else if (cells.length > 0) cells[cells.length - 1].code += `${line}\n`;
  }
  for (const cell of cells) cell.code = cell.code.trim();
  checkRoles(cells, file);
  return cells;
}

function checkRoles(cells: LessonCell[], file: string): void {
  for (const role of ['first', 'plot', 'training'] as const) {
    if (cells.filter((c) => c.role === role).length !== 1) {
      throw new Error(`${file}: expected exactly one '${role}' cell of the lesson`);
    }
  }
}

interface Contestant {
  name: string;
  argv: string[];
  lesson: LessonCell[];
  language: 'ts' | 'python';
}

/** Per row key, per contestant: one value per run (seconds, or MB for memory). */
export type Rows = Record<string, Record<string, number[]>>;

export interface KernelLessonResult {
  contestants: string[];
  rows: Rows;
  /** Every cell's seconds, by contestant, one list per run (for the JSON). */
  cells: Record<string, number[][]>;
  /** The d2l-ts kernel's first output line (its backend), ipykernel's torch version, ... */
  about: Record<string, string>;
  notes: string[];
}

/** `key` of /proc/PID/status in MB (VmRSS, VmHWM), or NaN off Linux. */
export function procStatusMB(pid: number | undefined, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return kb ? Number(kb[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function outputText(messages: Message[]): string {
  return messages
    .map((m) => {
      const c = m.content as Record<string, unknown>;
      if (m.header.msg_type === 'stream') return String(c.text);
      if (m.header.msg_type === 'error') return `${String(c.ename)}: ${String(c.evalue)}`;
      return '';
    })
    .join('');
}

async function timedCell(
  kernel: KernelClient,
  who: string,
  code: string,
): Promise<{ s: number; out: string }> {
  const messages: Message[] = [];
  const t0 = performance.now();
  const outcome = await kernel.execute(code, { onIopub: (m) => messages.push(m), timeout: 120 });
  const s = (performance.now() - t0) / 1000;
  if (outcome.status !== 'ok') {
    throw new Error(`${who}: cell ended ${outcome.status}:\n${code}\n${outputText(messages)}\n${kernel.log}`);
  }
  return { s, out: outputText(messages) };
}

async function timedCompletion(kernel: KernelClient, code: string): Promise<{ s: number; matches: number }> {
  const t0 = performance.now();
  const reply = await kernel.request('complete_request', { code, cursor_pos: code.length }).reply;
  const s = (performance.now() - t0) / 1000;
  const matches = (reply.content as { matches?: unknown[] }).matches?.length ?? 0;
  return { s, matches };
}

/** One run of one contestant: a fresh kernel through the lesson and the probes after it. */
async function once(
  c: Contestant,
  record: (key: string, value: number) => void,
  about: Record<string, string>,
) {
  const started = performance.now();
  const kernel = await KernelClient.start({ argv: c.argv, cwd: path.dirname(LESSON_NOTEBOOK) });
  const cellTimes: number[] = [];
  try {
    const ready = (performance.now() - started) / 1000;
    record('ready', ready);
    record('ready cpu', cpuSeconds(kernel.pid));
    const shorts: number[] = [];
    for (const cell of c.lesson) {
      const cpuBefore = cpuSeconds(kernel.pid);
      const { s, out } = await timedCell(kernel, c.name, cell.code);
      if (cell.role === 'first') record('first cpu', cpuSeconds(kernel.pid) - cpuBefore);
      cellTimes.push(s);
      if (cell.role === 'first') {
        record('first', s);
        record('first result', ready + s);
        if (c.language === 'ts') about[c.name] = out.trim().split('\n')[0] ?? '';
      } else if (cell.role === 'short') shorts.push(s);
      else record(cell.role, s);
    }
    record('lesson cpu', cpuSeconds(kernel.pid));
    record('short median', median(shorts));
    record('short max', Math.max(...shorts));
    record('rss', procStatusMB(kernel.pid, 'VmRSS'));
    const probe = c.language === 'ts' ? (p: Probe) => p.ts : (p: Probe) => p.python;
    const samples: Record<string, number[]> = {};
    for (let i = 0; i < NEW_CELLS; i++) {
      for (const p of PROBES) {
        (samples[p.key] ??= []).push((await timedCell(kernel, c.name, probe(p)(i))).s);
      }
    }
    for (const [key, xs] of Object.entries(samples)) record(key, median(xs));
    const completions: number[] = [];
    for (let i = 0; i < COMPLETIONS; i++) {
      const { s, matches } = await timedCompletion(
        kernel,
        (c.language === 'ts' ? COMPLETION.ts : COMPLETION.python)(i),
      );
      if (matches === 0) about[`${c.name} completion`] = 'no matches for `true_w.`';
      completions.push(s);
    }
    record('completion', median(completions));
    const plot = c.lesson.find((cell) => cell.role === 'plot')!.code;
    const comment = c.language === 'ts' ? '//' : '#';
    const again: number[] = [];
    for (let i = 0; i < PLOTS_AGAIN; i++) {
      again.push((await timedCell(kernel, c.name, `${plot}\n${comment} again ${i}`)).s);
    }
    record('plot again', median(again));
    record('rss end', procStatusMB(kernel.pid, 'VmRSS'));
    record('peak rss', procStatusMB(kernel.pid, 'VmHWM'));
  } finally {
    await kernel.shutdown();
  }
  return cellTimes;
}

/** A Python with torch and ipykernel (the bench's venv), or undefined (the baseline is skipped). */
export async function benchKernelLesson(
  repeats: number,
  python: string | undefined,
  baseline?: string,
  progress: (text: string) => void = () => {},
): Promise<KernelLessonResult> {
  const contestants: Contestant[] = [
    { name: D2L_TS, argv: kernelSpec().argv, lesson: typescriptLesson(), language: 'ts' },
  ];
  const notes: string[] = [];
  if (python !== undefined) {
    contestants.push({
      name: IPYKERNEL,
      argv: [python, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      lesson: pythonLesson(),
      language: 'python',
    });
  } else notes.push('ipykernel + PyTorch skipped: no Python with torch and ipykernel (see bench/index.ts)');
  if (baseline !== undefined) {
    contestants.push({
      name: `${D2L_TS}@${baseline}`,
      argv: baselineArgv(baseline),
      lesson: typescriptLesson(),
      language: 'ts',
    });
  }
  const rows: Rows = {};
  const cells: KernelLessonResult['cells'] = {};
  const about: Record<string, string> = {};
  for (let r = 0; r < repeats; r++) {
    // Rotate so that no kernel always goes first.
    for (let k = 0; k < contestants.length; k++) {
      const c = contestants[(k + r) % contestants.length];
      progress(`bench kernel lesson: ${c.name}, run ${r + 1}/${repeats}`);
      const times = await once(c, (key, value) => ((rows[key] ??= {})[c.name] ??= []).push(value), about);
      (cells[c.name] ??= []).push(times);
    }
  }
  return { contestants: contestants.map((c) => c.name), rows, cells, about, notes };
}

/** The rows of the printed table, in order: key, label, unit. */
const ROWS: [string, string, 's' | 'ms' | 'MB'][] = [
  ['ready', 'kernel ready (start → kernel_info_reply)', 's'],
  ['first', 'first cell (imports; `await d2l.ready()` / `import torch`)', 's'],
  ['first result', 'first result (the two above)', 's'],
  ['ready cpu', 'CPU time (user + system) of the kernel until ready', 's'],
  ['first cpu', 'CPU time of the first cell', 's'],
  ['lesson cpu', 'CPU time of the kernel from its start to the end of the lesson', 's'],
  ['short median', 'short cells of 3.2 (not first, plot, training): median', 'ms'],
  ['short max', 'short cells of 3.2: maximum', 'ms'],
  ['new `1 + i`', 'after the lesson, 11 new cells `1 + i`: median', 'ms'],
  ['new `const c_i = i`', 'new `const c_i = i` (py `c_i = i`): median', 'ms'],
  ['new `tf.add(true_w, i)`', 'new `tf.add(true_w, i).dispose()` / `torch.add(true_w, i)`: median', 'ms'],
  ['completion', 'completion on new text (`q_i = true_w.`): median of 5', 'ms'],
  ['plot', 'the plot cell', 'ms'],
  ['training', 'the training cell', 'ms'],
  ['plot again', 'the plot cell again, warm (new text): median of 3', 'ms'],
  ['rss', 'resident memory after the lesson (VmRSS)', 'MB'],
  ['rss end', 'resident memory at the end (after the cells above)', 'MB'],
  ['peak rss', 'peak resident memory (VmHWM)', 'MB'],
];

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/**
 * A Markdown table: per contestant the median over runs (min–max when more than one), then each
 * d2l-ts kernel's ratio to ipykernel, and to the baseline when there is one.
 */
export function formatKernelLesson(result: KernelLessonResult): string {
  const { contestants, rows } = result;
  const ours = contestants.filter((c) => c !== IPYKERNEL);
  const ratios: [string, string][] = [
    ...(contestants.includes(IPYKERNEL) ? ours.map((c): [string, string] => [c, IPYKERNEL]) : []),
    ...ours.filter((c) => c !== D2L_TS).map((c): [string, string] => [D2L_TS, c]),
  ];
  const header = ['', 'unit', ...contestants, ...ratios.map(([a, b]) => `${a} / ${b}`)];
  const lines = [header, header.map(() => '---')];
  for (const [key, label, unit] of ROWS) {
    const byContestant = rows[key];
    if (byContestant === undefined) continue;
    const scale = unit === 'ms' ? 1000 : 1;
    const cells = contestants.map((c) => {
      const xs = (byContestant[c] ?? []).map((x) => x * scale);
      if (xs.length === 0) return '–';
      return xs.length > 1
        ? `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`
        : fmt(median(xs));
    });
    const ratioCells = ratios.map(([a, b]) => {
      const [x, y] = [byContestant[a], byContestant[b]];
      return x?.length && y?.length ? `${(median(x) / median(y)).toFixed(2)}×` : '';
    });
    lines.push([label, unit, ...cells, ...ratioCells]);
  }
  const runs = Math.max(0, ...Object.values(result.cells).map((xs) => xs.length));
  const text = [
    `kernel experience: 3.2, median (min–max) of ${runs} runs each, a fresh kernel per run, A B A B`,
    '',
    ...lines.map((l) => `| ${l.join(' | ')} |`),
    '',
    ...Object.entries(result.about).map(([k, v]) => `${k}: ${v}`),
    ...result.notes.map((n) => `note: ${n}`),
  ];
  return text.join('\n');
}
