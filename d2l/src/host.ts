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
