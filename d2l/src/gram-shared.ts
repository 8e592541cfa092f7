/**
 * What the threads that compute the normal equations share: the memory layout, the control words and
 * the helpers' loop. Used by the main thread (gram.ts) and by the helper threads (gram-worker.ts), so
 * it must not import TensorFlow.js: a helper starts in a few milliseconds.
 *
 * X and y are cut into chunks of `chunkRows` rows, numbered 0, 1, … The main thread copies some chunks
 * into a ring of slots in shared memory for the helpers ("staging", numbered 0, 1, … in staging order)
 * and adds the others itself.
 */
import { GRAM_WASM, GRAM_WASM_PLAIN } from './kernels/gram-wasm';

/** A WebAssembly memory: shared (its buffer is a SharedArrayBuffer) or TensorFlow.js's plain one. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
/** A compiled WebAssembly module. */
type WasmModule = object;

/** The WebAssembly API that Node provides and TypeScript's ES2020 lib does not declare (only this much). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => { exports: unknown };
};

/** Indices of the Int32 control words at the start of the shared memory. */
export const Control = {
  /** Chunks staged so far. */
  Staged: 0,
  /** The next staged chunk to claim. */
  Next: 1,
  /** Staged chunks whose products have been added into an accumulator. */
  Done: 2,
  /** Set by the main thread once it stages no more chunks. */
  Finished: 3,
  /** Set by a helper whose kernel threw. */
  Failed: 4,
  /** Set by the main thread to send the helpers home early (after an error). */
  Stop: 5,
  /** Then one word per slot: 1 + the chunk it holds, or 0 when it is free. */
  Slots: 8,
} as const;

/** Zeroed bytes after the staged rows: the kernels' tiles read up to 7 floats past a row. */
const SLACK_BYTES = 64;

/**
 * Where everything lives in the shared memory, in bytes, for X of shape [n, d] and y of [n, k].
 * Each thread t adds into its own accumulators: G_t (d×d) then c_t (k×d), float64, rows of length gp.
 * Slot s holds chunkRows rows of X at slotX(s) and of y at slotY(s); slot `slots` is the main
 * thread's own, outside the ring.
 */
export interface Layout {
  n: number;
  d: number;
  k: number;
  /** Row length of the accumulators: d rounded up to the kernel's 8-column tiles. */
  gp: number;
  chunkRows: number;
  /** Chunks over all of X. */
  chunks: number;
  /** Slots in the ring. */
  slots: number;
  /** Threads, the main one included. */
  threads: number;
  accumulators: number;
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
  const accumulatorBytes = (gp * gp + k * gp) * 8;
  const accumulators = Math.ceil(((Control.Slots + slots) * 4) / 64) * 64;
  const x = accumulators + threads * accumulatorBytes;
  const y = x + (slots + 1) * chunkRows * d * 4 + SLACK_BYTES;
  const bytes = y + (slots + 1) * chunkRows * k * 4;
  return { n, d, k, gp, chunkRows, chunks, slots, threads, accumulators, accumulatorBytes, x, y, bytes };
}

export const slotX = (L: Layout, s: number): number => L.x + s * L.chunkRows * L.d * 4;
export const slotY = (L: Layout, s: number): number => L.y + s * L.chunkRows * L.k * 4;
export const accumulator = (L: Layout, t: number): number => L.accumulators + t * L.accumulatorBytes;
/** Rows in chunk g (the last one may be short). */
export const rowsOf = (L: Layout, g: number): number => Math.min(L.chunkRows, L.n - g * L.chunkRows);

/** Shared memory of at least `bytes` bytes, zeroed. */
export function sharedMemory(bytes: number): WasmMemory {
  const pages = Math.ceil(bytes / 65536);
  if (pages > 65536) throw new Error(`lstsq: X has too many columns for the kernels' 4 GB of memory`);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/** The kernels of gram.wat (see there); pointers are byte offsets into their memory. */
export interface Kernels {
  syrk(x: number, rows: number, d: number, g: number, gp: number): void;
  xty(x: number, y: number, rows: number, d: number, k: number, c: number, gp: number): void;
}

const compiled = new Map<boolean, WasmModule>();

/** The kernels on `memory`, shared or plain; the modules (under 1 KB) are compiled once per thread. */
export function instantiate(memory: WasmMemory, shared: boolean): Kernels {
  let module = compiled.get(shared);
  if (module === undefined) {
    module = new WebAssembly.Module(Buffer.from(shared ? GRAM_WASM : GRAM_WASM_PLAIN, 'base64'));
    compiled.set(shared, module);
  }
  return new WebAssembly.Instance(module, { env: { memory } }).exports as Kernels;
}

/** Adds the products of `rows` rows of X at x and y at y into the accumulators at acc. */
export function addRows(kernels: Kernels, L: Layout, x: number, y: number, rows: number, acc: number): void {
  kernels.syrk(x, rows, L.d, acc, L.gp);
  kernels.xty(x, y, rows, L.d, L.k, acc + L.gp * L.gp * 8, L.gp);
}

/** Adds staged chunk j (in its slot) into thread t's accumulators, frees the slot and counts it done. */
export function addStaged(kernels: Kernels, L: Layout, control: Int32Array, j: number, t: number): void {
  const s = j % L.slots;
  const g = Atomics.load(control, Control.Slots + s) - 1;
  addRows(kernels, L, slotX(L, s), slotY(L, s), rowsOf(L, g), accumulator(L, t));
  Atomics.store(control, Control.Slots + s, 0);
  Atomics.add(control, Control.Done, 1);
  Atomics.notify(control, Control.Done);
}

/**
 * A helper thread's loop: claim the next staged chunk, wait until it is staged, add it into
 * accumulator t; until the main thread has finished staging, or says stop. A kernel that throws sets
 * Failed.
 */
export function helperLoop(kernels: Kernels, L: Layout, control: Int32Array, t: number): void {
  try {
    for (;;) {
      const j = Atomics.add(control, Control.Next, 1);
      for (;;) {
        const staged = Atomics.load(control, Control.Staged);
        if (j < staged) break;
        if (Atomics.load(control, Control.Finished) !== 0) return;
        Atomics.wait(control, Control.Staged, staged);
      }
      if (Atomics.load(control, Control.Stop) !== 0) return;
      addStaged(kernels, L, control, j, t);
    }
  } catch (e) {
    Atomics.store(control, Control.Failed, 1);
    Atomics.notify(control, Control.Done);
    throw e;
  }
}
