/**
 * What the threads that compute the normal equations share: the memory layout, the control words and
 * the loop that claims chunks of rows. Used by the main thread (gram.ts) and by the helper threads
 * (gram-worker.ts), so it must not import TensorFlow.js: a helper starts in a few milliseconds.
 */
import { GRAM_WASM } from './kernels/gram-wasm';

/** A WebAssembly memory created with `shared: true`: its buffer is a SharedArrayBuffer. */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
}
/** A compiled WebAssembly module. */
export type WasmModule = object;

/** The WebAssembly API that Node provides and TypeScript's ES2020 lib does not declare (only this much is used). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: SharedMemory } }) => { exports: unknown };
};

/** Indices of the Int32 control words at the start of the shared memory. */
export const Control = {
  /** Chunks copied into the staging buffer so far (chunks are numbered 0, 1, … over all of X). */
  Published: 0,
  /** The next chunk to claim. */
  Next: 1,
  /** Chunks whose products have been added into an accumulator. */
  Done: 2,
  /** Set by a helper whose kernel threw. */
  Failed: 3,
  /** Set by the main thread to send the helpers home early. */
  Stop: 4,
} as const;

const CONTROL_BYTES = 64;
/** Zeroed bytes after the staging buffer: the kernels' tiles read up to 7 floats past a row. */
const SLACK_BYTES = 64;

/**
 * Where everything lives in the shared memory, in bytes, for X of shape [n, d] and y of [n, k].
 * Rows of X are staged `chunkRows` at a time in `slots` slots (one round), then the next round
 * overwrites them. Each thread t adds into its own G_t (d×d, row length gp) and c_t (k×d, row
 * length gp), float64.
 */
export interface Layout {
  n: number;
  d: number;
  k: number;
  /** Row length of the accumulators: d rounded up to the kernel's 8-column tiles. */
  gp: number;
  chunkRows: number;
  /** Chunks of rows over all of X. */
  chunks: number;
  /** Chunks staged per round. */
  slots: number;
  /** Threads, the main one included. */
  threads: number;
  accumulators: number;
  /** Bytes of one thread's G_t and c_t. */
  accumulatorBytes: number;
  x: number;
  y: number;
  bytes: number;
}

export function layout(
  n: number,
  d: number,
  k: number,
  chunkRows: number,
  slots: number,
  threads: number,
): Layout {
  const gp = Math.ceil(d / 8) * 8;
  const chunks = Math.ceil(n / chunkRows);
  slots = Math.min(slots, chunks);
  const accumulatorBytes = (gp * gp + k * gp) * 8;
  const accumulators = CONTROL_BYTES;
  const x = accumulators + threads * accumulatorBytes;
  const y = x + slots * chunkRows * d * 4 + SLACK_BYTES;
  const bytes = y + slots * chunkRows * k * 4;
  return { n, d, k, gp, chunkRows, chunks, slots, threads, accumulators, accumulatorBytes, x, y, bytes };
}

/** The kernels of gram.wat (see there); pointers are byte offsets into the shared memory. */
export interface Kernels {
  syrk(x: number, rows: number, d: number, g: number, gp: number): void;
  xty(x: number, y: number, rows: number, d: number, k: number, c: number, gp: number): void;
}

/** Shared memory of at least `bytes` bytes, zeroed. */
export function sharedMemory(bytes: number): SharedMemory {
  const pages = Math.ceil(bytes / 65536);
  if (pages > 65536) throw new Error(`lstsq: X has too many columns for the kernels' 4 GB of memory`);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

let compiled: WasmModule | undefined;

/** The kernels of gram.wat on `memory`; the module (under 1 KB) is compiled once per thread. */
export function instantiate(memory: SharedMemory): Kernels {
  compiled ??= new WebAssembly.Module(Buffer.from(GRAM_WASM, 'base64'));
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as Kernels;
}

/** Adds chunk g's products into thread t's accumulators; the chunk must have been staged. */
export function addChunk(kernels: Kernels, L: Layout, g: number, t: number): void {
  const slot = g % L.slots;
  const rows = Math.min(L.chunkRows, L.n - g * L.chunkRows);
  const x = L.x + slot * L.chunkRows * L.d * 4;
  const y = L.y + slot * L.chunkRows * L.k * 4;
  const G = L.accumulators + t * L.accumulatorBytes;
  kernels.syrk(x, rows, L.d, G, L.gp);
  kernels.xty(x, y, rows, L.d, L.k, G + L.gp * L.gp * 8, L.gp);
}

/** Marks one more chunk done and wakes the main thread if it waits for that. */
export function markDone(control: Int32Array): void {
  Atomics.add(control, Control.Done, 1);
  Atomics.notify(control, Control.Done);
}

/**
 * A helper thread's loop: claim the next chunk, wait until it is staged, add it into accumulator
 * t; until every chunk is claimed or the main thread says stop. A kernel that throws sets Failed.
 */
export function helperLoop(kernels: Kernels, L: Layout, control: Int32Array, t: number): void {
  try {
    for (;;) {
      const g = Atomics.add(control, Control.Next, 1);
      if (g >= L.chunks) return;
      for (
        let p = Atomics.load(control, Control.Published);
        p <= g;
        p = Atomics.load(control, Control.Published)
      ) {
        Atomics.wait(control, Control.Published, p);
      }
      if (Atomics.load(control, Control.Stop) !== 0) return;
      addChunk(kernels, L, g, t);
      markDone(control);
    }
  } catch (e) {
    Atomics.store(control, Control.Failed, 1);
    Atomics.notify(control, Control.Done);
    throw e;
  }
}
