/** load_array, the loader section 3.3 saves. */
import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';
import { epochIndices, numbered, onWasmAndCpu, range, rows, sorted } from '../support/helpers';

beforeAll(async () => {
  await d2l.ready();
});

onWasmAndCpu('load_array', () => {
  test('re-iterable: every example once per epoch, reshuffled every epoch, the last batch short', () => {
    const [X, y] = numbered(37);
    const loader = d2l.load_array([X, y], 10);
    const epochs = [0, 1, 2].map(() => epochIndices(loader));
    for (const { order, sizes } of epochs) {
      expect(sorted(order)).toEqual(range(37));
      expect(sizes).toEqual([10, 10, 10, 7]);
    }
    expect(epochs[0].order).not.toEqual(epochs[1].order);
    expect(epochs[1].order).not.toEqual(epochs[2].order);
    tf.dispose([X, y]);
  });

  test('in order, every epoch, when is_train is false; repeatable under d2l.seed when true', () => {
    const [X, y] = numbered(12);
    const ordered = d2l.load_array([X, y], 5, false);
    for (let e = 0; e < 2; e++) expect(epochIndices(ordered)).toEqual({ order: range(12), sizes: [5, 5, 2] });
    const orders = [1, 2].map(() => {
      d2l.seed(5);
      return epochIndices(d2l.load_array([X, y], 5)).order;
    });
    expect(orders[1]).toEqual(orders[0]);
    d2l.seed(null);
    tf.dispose([X, y]);
  });

  test('any number of arrays stay paired; nothing leaks across epochs, nor on a break', () => {
    const [X, y] = numbered(20);
    const z = tf.range(0, 20);
    const loader = d2l.load_array([X, y, z], 6);
    const before = tf.memory().numTensors;
    for (let e = 0; e < 3; e++) {
      for (const [xb, yb, zb] of loader) {
        expect(zb.arraySync()).toEqual(rows(xb).map((r) => r[0]));
        expect(yb.shape[0]).toBe(xb.shape[0]);
      }
      expect(tf.memory().numTensors).toBe(before);
    }
    for (const batch of loader) {
      expect(batch).toHaveLength(3);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([X, y, z]);
  });

  test('two loops over one loader at once each cover every example once', () => {
    const [X, y] = numbered(40);
    const loader = d2l.load_array([X, y], 10);
    const outer = loader[Symbol.iterator]();
    const seen = rows((outer.next().value as tf.Tensor[])[0]).map((r) => r[0]);
    expect(sorted(epochIndices(loader).order)).toEqual(range(40));
    for (let step = outer.next(); !step.done; step = outer.next())
      seen.push(...rows(step.value[0]).map((r) => r[0]));
    expect(sorted(seen)).toEqual(range(40));
    tf.dispose([X, y]);
  });

  test('traps, at the call: a batch_size that would hang, arrays whose rows differ', () => {
    const [X, y] = numbered(4);
    for (const bs of [0, 2.5, -1, NaN]) expect(() => d2l.load_array([X, y], bs)).toThrow(/batch_size/);
    expect(() => d2l.load_array([X, tf.zeros([5])], 2)).toThrow(/data_arrays/);
    expect(() => d2l.load_array([X, tf.scalar(1)], 2)).toThrow(/data_arrays/);
    expect(() => d2l.load_array([], 2)).toThrow();
    tf.dispose([X, y]);
  });
});

test('section 3.3 trains a dense layer from load_array batches to w and b, leaking nothing', async () => {
  d2l.seed(2);
  const true_w = tf.tensor1d([2, -3.4]);
  const [features, labels] = d2l.synthetic_data(true_w, 4.2, 1000);
  const net = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  const trainer = tf.train.sgd(0.03);
  const data_iter = d2l.load_array([features, labels], 10);
  const counts: number[] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const [X, y] of data_iter) {
      trainer.minimize(() => tf.losses.meanSquaredError(y, net.apply(X) as tf.Tensor) as tf.Scalar);
    }
    counts.push(tf.memory().numTensors);
  }
  expect(new Set(counts).size).toBe(1);
  const [kernel, bias] = net.getWeights();
  expect(
    Math.max(
      ...Array.from(
        tf.tidy(() =>
          tf
            .sub(true_w, kernel.reshape([-1]))
            .abs()
            .dataSync(),
        ),
      ),
    ),
  ).toBeLessThan(0.01);
  expect(Math.abs(4.2 - bias.dataSync()[0])).toBeLessThan(0.01);
  tf.dispose([true_w, features, labels]);
  net.dispose();
  trainer.dispose();
  d2l.seed(null);
});
