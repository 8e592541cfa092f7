/**
 * The kernel's compile of a cell alone, without a kernel or the cells' run: src/kernel/converter.js
 * (and tslab's own converter) converting 3.2's cells in order, each against the declarations the
 * one before produced, then new one-line cells after the lesson (new text each), as the kernel
 * bench sends them. Converters take turns (A B A B), each a fresh one, in one process, from the
 * notebooks' folder (as the kernel runs). Modes:
 *   before converter.js as last session left it: a new program and checker for every cell
 *          (D2L_KERNEL_CHECKER=fresh), tslab's second transpile to CommonJS (D2L_KERNEL_CJS=transpile)
 *   fresh  a new program and checker for every cell, the CommonJS from the one emit
 *   kept   converter.js as the kernel runs it: one checker kept across cells while it can be
 *   tslab  tslab 1.0.22's converter
 * Usage: tsx bench/kernel-converter.ts [--repeats N] [--modes before,kept] [--cells N] [--heap]
 * (--heap: after the lesson, N cells of each probe, the V8 heap after a full GC every 20 cells;
 * run with node --expose-gc, e.g. `node --expose-gc --import tsx bench/kernel-converter.ts --heap`).
 */
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../src/paths';
import { typescriptLesson } from './kernel-lesson';
import { median } from './report';

interface Converted {
  declOutput?: string;
  diagnostics: { messageText: string }[];
}
interface Converter {
  convert(prevDecl: string, src: string): Converted;
  close(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tslab = require('../src/kernel/tslab');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { converterFactory } = require('../src/kernel/converter');
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../src/kernel/types').install(tslab); // the kernel's @types, as its preload installs them

const MODES: Record<string, () => Converter> = {
  before: () => withEnv({ D2L_KERNEL_CHECKER: 'fresh', D2L_KERNEL_CJS: 'transpile' }, create),
  fresh: () => withEnv({ D2L_KERNEL_CHECKER: 'fresh' }, create),
  kept: () => withEnv({}, create),
  tslab: () => tslab.internal('converter').createConverter({}),
};

function create(): Converter {
  return converterFactory(tslab)({});
}

/** `make()` with the converter's switches set as given (and the others unset). */
function withEnv<T>(env: Record<string, string>, make: () => T): T {
  const names = ['D2L_KERNEL_CHECKER', 'D2L_KERNEL_CJS'];
  const saved = names.map((name) => process.env[name]);
  for (const name of names) {
    if (env[name] === undefined) delete process.env[name];
    else process.env[name] = env[name];
  }
  try {
    return make();
  } finally {
    names.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  }
}

const PROBES: [string, (i: number) => string][] = [
  ['new `1 + i`', (i) => `1 + ${i}`],
  ['new `const c_i = i`', (i) => `const c_${i} = ${i}`],
  ['new `tf.add(true_w, i)`', (i) => `tf.add(true_w, ${i}).dispose()`],
];

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

function heapMB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** A CPU profile of the probes (not the lesson), by the inspector, sampling every 100 µs. */
function startProfile(): Session {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 100 });
  session.post('Profiler.start');
  return session;
}

function stopProfile(session: Session, file: string) {
  session.post('Profiler.stop', (err, result) => {
    if (err) throw err;
    fs.writeFileSync(file, JSON.stringify(result.profile));
    session.disconnect();
  });
}

/** One converter through the lesson and the probes: ms per row key. */
function once(
  make: () => Converter,
  newCells: number,
  heap: boolean,
  profile?: string,
): Record<string, number[]> {
  const rows: Record<string, number[]> = {};
  const record = (key: string, ms: number) => (rows[key] ??= []).push(ms);
  const converter = make();
  let decls = '';
  const convert = (src: string): number => {
    const t0 = performance.now();
    const out = converter.convert(decls, src);
    const ms = performance.now() - t0;
    if (out.diagnostics.length > 0) throw new Error(`${src}\n${out.diagnostics.map((d) => d.messageText)}`);
    decls = out.declOutput ?? '';
    return ms;
  };
  for (const cell of typescriptLesson()) {
    const ms = convert(cell.code);
    record(cell.role === 'short' ? 'short' : cell.role, ms);
  }
  if (heap) record('heap after lesson (MB)', heapMB());
  const session = profile === undefined ? undefined : startProfile();
  for (let i = 0; i < newCells; i++) {
    for (const [key, probe] of PROBES) record(key, convert(probe(i)));
    if (heap && (i + 1) % 20 === 0) record('heap (MB)', heapMB());
  }
  if (session !== undefined && profile !== undefined) stopProfile(session, profile);
  converter.close();
  return rows;
}

function main() {
  process.chdir(path.join(PROJECT_ROOT, 'notebooks'));
  const repeats = Number(arg('--repeats', '3'));
  const modes = arg('--modes', 'before,kept').split(',');
  const heap = process.argv.includes('--heap');
  const newCells = Number(arg('--cells', heap ? '200' : '11'));
  const results: Record<string, Record<string, number[][]>> = {};
  for (let r = 0; r < repeats; r++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(k + r) % modes.length];
      process.stderr.write(`converter ${mode}, run ${r + 1}/${repeats}\n`);
      const profile =
        r === 0 && arg('--profile', '') !== '' ? `${arg('--profile', '')}-${mode}.cpuprofile` : undefined;
      for (const [key, xs] of Object.entries(once(MODES[mode], newCells, heap, profile))) {
        ((results[key] ??= {})[mode] ??= []).push(xs);
      }
    }
  }
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const header = ['', ...modes, ...modes.slice(1).map((m) => `${m} / ${modes[0]}`)];
  const lines = [header, header.map(() => '---')];
  for (const [key, byMode] of Object.entries(results)) {
    if (key.startsWith('heap')) continue;
    const medians = modes.map((m) => median((byMode[m] ?? [[NaN]]).flat()));
    const maxes = modes.map((m) => Math.max(...(byMode[m] ?? [[NaN]]).flat()));
    lines.push([
      `${key} (ms), median / max`,
      ...modes.map((_, i) => `${fmt(medians[i])} / ${fmt(maxes[i])}`),
      ...modes.slice(1).map((_, i) => `${(medians[i + 1] / medians[0]).toFixed(2)}×`),
    ]);
  }
  if (heap) {
    // The heap after a full GC: after the lesson, then every 20 new cells (of each probe), per run.
    for (const mode of modes) {
      const runs = (results['heap after lesson (MB)']?.[mode] ?? []).map((after, r) => [
        ...after,
        ...(results['heap (MB)']?.[mode]?.[r] ?? []),
      ]);
      for (const run of runs) console.log(`heap MB, ${mode}: ${run.map((x) => x.toFixed(0)).join(' ')}`);
    }
    console.log('');
  }
  console.log(`converter only, ${repeats} runs of each, A B A B; medians over every cell of every run\n`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
}

main();
