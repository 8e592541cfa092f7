/**
 * The normal equations XᵀX and Xᵀy of `lstsq`, on the host with the WebAssembly SIMD kernels of
 * kernels/gram.wat, on every core: TensorFlow.js's wasm backend runs single-threaded in Node, and
 * its matMul cannot use the symmetry of XᵀX, so this is about 5× faster on two cores.
 *
 * The main thread copies rows of X and y, a chunk at a time, into memory shared with helper threads
 * (worker_threads); every thread, the main one included, claims staged chunks and adds their products
 * into its own float64 accumulators; the main thread then sums those. A helper that is slow to start
 * simply claims fewer chunks, so nothing waits for it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  addChunk,
  Control,
  instantiate,
  layout,
  markDone,
  sharedMemory,
  type Kernels,
  type Layout,
  type SharedMemory,
} from './gram-shared';
import type { HelperData } from './gram-worker';
import type { HostArray } from './host';

/** Rows per chunk: about 128 KB of them, which stay in the L2 cache while a chunk's tiles read them. */
const CHUNK_BYTES = 1 << 17;
/** Rows staged per round: 32 MB, so that memory stays small whatever the size of X. */
const ROUND_BYTES = 1 << 25;
/** Multiply-adds (n·d²/2) below which a helper thread costs more to start (~20 ms) than it saves. */
const HELPER_WORK = 1e8;
/** Helpers beyond this many would mostly wait for the main thread's copying. */
const MAX_HELPERS = 3;
/** A chunk takes about a millisecond; a helper that finishes none for this long has failed. */
const STALL_MS = 30000;
const HELPER_SCRIPT = path.join(__dirname, 'gram-worker.js');

/**
 * XᵀX (d×d) and Xᵀy (d×k), row-major float64, of X [n, d] and y [n, k] given as host values
 * (functions, because wasm memory moves: see host.ts). Products of float32 values are summed in
 * float32 over a chunk of rows and in float64 across chunks.
 */
export function normalEquations(
  x: () => HostArray,
  y: () => HostArray,
  n: number,
  d: number,
  k: number,
): [Float64Array, Float64Array] {
  const chunkRows = Math.max(16, Math.floor(CHUNK_BYTES / (4 * d)));
  const slots = Math.max(1, Math.floor(ROUND_BYTES / (4 * d * chunkRows)));
  const L = layout(n, d, k, chunkRows, slots, 1 + helperCount(n, d));
  const memory = sharedMemory(L.bytes);
  const control = new Int32Array(memory.buffer, 0, 16);
  const helpers = startHelpers(memory, L);
  try {
    const kernels = instantiate(memory);
    for (let first = 0; first < L.chunks; first += L.slots) {
      const last = Math.min(first + L.slots, L.chunks);
      waitForDone(control, first); // the slots are free again
      stage(x(), y(), memory, L, first, last, control);
      addClaimable(kernels, L, control);
    }
    waitForDone(control, L.chunks);
  } finally {
    stopHelpers(helpers, control);
  }
  return sumAccumulators(memory, L);
}

/**
 * Helpers for a problem of n·d²/2 multiply-adds: one per core but the main thread's, none for small
 * problems; `D2L_THREADS=N` sets the number of threads (main included) whatever the size.
 */
function helperCount(n: number, d: number): number {
  if (!fs.existsSync(HELPER_SCRIPT)) return 0; // running from the TypeScript sources
  const threads = process.env.D2L_THREADS;
  if (threads !== undefined && threads !== '') {
    if (!/^[1-9][0-9]*$/.test(threads))
      throw new Error(`D2L_THREADS must be a positive integer; got '${threads}'`);
    return Number(threads) - 1;
  }
  if ((n * d * d) / 2 < HELPER_WORK) return 0;
  return Math.min(MAX_HELPERS, os.availableParallelism() - 1);
}

/** Helper threads, unref'd so that they never keep the process alive. */
function startHelpers(memory: SharedMemory, L: Layout): Worker[] {
  const helpers: Worker[] = [];
  for (let thread = 1; thread < L.threads; thread++) {
    const workerData: HelperData = { memory, layout: L, thread };
    const helper = new Worker(HELPER_SCRIPT, { workerData });
    // A helper that fails to start claims nothing, and the others do its share; one that fails later
    // sets Control.Failed, which waitForDone reports.
    helper.on('error', () => {});
    helper.unref();
    helpers.push(helper);
  }
  return helpers;
}

function stopHelpers(helpers: Worker[], control: Int32Array): void {
  // Helpers waiting for a chunk that will never be staged (after an error) wake up and leave.
  Atomics.store(control, Control.Stop, 1);
  Atomics.store(control, Control.Published, 0x7fffffff);
  Atomics.notify(control, Control.Published);
  for (const helper of helpers) void helper.terminate().catch(() => {});
}

/** Copies chunks [first, last) of X and y into their slots, publishing each as soon as it is there. */
function stage(
  x: HostArray,
  y: HostArray,
  memory: SharedMemory,
  L: Layout,
  first: number,
  last: number,
  control: Int32Array,
): void {
  const xs = new Float32Array(memory.buffer, L.x, L.slots * L.chunkRows * L.d);
  const ys = new Float32Array(memory.buffer, L.y, L.slots * L.chunkRows * L.k);
  for (let g = first; g < last; g++) {
    const [start, stop] = [g * L.chunkRows, Math.min((g + 1) * L.chunkRows, L.n)];
    const at = (g - first) * L.chunkRows;
    // `set` also converts int32 and bool values to float32.
    xs.set(x.subarray(start * L.d, stop * L.d), at * L.d);
    ys.set(y.subarray(start * L.k, stop * L.k), at * L.k);
    Atomics.store(control, Control.Published, g + 1);
    Atomics.notify(control, Control.Published);
  }
}

/** The main thread's share: claims staged chunks that no helper has claimed, into accumulator 0. */
function addClaimable(kernels: Kernels, L: Layout, control: Int32Array): void {
  for (;;) {
    const g = Atomics.load(control, Control.Next);
    if (g >= Atomics.load(control, Control.Published) || g >= L.chunks) return;
    if (Atomics.compareExchange(control, Control.Next, g, g + 1) !== g) continue; // a helper took it
    addChunk(kernels, L, g, 0);
    markDone(control);
  }
}

/** Blocks until `target` chunks are done. */
function waitForDone(control: Int32Array, target: number): void {
  for (;;) {
    if (Atomics.load(control, Control.Failed) !== 0) throw new Error('lstsq: a helper thread failed');
    const done = Atomics.load(control, Control.Done);
    if (done >= target) return;
    if (Atomics.wait(control, Control.Done, done, STALL_MS) === 'timed-out') {
      throw new Error(`lstsq: a helper thread stopped responding (no progress in ${STALL_MS / 1000} s)`);
    }
  }
}

/** Σ over threads of G_t (upper triangle, mirrored) and c_t, as d×d and d×k row-major arrays. */
function sumAccumulators(memory: SharedMemory, L: Layout): [Float64Array, Float64Array] {
  const { d, k, gp } = L;
  const G = new Float64Array(d * d);
  const c = new Float64Array(d * k);
  for (let t = 0; t < L.threads; t++) {
    const acc = new Float64Array(memory.buffer, L.accumulators + t * L.accumulatorBytes, gp * gp + k * gp);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) G[i * d + j] += acc[i * gp + j];
      for (let col = 0; col < k; col++) c[i * k + col] += acc[gp * gp + col * gp + i];
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) G[i * d + j] = G[j * d + i];
  return [G, c];
}
