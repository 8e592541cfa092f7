/**
 * The normal equations XᵀX and Xᵀy of `lstsq`, by the WebAssembly SIMD kernels of kernels/gram.wat:
 * TensorFlow.js's matMul cannot use the symmetry of XᵀX (the kernels compute its upper triangle only)
 * and would need a transposed copy of X.
 *
 * X and y are cut into chunks of rows, added one after another on the calling thread into one
 * float64 accumulator, so the result depends on the input alone, the same bits every time and on every
 * backend. On the wasm backend the kernels run in TensorFlow.js's memory and read float32 tensors where
 * they are; otherwise (cpu backend, int32 or bool values) they run in a memory of their own, into which
 * each chunk is copied first ("staged"). Chunks that end less than 8 values before the end of X or y
 * are staged too: the kernels read up to 7 values past the end of a row, which in place would be past
 * the end of the tensor.
 */
import { wasmHeap, type HostArray } from './host';
import { GRAM_WASM } from './kernels/gram-wasm';

/** Rows per chunk: at most 128 KB of them, which stay in the L2 cache while a chunk's tiles read them. */
const CHUNK_BYTES = 1 << 17;
/**
 * Rows per chunk, also at most 256: the kernels sum a chunk in float32 before adding it into float64,
 * and longer float32 sums lost the bias of a column with a large mean (4.2 came out as 0.88 at mean 100).
 */
const FLOAT32_ROWS = 256;
/** Floats the tiles may read past the end of a row (7, rounded up). */
const READ_PAST = 8;
/** Bytes after a staged chunk of X for those reads. */
const SLACK_BYTES = 64;
const PAGE_BYTES = 65536;

/** A WebAssembly memory: TensorFlow.js's or one of ours. */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
type WasmModule = object;

/** The WebAssembly API that Node provides and TypeScript's ES2020 lib does not declare (only this much). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => { exports: unknown };
};

/** The kernels of gram.wat (see there); pointers are byte offsets into their memory. */
interface Kernels {
  syrk(x: number, rows: number, d: number, g: number, gp: number): void;
  xty(x: number, y: number, rows: number, d: number, k: number, c: number, gp: number): void;
}

let compiled: WasmModule | undefined;

function kernelsOn(memory: WasmMemory): Kernels {
  compiled ??= new WebAssembly.Module(Buffer.from(GRAM_WASM, 'base64'));
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as Kernels;
}

/** Where the kernels run: their memory, the workspace's byte offset in it, and whether X and y are there. */
interface Workspace {
  memory: WasmMemory;
  kernels: Kernels;
  at: number;
  inPlace: boolean;
  release(): void;
}

/** A workspace of `bytes` in TensorFlow.js's wasm memory if X and y are float32 there, else in a new memory. */
function workspace(x: HostArray, y: HostArray, bytes: number): Workspace {
  const heap = wasmHeap();
  const inHeap = (v: HostArray): boolean => v instanceof Float32Array && v.buffer === heap?.memory.buffer;
  if (heap !== null && inHeap(x) && inHeap(y)) {
    let kernels: Kernels | null = null;
    try {
      kernels = kernelsOn(heap.memory);
    } catch {
      // e.g. a threaded wasm build, whose memory is shared: stage instead
    }
    const at = kernels === null ? 0 : heap.malloc(bytes);
    if (kernels !== null && at !== 0) {
      return { memory: heap.memory, kernels, at, inPlace: true, release: () => heap.free(at) };
    }
  }
  const pages = Math.ceil(bytes / PAGE_BYTES);
  if (pages > 65536) throw new Error(`lstsq: X has too many columns for the kernels' 4 GB of memory`);
  const memory = new WebAssembly.Memory({ initial: pages });
  return { memory, kernels: kernelsOn(memory), at: 0, inPlace: false, release: () => {} };
}

/**
 * XᵀX (d×d) and Xᵀy (d×k), row-major float64, of X [n, d] and y [n, k] given as host values
 * (functions, because wasm memory moves when it grows: see host.ts). Products of float32 values are
 * summed in float32 over a chunk of rows and in float64 across chunks.
 */
export function normalEquations(
  x: () => HostArray,
  y: () => HostArray,
  n: number,
  d: number,
  k: number,
): [Float64Array, Float64Array] {
  const chunkRows = Math.min(FLOAT32_ROWS, Math.max(16, Math.floor(CHUNK_BYTES / (4 * d))));
  // The workspace: accumulators G (gp×gp) and c (k×gp), float64 with rows of gp = d rounded up to the
  // kernels' 8-column tiles, then a staged chunk of X and one of y.
  const gp = Math.ceil(d / 8) * 8;
  const accFloats = gp * gp + k * gp;
  const xOffset = accFloats * 8;
  const yOffset = xOffset + chunkRows * d * 4 + SLACK_BYTES;
  const ws = workspace(x(), y(), yOffset + chunkRows * k * 4);
  try {
    const [xs, ys] = [x(), y()]; // after the workspace, whose allocation may have moved wasm memory
    const acc = new Float64Array(ws.memory.buffer, ws.at, accFloats).fill(0);
    for (let start = 0; start < n; start += chunkRows) {
      const rows = Math.min(chunkRows, n - start);
      const end = start + rows;
      const inPlace = ws.inPlace && end * d + READ_PAST <= n * d && end * k + READ_PAST <= n * k;
      const xAt = inPlace ? xs.byteOffset + start * d * 4 : ws.at + xOffset;
      const yAt = inPlace ? ys.byteOffset + start * k * 4 : ws.at + yOffset;
      if (!inPlace) {
        // `set` also converts int32 and bool values to float32.
        new Float32Array(ws.memory.buffer, xAt, rows * d).set(xs.subarray(start * d, (start + rows) * d));
        new Float32Array(ws.memory.buffer, yAt, rows * k).set(ys.subarray(start * k, (start + rows) * k));
      }
      ws.kernels.syrk(xAt, rows, d, ws.at, gp);
      ws.kernels.xty(xAt, yAt, rows, d, k, ws.at + gp * gp * 8, gp);
    }
    return unpack(acc, d, k, gp);
  } finally {
    ws.release();
  }
}

/** G (upper triangle, mirrored) and c (stored transposed, k×gp) as d×d and d×k row-major arrays. */
function unpack(acc: Float64Array, d: number, k: number, gp: number): [Float64Array, Float64Array] {
  const G = new Float64Array(d * d);
  const c = new Float64Array(d * k);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) G[i * d + j] = G[j * d + i] = acc[i * gp + j];
    for (let col = 0; col < k; col++) c[i * k + col] = acc[gp * gp + col * gp + i];
  }
  return [G, c];
}
