/**
 * The normal equations XᵀX and Xᵀy of `lstsq`, on the host with the WebAssembly SIMD kernels of
 * kernels/gram.wat: TensorFlow.js's matMul cannot use the symmetry of XᵀX, and its wasm backend runs
 * on one thread in Node.
 *
 * The main thread walks over the chunks of rows. On the wasm backend it runs the kernels on float32
 * tensors where they are, in TensorFlow.js's memory; otherwise it copies each chunk into a slot of
 * its own first. Helper threads (worker_threads, on idle cores) get chunks copied into a small
 * ring of slots in shared memory, a few ahead of them, so the main thread never waits for a helper
 * that is slow to start or starved of a core: it adds the chunks itself instead. Each thread adds
 * into its own float64 accumulators, which the main thread sums at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  accumulator,
  addRows,
  addStaged,
  Control,
  instantiate,
  layout,
  rowsOf,
  sharedMemory,
  slotX,
  slotY,
  type Kernels,
  type Layout,
  type WasmMemory,
} from './gram-shared';
import type { HelperData } from './gram-worker';
import { wasmHeap, type HostArray, type WasmHeap } from './host';

/** Rows per chunk: about 128 KB of them, which stay in the L2 cache while a chunk's tiles read them. */
const CHUNK_BYTES = 1 << 17;
/** Staged chunks kept waiting for each helper, so that it never runs dry between two looks. */
const AHEAD = 4;
/** Slots in the ring per helper: room for the chunks ahead and those being added. */
const SLOTS = 4 * AHEAD;
/** Multiply-adds (n·d²/2) below which a helper costs more to start (~20 ms) than it saves. */
const HELPER_WORK = 1e8;
/** Helpers beyond this many would mostly wait for the main thread's copying. */
const MAX_HELPERS = 3;
/** A chunk takes well under a millisecond; a helper that finishes none for this long has failed. */
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
  const helpers = helperCount(n, d);
  const L = layout(n, d, k, chunkRows, Math.max(1, SLOTS * helpers), 1 + helpers);
  const memory = sharedMemory(L.bytes);
  const control = new Int32Array(memory.buffer, 0, Control.Slots + L.slots);
  const workers: Worker[] = [];
  let inPlace: InPlace | null = null;
  try {
    startHelpers(memory, L, workers);
    inPlace = InPlace.open(x(), y(), L);
    const shared = instantiate(memory, true);
    const [xs, ys] = [x(), y()]; // after InPlace.open, whose allocation may have moved wasm memory
    let staged = 0;
    for (let g = 0; g < L.chunks; g++) {
      if (helpers > 0 && helpersWantMore(control, staged, helpers) && slotFree(control, L, staged)) {
        stage(xs, ys, memory, L, g, staged % L.slots);
        publish(control, L, g, staged++);
      } else if (inPlace !== null && g < L.chunks - 1) {
        inPlace.add(xs, ys, g); // not the last chunk: the kernels read a little past a row
      } else {
        stage(xs, ys, memory, L, g, L.slots);
        addRows(shared, L, slotX(L, L.slots), slotY(L, L.slots), rowsOf(L, g), accumulator(L, 0));
      }
    }
    Atomics.store(control, Control.Finished, 1);
    Atomics.notify(control, Control.Staged);
    addUnclaimed(shared, L, control, staged);
    waitForDone(control, staged);
    const sums = Array.from({ length: L.threads }, (_, t) => accView(memory, L, accumulator(L, t)));
    if (inPlace !== null) sums.push(inPlace.sums());
    return sumAccumulators(sums, L);
  } finally {
    stopHelpers(workers, control);
    inPlace?.close();
  }
}

/**
 * Helpers for a problem of n·d²/2 multiply-adds: none for small problems, else one per core that
 * other processes leave idle by the 1-minute load average (which counts this thread too): on a busy
 * machine a helper only takes turns with the main thread and costs its start and copies (measured:
 * 20–50% slower with every core busy). `D2L_THREADS=N` sets the number of threads, main included.
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
  const cores = os.availableParallelism();
  const idle = Math.round(cores - os.loadavg()[0]); // loadavg is [0, 0, 0] on Windows: all idle
  return Math.max(0, Math.min(idle, cores - 1, MAX_HELPERS));
}

/** Starts the helper threads into `helpers`, unref'd so that they never keep the process alive. */
function startHelpers(memory: WasmMemory, L: Layout, helpers: Worker[]): void {
  for (let thread = 1; thread < L.threads; thread++) {
    const workerData: HelperData = { memory, layout: L, thread };
    const helper = new Worker(HELPER_SCRIPT, { workerData });
    // A helper that fails to start claims nothing, and the main thread adds its chunks; one that
    // fails later sets Control.Failed, which waitForDone reports.
    helper.on('error', () => {});
    helper.unref();
    helpers.push(helper);
  }
}

