/** Summaries (median, min–max over processes) and the printed table of `npm run bench`. */
import type { ChildReport } from './child';

/** What each sample measures and how to print it. */
const METRICS: { key: string; label: string; unit: 'µs' | 'ms' | 's' | 'MB'; scale: number }[] = [
  { key: 'scratch_cold', label: 'scratch step, cold (1st run in process)', unit: 'µs', scale: 1e6 },
  { key: 'scratch_warm', label: 'scratch step, warm', unit: 'µs', scale: 1e6 },
  { key: 'scratch_plain_warm', label: 'scratch step, warm, plain tfjs', unit: 'µs', scale: 1e6 },
  { key: 'concise_minimize_first', label: 'concise 3 epochs, minimize, 1st run', unit: 'ms', scale: 1e3 },
  { key: 'concise_minimize', label: 'concise 3 epochs, minimize, warm', unit: 'ms', scale: 1e3 },
  { key: 'concise_plain', label: 'concise 3 epochs, minimize, plain tfjs', unit: 'ms', scale: 1e3 },
  { key: 'concise_fit', label: 'concise 3 epochs, model.fit, warm', unit: 'ms', scale: 1e3 },
  { key: 'vectorise_loop', label: 'add 1e5 element by element', unit: 'ms', scale: 1e3 },
  { key: 'vectorise_once_cold', label: 'add 1e5 at once, 1st time', unit: 'µs', scale: 1e6 },
  { key: 'vectorise_once', label: 'add 1e5 at once, warm', unit: 'µs', scale: 1e6 },
  { key: 'scale_epoch', label: 'SGD epoch n=1e6 d=100 batch 1000', unit: 's', scale: 1 },
  {
    key: 'closed_form',
    label: 'closed form, normal eq. (d2l.lstsq; torch solve(AᵀA, Aᵀy))',
    unit: 's',
    scale: 1,
  },
  { key: 'closed_form_lstsq', label: 'closed form, QR (torch.linalg.lstsq)', unit: 's', scale: 1 },
  { key: 'scratch_cold_cpu', label: 'CPU time: scratch step, cold', unit: 'µs', scale: 1e6 },
  { key: 'scratch_warm_cpu', label: 'CPU time: scratch step, warm', unit: 'µs', scale: 1e6 },
  { key: 'concise_minimize_cpu', label: 'CPU time: concise, minimize, warm', unit: 'ms', scale: 1e3 },
  { key: 'concise_fit_cpu', label: 'CPU time: concise, model.fit, warm', unit: 'ms', scale: 1e3 },
  { key: 'scale_epoch_cpu', label: 'CPU time: SGD epoch n=1e6', unit: 's', scale: 1 },
  { key: 'closed_form_cpu', label: 'CPU time: closed form (normal eq.)', unit: 's', scale: 1 },
  { key: 'closed_form_lstsq_cpu', label: 'CPU time: closed form (lstsq)', unit: 's', scale: 1 },
  { key: 'notebooks', label: 'notebooks, total run time', unit: 's', scale: 1 },
  { key: 'first_op', label: 'process start to first op', unit: 's', scale: 1 },
  { key: 'peak_rss_small', label: 'peak RSS, small cases', unit: 'MB', scale: 1 },
  { key: 'peak_rss_scale', label: 'peak RSS, n=1e6 cases', unit: 'MB', scale: 1 },
];

export interface Stat {
  median: number;
  min: number;
  max: number;
  /** Number of processes the figure comes from. */
  n: number;
}

