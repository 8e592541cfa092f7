/** The helpers section 3.2 saves: synthetic_data, data_iter, linreg, squared_loss and sgd. */
import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';
import {
  epochIndices,
  numbered,
  onWasmAndCpu,
  range,
  sorted,
  tfjsNodeInstalled,
  trainScratch,
} from '../support/helpers';

beforeAll(async () => {
  await d2l.ready();
});

describe('synthetic_data', () => {
  test('X of shape [n, d] ~ N(0, 1) and y = Xw + b + N(0, 0.01²) of shape [n, 1], leaking nothing', () => {
    const w = tf.tensor1d([2, -3.4]);
    const before = tf.memory().numTensors;
    const [X, y] = d2l.synthetic_data(w, 4.2, 200000);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect([X.shape, y.shape]).toEqual([
      [200000, 2],
      [200000, 1],
    ]);
    const [xMean, xStd, rMean, rStd] = tf.tidy(() => {
      const residual = tf.sub(y, tf.add(tf.matMul(X, tf.reshape(w, [-1, 1])), 4.2));
      const m = [tf.moments(X), tf.moments(residual)];
      return m.flatMap(({ mean, variance }) => [mean.dataSync()[0], Math.sqrt(variance.dataSync()[0])]);
    });
    expect(Math.abs(xMean)).toBeLessThan(0.01);
    expect(Math.abs(xStd - 1)).toBeLessThan(0.01);
    expect(Math.abs(rMean)).toBeLessThan(1e-4);
    expect(Math.abs(rStd - 0.01)).toBeLessThan(5e-4);
    tf.dispose([w, X, y]);
  });

  test('a num_examples that is not a positive integer, or a w that is no vector, is an error (tfjs)', () => {
    const w = tf.tensor1d([1, 2]);
    for (const n of [-3, 2.5, NaN]) expect(() => d2l.synthetic_data(w, 1, n)).toThrow();
    expect(() => d2l.synthetic_data(tf.zeros([1, 2]) as never, 1, 5)).toThrow();
    expect(() => d2l.synthetic_data([2, -3.4] as never, 1, 5)).toThrow();
    w.dispose();
  });
});