function stopHelpers(helpers: Worker[], control: Int32Array): void {
  // Helpers waiting for a chunk that will never be staged (after an error) wake up and leave.
  Atomics.store(control, Control.Stop, 1);
  Atomics.store(control, Control.Finished, 1);
  Atomics.notify(control, Control.Staged);
  for (const helper of helpers) void helper.terminate().catch(() => {});
}

/** True while fewer than AHEAD chunks per helper are staged and unclaimed. */
function helpersWantMore(control: Int32Array, staged: number, helpers: number): boolean {
  const claimed = Math.min(Atomics.load(control, Control.Next), staged);
  return staged - claimed < AHEAD * helpers;
}

function slotFree(control: Int32Array, L: Layout, j: number): boolean {
  return Atomics.load(control, Control.Slots + (j % L.slots)) === 0;
}

/** Copies chunk g of X and y into slot s; `set` also converts int32 and bool values to float32. */
function stage(x: HostArray, y: HostArray, memory: WasmMemory, L: Layout, g: number, s: number): void {
  const [start, stop] = [g * L.chunkRows, g * L.chunkRows + rowsOf(L, g)];
  new Float32Array(memory.buffer, slotX(L, s), L.chunkRows * L.d).set(x.subarray(start * L.d, stop * L.d));
  new Float32Array(memory.buffer, slotY(L, s), L.chunkRows * L.k).set(y.subarray(start * L.k, stop * L.k));
}

/** Hands staged chunk j, holding chunk g, to the helpers. */
function publish(control: Int32Array, L: Layout, g: number, j: number): void {
  Atomics.store(control, Control.Slots + (j % L.slots), g + 1);
  Atomics.store(control, Control.Staged, j + 1);
  Atomics.notify(control, Control.Staged, 1);
}

/** The main thread adds the staged chunks that no helper has claimed (yet), into accumulator 0. */
function addUnclaimed(kernels: Kernels, L: Layout, control: Int32Array, staged: number): void {
  for (;;) {
    const j = Atomics.load(control, Control.Next);
    if (j >= staged) return;
    if (Atomics.compareExchange(control, Control.Next, j, j + 1) === j) addStaged(kernels, L, control, j, 0);
  }
}

/** Blocks until `target` staged chunks are done. */
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

/** One thread's accumulators G_t and c_t at byte offset `at` of `memory`. */
function accView(memory: WasmMemory, L: Layout, at: number): Float64Array {
  return new Float64Array(memory.buffer, at, L.gp * L.gp + L.k * L.gp);
}

/**
 * The main thread's kernels on TensorFlow.js's wasm memory, for float32 X and y that live there, with
 * accumulators allocated in that memory.
 */
class InPlace {
  private constructor(
    private readonly heap: WasmHeap,
    private readonly kernels: Kernels,
    private readonly L: Layout,
    private readonly acc: number,
  ) {}

  /** Null unless X and y are float32 views of the wasm backend's memory. */
  static open(x: HostArray, y: HostArray, L: Layout): InPlace | null {
    const heap = wasmHeap();
    const inHeap = (v: HostArray): boolean => v instanceof Float32Array && v.buffer === heap?.memory.buffer;
    if (heap === null || !inHeap(x) || !inHeap(y)) return null;
    let kernels: Kernels;
    try {
      kernels = instantiate(heap.memory, false);
    } catch {
      return null; // e.g. a threaded wasm build, whose memory is shared
    }
    const acc = heap.malloc((L.gp * L.gp + L.k * L.gp) * 8);
    if (acc === 0) return null;
    const self = new InPlace(heap, kernels, L, acc);
    self.sums().fill(0);
    return self;
  }

  /** Adds chunk g of X and y (views of the heap). */
  add(x: HostArray, y: HostArray, g: number): void {
    const { L } = this;
    const [xAt, yAt] = [x.byteOffset + g * L.chunkRows * L.d * 4, y.byteOffset + g * L.chunkRows * L.k * 4];
    addRows(this.kernels, L, xAt, yAt, rowsOf(L, g), this.acc);
  }

  sums(): Float64Array {
    return accView(this.heap.memory, this.L, this.acc);
  }

  close(): void {
    this.heap.free(this.acc);
  }
}

/** Σ of the accumulators (G upper triangle, mirrored; c transposed) as d×d and d×k row-major arrays. */
function sumAccumulators(sums: Float64Array[], L: Layout): [Float64Array, Float64Array] {
  const { d, k, gp } = L;
  const G = new Float64Array(d * d);
  const c = new Float64Array(d * k);
  for (const acc of sums) {
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) G[i * d + j] += acc[i * gp + j];
      for (let col = 0; col < k; col++) c[i * k + col] += acc[gp * gp + col * gp + i];
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) G[i * d + j] = G[j * d + i];
  return [G, c];
}
