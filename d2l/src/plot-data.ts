/**
 * The book's rules for what `plot(X, Y)` draws, on number arrays, typed arrays and tensors.
 *
 * - A vector (a 1-D array or tensor, or an array whose first element has no length) is one series.
 *   A tensor whose shape has one dimension longer than 1 (e.g. [n, 1]) is a vector too.
 * - A 2-D tensor [k, n] is k series of n points; an array of vectors is one series per element.
 * - Y omitted: X is the series, plotted against its index 0, 1, 2, ...
 * - X holding one series and Y several: X is repeated for each series of Y.
 */
import type * as tf from '@tensorflow/tfjs';

/** What `plot` accepts for X and Y. */
export type Vector = readonly number[] | Float32Array | Float64Array | Int32Array | Uint8Array | tf.Tensor;
export type PlotData = Vector | readonly Vector[];

/** One series: the x and y values of its points. */
export interface Series {
  x: Float64Array;
  y: Float64Array;
}

/** Duck-typed, so that tensors from another copy of tfjs are read too. */
const isTensor = (v: unknown): v is tf.Tensor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as tf.Tensor).dataSync === 'function' &&
  Array.isArray((v as tf.Tensor).shape);

function hasLength(v: unknown): v is ArrayLike<unknown> {
  return ArrayBuffer.isView(v) || Array.isArray(v);
}

/** Splits X (or Y) into its series, each as float64 values (read once, no tensors created). */
export function toSeriesList(data: PlotData, name: string): Float64Array[] {
  if (isTensor(data)) {
    if (data.isDisposed) throw new Error(`plot: ${name} is a disposed tensor`);
    const longAxes = data.shape.filter((d) => d > 1).length;
    const values = Float64Array.from(data.dataSync());
    if (data.rank <= 1 || longAxes <= 1) return [values];
    if (data.rank !== 2) {
      throw new Error(`plot: ${name} must be a vector or a 2-D tensor of series; got shape [${data.shape}]`);
    }
    const [rows, cols] = data.shape;
    return Array.from({ length: rows }, (_, r) => values.subarray(r * cols, (r + 1) * cols));
  }
  if (!hasLength(data)) {
    // plot(X, { xlabel: 'x' }), as if from Python's keyword arguments: the options went in Y's place.
    const hint = name === 'Y' && isPlainObject(data) ? OPTIONS_HINT : '';
    throw new Error(
      `plot: ${name} must be an array, a typed array or a tensor; got ${describe(data)}${hint}`,
    );
  }
  if (data.length === 0 || !(isTensor(data[0]) || hasLength(data[0]))) {
    return [toVector(data, name)];
  }
  return Array.from(data as readonly Vector[], (v, i) => {
    const list = toSeriesList(v, `${name}[${i}]`);
    if (list.length !== 1) throw new Error(`plot: ${name}[${i}] must be a vector; got ${list.length} series`);
    return list[0];
  });
}

function toVector(v: ArrayLike<unknown>, name: string): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const value = v[i];
    if (typeof value !== 'number') {
      throw new Error(`plot: ${name}[${i}] must be a number; got ${describe(value)}`);
    }
    out[i] = value;
  }
  return out;
}

const OPTIONS_HINT = '; to pass options without Y, give them third: plot(X, undefined, { ... })';

function isPlainObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `${typeof v} ${String(v)}`;
}

/**
 * Applies the book's X/Y rules and checks lengths and values (finite; positive on a log axis).
 * Y omitted: X is the series, against its index.
 */
export function toSeries(X: PlotData, Y: PlotData | undefined, log: { x: boolean; y: boolean }): Series[] {
  const xs = toSeriesList(X, 'X');
  if (Y === undefined) {
    checkValues(xs, 'X', log.y ? 'yscale' : undefined);
    if (log.x) {
      throw new Error(`plot: xscale is 'log' but Y is omitted, so x is the index 0, 1, ...; pass X and Y`);
    }
    return xs.map((y) => ({ x: Float64Array.from(y, (_, i) => i), y }));
  }
  const ys = toSeriesList(Y, 'Y');
  checkValues(xs, 'X', log.x ? 'xscale' : undefined);
  checkValues(ys, 'Y', log.y ? 'yscale' : undefined);
  if (xs.length !== 1 && xs.length !== ys.length) {
    throw new Error(
      `plot: X holds ${xs.length} series and Y ${ys.length}; X must hold one series (repeated for each ` +
        `series of Y) or as many as Y`,
    );
  }
  return ys.map((y, i) => {
    const x = xs.length === 1 ? xs[0] : xs[i];
    if (x.length !== y.length) {
      const xName = xs.length === 1 ? 'X' : `X[${i}]`;
      const yName = ys.length === 1 ? 'Y' : `Y[${i}]`;
      throw new Error(`plot: ${xName} has ${x.length} values but ${yName} has ${y.length}`);
    }
    return { x, y };
  });
}

/** Throws unless every value is finite, and positive when `logScale` names the log axis. */
function checkValues(list: Float64Array[], name: string, logScale: string | undefined): void {
  list.forEach((values, k) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const where = list.length === 1 ? `${name}[${i}]` : `${name}[${k}][${i}]`;
      if (!Number.isFinite(v)) throw new Error(`plot: ${where} is ${v}; values must be finite`);
      if (logScale !== undefined && v <= 0) {
        throw new Error(`plot: ${where} is ${v}, but ${logScale} is 'log', which needs positive values`);
      }
    }
  });
}