onWasmAndCpu('data_iter', () => {
  test('each epoch covers every example exactly once; the last batch may be short', () => {
    const [X, y] = numbered(23);
    const { order, sizes } = epochIndices(d2l.data_iter(5, X, y));
    expect(sorted(order)).toEqual(range(23));
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    tf.dispose([X, y]);
  });

  test('shuffles, differently each time, and repeats under d2l.seed', () => {
    const [X, y] = numbered(50);
    const a = epochIndices(d2l.data_iter(10, X, y)).order;
    const b = epochIndices(d2l.data_iter(10, X, y)).order;
    expect(a).not.toEqual(range(50));
    expect(a).not.toEqual(b);
    d2l.seed(3);
    const c = epochIndices(d2l.data_iter(10, X, y)).order;
    d2l.seed(3);
    expect(epochIndices(d2l.data_iter(10, X, y)).order).toEqual(c);
    d2l.seed(null);
    tf.dispose([X, y]);
  });

  test('keeps dtype, rank and pairing: int32 features of rank 3, bool labels of rank 1', () => {
    const X = tf.tensor3d(range(20), [5, 2, 2], 'int32');
    const y = tf.tensor1d([true, false, true, false, true], 'bool');
    const seen: number[] = [];
    for (const [xb, yb] of d2l.data_iter(2, X, y)) {
      expect([xb.dtype, yb.dtype, xb.shape.slice(1), yb.rank]).toEqual(['int32', 'bool', [2, 2], 1]);
      const rows = (xb.arraySync() as number[][][]).map((r) => r[0][0] / 4);
      rows.forEach((row, k) => expect(yb.dataSync()[k]).toBe(row % 2 === 0 ? 1 : 0));
      seen.push(...rows);
    }
    expect(sorted(seen)).toEqual(range(5));
    tf.dispose([X, y]);
  });

  test('disposes each batch when the loop moves on, finishes or breaks', () => {
    const [X, y] = numbered(30);
    const before = tf.memory().numTensors;
    let previous: tf.Tensor[] = [];
    for (const batch of d2l.data_iter(10, X, y)) {
      expect(previous.every((t) => t.isDisposed)).toBe(true);
      expect(tf.memory().numTensors).toBe(before + 2);
      previous = batch;
    }
    expect(tf.memory().numTensors).toBe(before);
    for (const batch of d2l.data_iter(10, X, y)) {
      previous = batch;
      break;
    }
    expect(previous.every((t) => t.isDisposed)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([X, y]);
  });

  test('traps: a batch_size that would hang or skip, rows that do not match, no rows at all', () => {
    const [X, y] = numbered(4);
    const first = (it: Iterator<unknown>): unknown => it.next();
    for (const bs of [0, 1.5, -1, NaN]) expect(() => first(d2l.data_iter(bs, X, y))).toThrow(/batch_size/);
    expect(() => first(d2l.data_iter(2, X, tf.zeros([3, 1])))).toThrow(/data_iter/);
    expect(() => first(d2l.data_iter(2, tf.scalar(1), tf.scalar(1)))).toThrow(/data_iter/);
    expect(() => first(d2l.data_iter(2, [[1, 2]] as never, y))).toThrow();
    tf.dispose([X, y]);
  });
});

describe('linreg, squared_loss, sgd', () => {
  test('linreg is Xw + b for one output or several', () => {
    tf.tidy(() => {
      const X = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]);
      expect(d2l.linreg(X, tf.tensor2d([[10], [1]]), tf.tensor1d([0.5])).arraySync()).toEqual([
        [12.5],
        [34.5],
      ]);
      expect(d2l.linreg(X, tf.tensor2d([[10], [1]]), tf.scalar(1)).shape).toEqual([2, 1]);
      const two = d2l.linreg(
        X,
        tf.tensor2d([
          [1, 0],
          [0, 1],
        ]),
        tf.tensor1d([1, 2]),
      );
      expect(two.arraySync()).toEqual([
        [2, 4],
        [4, 6],
      ]);
    });
  });

  test('traps: a b that would broadcast to the wrong shape; shapes that do not fit (tfjs)', () => {
    tf.tidy(() => {
      const [X, w] = [tf.zeros([5, 2]), tf.zeros([2, 1]) as tf.Tensor2D];
      for (const b of [tf.zeros([3]), tf.zeros([5, 1]), tf.zeros([1, 1])]) {
        expect(() => d2l.linreg(X, w, b)).toThrow(/linreg: b/);
      }
      expect(() => d2l.linreg(tf.zeros([5, 3]), w, tf.zeros([1]))).toThrow();
      expect(() => d2l.linreg(X, tf.zeros([2]) as never, tf.zeros([1]))).toThrow();
    });
  });

  test('squared_loss is ½(ŷ − y)² per example, with y reshaped to ŷ (no [n, n] broadcast)', () => {
    const out = tf.tidy(() => d2l.squared_loss(tf.tensor2d([[1], [4]]), tf.tensor1d([3, 1])).arraySync());
    expect(out).toEqual([[2], [4.5]]);
    expect(() => tf.tidy(() => d2l.squared_loss(tf.zeros([3, 1]), tf.zeros([4])))).toThrow();
  });

  test('autograd differentiates squared_loss: ∂/∂ŷ = ŷ − y, and ∂/∂y in the labels own shape', () => {
    const [y_hat, y] = [tf.tensor2d([[1], [2], [3.5]]), tf.tensor1d([0.5, 2.5, 1])];
    const before = tf.memory().numTensors;
    const [dy_hat, dy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => d2l.squared_loss(a, b).sum())([y_hat, y]);
    expect(Array.from(dy_hat.dataSync())).toEqual([0.5, -0.5, 2.5]);
    expect(dy.shape).toEqual([3]);
    expect(Array.from(dy.dataSync())).toEqual([-0.5, 0.5, -2.5]);
    tf.dispose([dy_hat, dy]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([y_hat, y]);
  });

  test('sgd steps each variable by lr · grad / batch_size, in place, leaking nothing', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.scalar(3));
    const before = tf.memory().numTensors;
    tf.tidy(() => d2l.sgd([w, b], { [w.name]: tf.tensor1d([4, 8]), [b.name]: tf.scalar(2) }, 0.5, 2));
    expect([w.arraySync(), b.arraySync()]).toEqual([[0, 0], 2.5]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, b]);
  });

  test('traps: a batch_size that would divide into Infinity or NaN; a missing or misshapen gradient', () => {
    const w = tf.variable(tf.zeros([2, 1]));
    const grads = { [w.name]: tf.ones([2, 1]) };
    for (const bs of [0, -2, 0.5, NaN]) expect(() => d2l.sgd([w], grads, 0.1, bs)).toThrow(/batch_size/);
    expect(w.arraySync()).toEqual([[0], [0]]);
    expect(() => d2l.sgd([w], {}, 0.1, 1)).toThrow();
    expect(() => d2l.sgd([w], { [w.name]: tf.ones([2, 2]) }, 0.1, 1)).toThrow();
    tf.dispose([w, grads[w.name]]);
  });
  test('a gradient missing for a parameter, or grads as an array, is an error that names it; nothing moves', () => {
    const [w, b] = [tf.variable(tf.ones([2, 1])), tf.variable(tf.zeros([1]))];
    const [gw, gb] = [tf.ones([2, 1]), tf.ones([1])];
    const before = tf.memory().numTensors;
    // A loss that does not use b: tf.variableGrads returns no gradient for it.
    expect(() => d2l.sgd([w, b], { [w.name]: gw }, 0.1, 1)).toThrow(/params\[1\]/);
    // PyTorch's order as an array: tfjs names variables '0', '1', … so an index could pass for a name.
    const asArray = Object.assign([gw, gb], { [w.name]: gw, [b.name]: gb });
    expect(() => d2l.sgd([w, b], asArray as unknown as tf.NamedTensorMap, 0.1, 1)).toThrow(/grads.*array/);
    expect([w.arraySync(), b.arraySync()]).toEqual([[[1], [1]], [0]]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, b, gw, gb]);
  });
});

describe('training from scratch (section 3.2) on every backend that loads', () => {
  // wasm and cpu ship with the project and must load; tensorflow only where tfjs-node installed.
  const backends = tfjsNodeInstalled()
    ? (['tensorflow', 'wasm', 'cpu'] as const)
    : (['wasm', 'cpu'] as const);

  test.each(backends)('%s: recovers w and b within 0.01, the tensor count flat over epochs', async (name) => {
    await d2l.useBackend(name);
    d2l.seed(1);
    const true_w = tf.tensor1d([2, -3.4]);
    const [features, labels] = d2l.synthetic_data(true_w, 4.2, 1000);
    const counts: number[] = [];
    const { w, b } = trainScratch(features, labels, { onEpoch: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts).size).toBe(1);
    const wErr = tf.tidy(
      () =>
        tf
          .sub(true_w, w.reshape([-1]))
          .abs()
          .max()
          .dataSync()[0],
    );
    expect(wErr).toBeLessThan(0.01);
    expect(Math.abs(4.2 - b.dataSync()[0])).toBeLessThan(0.01);
    tf.dispose([true_w, features, labels, w, b]);
    d2l.seed(null);
  });
});