export interface Summary {
  runners: string[];
  /** metric → runner → statistics over processes, in seconds (or MB). */
  stats: Record<string, Record<string, Stat>>;
  /** runner → case → the largest growth of numTensors over one run of the case. */
  leaks: Record<string, Record<string, number>>;
  /** runner → case → the largest max |w − true_w| seen. */
  errors: Record<string, Record<string, number>>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stat(xs: number[]): Stat {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

export function summarise(
  runners: string[],
  reports: ChildReport[],
  notebookTimes: Record<string, number[]>,
): Summary {
  // Per process first (the median of its warm runs), then across processes.
  const perProcess: Record<string, Record<string, number[]>> = {};
  const push = (key: string, runner: string, value: number): void => {
    ((perProcess[key] ??= {})[runner] ??= []).push(value);
  };
  const leaks: Summary['leaks'] = {};
  const errors: Summary['errors'] = {};
  for (const r of reports) {
    for (const [key, xs] of Object.entries(r.samples)) push(key, r.backend, median(xs));
    if (r.group === 'small') push('first_op', r.backend, r.first_op);
    push(r.group === 'small' ? 'peak_rss_small' : 'peak_rss_scale', r.backend, r.peak_rss_mb);
    for (const [name, [before, after]] of Object.entries(r.tensors)) {
      const l = (leaks[r.backend] ??= {});
      l[name] = Math.max(l[name] ?? 0, after - before);
    }
    for (const [name, e] of Object.entries(r.errors)) {
      const m = (errors[r.backend] ??= {});
      m[name] = Math.max(m[name] ?? 0, e);
    }
  }
  for (const [runner, xs] of Object.entries(notebookTimes)) for (const x of xs) push('notebooks', runner, x);
  const stats: Summary['stats'] = {};
  for (const [key, byRunner] of Object.entries(perProcess)) {
    stats[key] = {};
    for (const [runner, xs] of Object.entries(byRunner)) stats[key][runner] = stat(xs);
  }
  return { runners, stats, leaks, errors };
}

function fmt(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function ratio(a: Stat | undefined, b: Stat | undefined): string {
  return a === undefined || b === undefined ? '' : `${(a.median / b.median).toFixed(2)}×`;
}

const isTorch = (runner: string): boolean => runner.startsWith('pytorch');

/** The PyTorch with the smallest median on a row (lower is better on every row). */
function fasterTorch(byRunner: Record<string, Stat>): Stat | undefined {
  const torches = Object.entries(byRunner).filter(([r]) => isTorch(r));
  return torches.sort(([, a], [, b]) => a.median - b.median)[0]?.[1];
}

/** A Markdown table: median (min–max) per runner, and ratios of medians measured in this run. */
export function formatTable(summary: Summary, notes: string[]): string {
  const mains = summary.runners.filter((r) => !isTorch(r) && !r.includes('@'));
  const baselines = summary.runners.filter((r) => r.includes('@'));
  const withTorch = summary.runners.some(isTorch);
  const ratioCols = [
    ...(mains.includes('wasm') && mains.includes('cpu') ? [['wasm', 'cpu']] : []),
    ...baselines.map((r) => [r.split('@')[0], r]),
  ];
  const header = [
    'case',
    'unit',
    ...summary.runners,
    ...(withTorch ? mains.map((b) => `${b} / faster PyTorch`) : []),
    ...ratioCols.map(([a, b]) => `${a} / ${b}`),
  ];
  const rows = [header, header.map(() => '---')];
  for (const m of METRICS) {
    const byRunner = summary.stats[m.key];
    if (byRunner === undefined) continue;
    const cells = summary.runners.map((r) => {
      const s = byRunner[r];
      if (s === undefined) return '–';
      const [med, lo, hi] = [s.median, s.min, s.max].map((x) => fmt(x * m.scale));
      return s.n > 1 ? `${med} (${lo}–${hi})` : med;
    });
    const torch = fasterTorch(byRunner);
    rows.push([
      m.label,
      m.unit,
      ...cells,
      ...(withTorch ? mains.map((b) => ratio(byRunner[b], torch)) : []),
      ...ratioCols.map(([a, b]) => ratio(byRunner[a], byRunner[b])),
    ]);
  }
  const lines = rows.map((r) => `| ${r.join(' | ')} |`);
  const leaky = Object.entries(summary.leaks).flatMap(([runner, byCase]) =>
    Object.entries(byCase)
      .filter(([, n]) => n !== 0)
      .map(([name, n]) => `${runner} ${name} +${n}`),
  );
  lines.push('', `tensor count growth per case run: ${leaky.length === 0 ? 'none' : leaky.join(', ')}`);
  const errs = Object.entries(summary.errors).map(
    ([runner, byCase]) =>
      `${runner}: ${Object.entries(byCase)
        .map(([k, e]) => `${k} ${e.toExponential(1)}`)
        .join(', ')}`,
  );
  lines.push(`max |w − true_w| after training: ${errs.join('; ')}`);
  const helperCost = (key: string, plain: string): string =>
    mains.map((b) => `${b} ${ratio(summary.stats[key]?.[b], summary.stats[plain]?.[b]) || '–'}`).join(', ');
  lines.push(
    `d2l helpers / plain tfjs, same process: 3.2 step ${helperCost('scratch_warm', 'scratch_plain_warm')}; ` +
      `3.3 loop ${helperCost('concise_minimize', 'concise_plain')}`,
  );
  lines.push('median (min–max) over fresh processes; ratios are of medians from this run');
  lines.push('CPU time = user + system time of the process, steadier than wall time on a busy machine');
  for (const note of notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
