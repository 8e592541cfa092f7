/**
 * One benchmark process: `tsx bench/child.ts BACKEND GROUP [NAME]` (NAME labels the report, e.g.
 * `wasm@abc123` for a baseline build). Runs one group of cases on one backend
 * in a fresh process (so the first run is truly cold) and prints one JSON line on stdout.
 *
 * Groups: `small` (scratch cold then warm, concise custom loop and model.fit, vectorise),
 * `epoch` (the n = 1e6 SGD epoch), `closed` (the n = 1e6 closed form).
 */
import type { BackendName } from 'd2l';
import { d2l } from './d2l';
import { conciseFit, conciseMinimize, concisePlain, scale, scratch, scratchPlain, vectorise } from './cases';

/**
 * Runs per process. V8 needs about 3000 small steps before tfjs's code is fully compiled, so warm
 * figures skip the first runs (JIT_RUNS); bench/pytorch_reference.py uses the same counts.
 */
const SCRATCH_RUNS = 20;
const CONCISE_RUNS = 12;
const FIT_RUNS = 5;
const JIT_RUNS = 10;

export interface ChildReport {
  backend: string;
  group: string;
  /** Seconds from process start to the first tensor op's result on the host. */
  first_op: number;
  /** Named samples in seconds (per step for loops); several per name when a case repeats. */
  samples: Record<string, number[]>;
  /** numTensors before and after each case. */
  tensors: Record<string, [number, number]>;
  /** max |w − true_w| per case, to show that the loops still learn. */
  errors: Record<string, number>;
  peak_rss_mb: number;
  /** PyTorch's intra-op threads (only in bench/pytorch_reference.py's reports). */
  threads?: number;
}

async function main(): Promise<void> {
  const [backend, group, name = backend] = process.argv.slice(2);
  await d2l.useBackend(backend as BackendName);
  d2l.seed(42);
  d2l.tf.tidy(() => d2l.tf.add(d2l.tf.ones([2]), 1).dataSync());
  const report: ChildReport = {
    backend: name,
    group,
    first_op: performance.now() / 1000,
    samples: {},
    tensors: {},
    errors: {},
    peak_rss_mb: 0,
  };
  const add = (name: string, value: number): void => {
    (report.samples[name] ??= []).push(value);
  };
  async function run<T>(name: string, f: () => T | Promise<T>): Promise<T> {
    const before = d2l.tf.memory().numTensors;
    const result = await f();
    report.tensors[name] = [before, d2l.tf.memory().numTensors];
    return result;
  }
  if (group === 'small') {
    const cold = await run('scratch', scratch);
    add('scratch_cold', cold.seconds / cold.steps);
    add('scratch_cold_cpu', cold.cpu / cold.steps);
    // Each warm run of a d2l loop is followed by the same loop in plain tfjs (bench/cases.ts), in the
    // same process and JIT state, so that d2l ÷ plain measures what the helpers cost.
    for (let i = 1; i < SCRATCH_RUNS; i++) {
      const r = await run('scratch', scratch);
      const p = await run('scratch_plain', scratchPlain);
      if (i >= JIT_RUNS) {
        add('scratch_warm', r.seconds / r.steps);
        add('scratch_warm_cpu', r.cpu / r.steps);
        add('scratch_plain_warm', p.seconds / p.steps);
      }
      report.errors.scratch = r.error;
      report.errors.scratch_plain = p.error;
    }
    for (let i = 0; i < CONCISE_RUNS; i++) {
      const r = await run('concise_minimize', conciseMinimize);
      const p = await run('concise_plain', concisePlain);
      if (i === 0) add('concise_minimize_first', r.seconds);
      if (i >= CONCISE_RUNS / 2) {
        add('concise_minimize', r.seconds);
        add('concise_minimize_cpu', r.cpu);
        add('concise_plain', p.seconds);
      }
      report.errors.concise_minimize = r.error;
      report.errors.concise_plain = p.error;
    }
    for (let i = 0; i < FIT_RUNS; i++) {
      const r = await run('concise_fit', conciseFit);
      if (i >= 2) add('concise_fit', r.seconds);
      if (i >= 2) add('concise_fit_cpu', r.cpu);
      report.errors.concise_fit = r.error;
    }
    const v = await run('vectorise', () => vectorise());
    add('vectorise_loop', v.loop);
    add('vectorise_once_cold', v.once);
    for (let i = 0; i < 20; i++) add('vectorise_once', (await run('vectorise', () => vectorise())).once);
  } else if (group === 'epoch' || group === 'closed') {
    const r = await run(group, () => scale({ epoch: group === 'epoch', closed: group === 'closed' }));
    if (r.epoch !== undefined) add('scale_epoch', r.epoch);
    if (r.epoch_cpu !== undefined) add('scale_epoch_cpu', r.epoch_cpu);
    if (r.closed_form !== undefined) add('closed_form', r.closed_form);
    if (r.closed_form_cpu !== undefined) add('closed_form_cpu', r.closed_form_cpu);
    report.errors[group] = r.error;
  } else {
    throw new Error(`unknown group '${group}'; expected small, epoch or closed`);
  }
  report.peak_rss_mb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
