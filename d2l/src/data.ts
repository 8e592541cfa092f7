import * as tf from '@tensorflow/tfjs';
import { hostValues, onWasm, type HostArray } from './host';

/**
 * Generates y = Xw + b + noise; defined in section 3.2 (linear regression from scratch).
 *
 * @param w the true weights, a vector of length d (a rank-1 tensor or a number array).
 * @param b the true bias.
 * @param num_examples n, the number of examples.
 * @returns `[X, y]`: X of shape [n, d] drawn from N(0, 1), y of shape [n, 1] with N(0, 0.01²) noise.
 */
export function synthetic_data(
  w: tf.Tensor | number[],
  b: number,
  num_examples: number,
): [tf.Tensor2D, tf.Tensor2D] {
  const shape = Array.isArray(w) ? [w.length] : w.shape;
  if (shape.length !== 1 || shape[0] < 1) {
    throw new Error(`synthetic_data: w must be a non-empty vector; got shape [${shape}]`);
  }
  if (!Number.isFinite(b)) throw new Error(`synthetic_data: b must be a finite number; got ${b}`);
  if (!Number.isInteger(num_examples) || num_examples < 1) {
    throw new Error(`synthetic_data: num_examples must be a positive integer; got ${num_examples}`);
  }
  return tf.tidy(() => {
    const X = tf.randomNormal([num_examples, shape[0]]) as tf.Tensor2D;
    const wColumn = tf.reshape(Array.isArray(w) ? tf.tensor1d(w) : w, [-1, 1]);
    const y = tf.add(tf.add(tf.matMul(X, wColumn), b), tf.randomNormal([num_examples, 1], 0, 0.01));
    return [X, y as tf.Tensor2D];
  });
}

/**
 * Yields shuffled minibatches `[X, y]` of `features` and `labels`; the last may be shorter. Defined
 * in section 3.2. Rows are copied on the host (cheaper than `tf.gather`). Each batch is disposed when
 * the loop moves on or stops, so a loop leaks nothing; `tf.keep`/`clone` a batch to hold on to it.
 * `features` and `labels` must stay undisposed while iterating.
 *
 * @param batch_size examples per batch, a positive integer.
 * @param features a tensor of shape [n, ...].
 * @param labels a tensor of shape [n, ...].
 */
export function* data_iter(
  batch_size: number,
  features: tf.Tensor,
  labels: tf.Tensor,
): Generator<[tf.Tensor, tf.Tensor], void, undefined> {
  if (!Number.isInteger(batch_size) || batch_size < 1) {
    throw new Error(`data_iter: batch_size must be a positive integer; got ${batch_size}`);
  }
  const n = features.shape[0] ?? 0;
  if (features.rank < 1 || n < 1) throw new Error(`data_iter: features must have at least one row`);
  if (labels.shape[0] !== n) {
    throw new Error(`data_iter: features has ${n} rows but labels has ${labels.shape[0]}`);
  }
  const take = [rowTaker(features, n, 'features'), rowTaker(labels, n, 'labels')];
  const indices = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  for (let start = 0; start < n; start += batch_size) {
    const stop = Math.min(start + batch_size, n);
    const X = take[0](indices, start, stop);
    const y = take[1](indices, start, stop);
    try {
      yield [X, y];
    } finally {
      X.dispose();
      y.dispose();
    }
  }
}

/** A re-iterable minibatch loader; each pass is one epoch. */
export interface DataLoader extends Iterable<tf.Tensor[]> {
  /** Batches per epoch, ⌈n / batch_size⌉. */
  readonly numBatches: number;
  /** Examples per epoch, n. */
  readonly numExamples: number;
}

/**
 * Builds a data loader over tensors that share their first dimension; defined in section 3.3
 * (concise linear regression), the analogue of PyTorch's `DataLoader(TensorDataset(...))`.
 * Iterate with `for (const [X, y] of loader)`. Each epoch is reshuffled when `is_train`, in order
 * otherwise; the short last batch is kept. Batches are built by copying rows on the host and are
 * disposed when the loop moves on or stops. The tensors must stay undisposed while the loader is used.
 *
 * @param data_arrays tensors of shape [n, ...], e.g. `[features, labels]`.
 * @param batch_size examples per batch, a positive integer.
 * @param is_train shuffle every epoch (default true).
 */
export function load_array(data_arrays: tf.Tensor[], batch_size: number, is_train = true): DataLoader {
  if (!Array.isArray(data_arrays) || data_arrays.length === 0) {
    throw new Error('load_array: data_arrays must be a non-empty array of tensors');
  }
  if (!Number.isInteger(batch_size) || batch_size < 1) {
    throw new Error(`load_array: batch_size must be a positive integer; got ${batch_size}`);
  }
  const n = data_arrays[0].shape[0] ?? 0;
  if (data_arrays[0].rank < 1 || n < 1)
    throw new Error('load_array: data_arrays[0] must have at least one row');
  data_arrays.forEach((t, k) => {
    if (t.shape[0] !== n) {
      throw new Error(`load_array: data_arrays[${k}] has ${t.shape[0]} rows but data_arrays[0] has ${n}`);
    }
  });
  const takers = data_arrays.map((t, k) => rowTaker(t, n, `data_arrays[${k}]`));
  const indices = Array.from({ length: n }, (_, i) => i);
  function* epoch(): Generator<tf.Tensor[], void, undefined> {
    for (let i = is_train ? n - 1 : 0; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    for (let start = 0; start < n; start += batch_size) {
      const stop = Math.min(start + batch_size, n);
      const batch = takers.map((take) => take(indices, start, stop));
      try {
        yield batch;
      } finally {
        tf.dispose(batch);
      }
    }
  }
  return { [Symbol.iterator]: epoch, numBatches: Math.ceil(n / batch_size), numExamples: n };
}

/**
 * Returns `take(indices, start, stop)`: a new tensor of the rows indices[start..stop) of `t`, built by
 * copying rows on the host, which costs far less than `tf.gather` here. The rows are read without
 * copying the whole tensor first (see `hostValues`). On wasm they go through one reused buffer, since
 * wasm copies it into the new tensor; elsewhere into a fresh buffer per batch, since the cpu backend
 * keeps the array it is given.
 */
function rowTaker(
  t: tf.Tensor,
  n: number,
  name: string,
): (indices: number[], start: number, stop: number) => tf.Tensor {
  const row = t.size / n;
  const rest = t.shape.slice(1);
  const values = hostValues(t);
  let reused: HostArray | undefined;
  return (indices, start, stop) => {
    if (t.isDisposed) throw new Error(`${name} was disposed; keep it alive while iterating over batches`);
    const src = values();
    const size = (stop - start) * row;
    let out: HostArray;
    if (onWasm(t)) {
      if (reused === undefined || reused.length < size)
        reused = new (src.constructor as Float32ArrayConstructor)(size);
      out = reused.length === size ? reused : reused.subarray(0, size);
    } else {
      out = new (src.constructor as Float32ArrayConstructor)(size);
    }
    for (let k = start; k < stop; k++) {
      const from = indices[k] * row;
      out.set(src.subarray(from, from + row), (k - start) * row);
    }
    return tf.tensor(out, [stop - start, ...rest], t.dtype);
  };
}
