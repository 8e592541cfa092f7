import * as tf from '@tensorflow/tfjs';

/** The wasm backend's view of a tensor's memory (public methods of its BackendWasm class). */
interface WasmBackend {
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  dataIdMap: { has(dataId: tf.DataId): boolean };
}

/** Typed arrays of float32, int32 and bool tensors. */
export type HostArray = Float32Array | Int32Array | Uint8Array;

/** True when the active backend is wasm and holds `t`'s data, so that its memory can be viewed. */
export function onWasm(t: tf.Tensor): boolean {
  const be = tf.backend() as unknown as Partial<WasmBackend>;
  return (
    tf.getBackend() === 'wasm' &&
    typeof be.typedArrayFromHeap === 'function' &&
    be.dataIdMap?.has(t.dataId) === true
  );
}

/**
 * Returns a function giving `t`'s values on the host as cheaply as the backend allows: on wasm a
 * view of wasm memory (`dataSync` would copy the whole tensor), fetched on every call because wasm
 * memory moves when it grows, i.e. whenever a tensor is created; elsewhere one `dataSync()` copy,
 * kept (on the cpu backend it is not even a copy). Read the values, do not write them.
 */
export function hostValues(t: tf.Tensor): () => HostArray {
  let copy: HostArray | undefined;
  return () => {
    if (onWasm(t)) return (tf.backend() as unknown as WasmBackend).typedArrayFromHeap(t) as HostArray;
    return (copy ??= t.dataSync() as HostArray);
  };
}

/** The parts of the wasm backend's Emscripten module that `wasmHeap` uses. */
interface EmscriptenModule {
  asm?: { memory?: { readonly buffer: ArrayBufferLike } };
  _malloc?(bytes: number): number;
  _free?(pointer: number): void;
}

/** TensorFlow.js's wasm memory and its allocator, for kernels that read tensors where they are. */
export interface WasmHeap {
  /** The WebAssembly.Memory of the backend. */
  memory: { readonly buffer: ArrayBufferLike };
  malloc(bytes: number): number;
  free(pointer: number): void;
}

/** The active wasm backend's heap; null on other backends or a wasm build that does not expose it. */
export function wasmHeap(): WasmHeap | null {
  if (tf.getBackend() !== 'wasm') return null;
  const module = (tf.backend() as unknown as { wasm?: EmscriptenModule }).wasm;
  const memory = module?.asm?.memory;
  const [malloc, free] = [module?._malloc, module?._free];
  if (memory === undefined || malloc === undefined || free === undefined) return null;
  return {
    memory,
    // Emscripten returns an i32: a block above 2 GB comes back negative, so read it unsigned (as tfjs does).
    malloc: (bytes) => malloc.call(module, bytes) >>> 0,
    free: (pointer) => free.call(module, pointer),
  };
}
