/**
 * The data of a plot as series of points, read by the book's rules (section 2.4's `plot`): a vector is
 * one series; Y omitted plots X against its index; one X series is repeated for every series of Y.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * A series of numbers: an array, a typed array or a tensor with one dimension longer than 1. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * const ys: d2l.Vector = new Float32Array([1, 4, 9]);
 */
export type Vector = readonly number[] | Float32Array | Float64Array | Int32Array | tf.Tensor;
/**
 * One series, several series (an array of them), or a 2-D tensor [k, n] of k series: what `plot` takes
 * as X and Y. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * const Y: d2l.PlotData = [[1, 2, 3], d2l.tf.tensor1d([3, 2, 1])];
 */
export type PlotData = Vector | readonly Vector[];

/** One series: the x and y values of its points. */
export interface Series {
  x: Float64Array;
  y: Float64Array;
}

export function toSeries(X: PlotData, Y: PlotData | undefined): Series[] {
  const xs = seriesOf(X);
  if (Y === undefined) return xs.map((y) => ({ x: Float64Array.from(y, (_, i) => i), y }));
  const ys = seriesOf(Y);
  if (xs.length !== 1 && xs.length !== ys.length) {
    throw new Error(`plot: X holds ${xs.length} series and Y ${ys.length}; X must hold one, or as many as Y`);
  }
  return ys.map((y, i) => {
    const x = xs[xs.length === 1 ? 0 : i];
    if (x.length !== y.length)
      throw new Error(`plot: series ${i} has ${x.length} x values and ${y.length} y`);
    return { x, y };
  });
}

function seriesOf(data: PlotData): Float64Array[] {
  if (isTensor(data)) {
    const values = Float64Array.from(data.dataSync());
    if (data.shape.filter((d) => d > 1).length <= 1) return [values];
    const [rows, cols] = data.shape;
    if (data.rank !== 2) throw new Error(`plot: a tensor of series must be 2-D [k, n]; got [${data.shape}]`);
    return Array.from({ length: rows }, (_, r) => values.subarray(r * cols, (r + 1) * cols));
  }
  const first = (data as readonly unknown[])[0];
  if (isTensor(first) || ArrayBuffer.isView(first) || Array.isArray(first)) {
    return (data as readonly Vector[]).flatMap(seriesOf);
  }
  return [Float64Array.from(data as readonly number[])];
}

const isTensor = (v: unknown): v is tf.Tensor =>
  typeof (v as tf.Tensor | undefined)?.dataSync === 'function' && Array.isArray((v as tf.Tensor).shape);
