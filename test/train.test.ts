import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';
import { tfjsNodeInstalled, trainScratch } from './helpers';

describe('linreg, squared_loss, sgd', () => {
  beforeAll(async () => {
    await d2l.ready();
  });

  test('linreg computes Xw + b with shape [n, 1]', () => {
    const out = tf.tidy(() =>
      d2l
        .linreg(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          tf.tensor2d([[10], [1]]),
          tf.tensor1d([0.5]),
        )
        .arraySync(),
    );
    expect(out).toEqual([[12.5], [34.5]]);
  });

  test('squared_loss is ½(ŷ − y)² per example, with y reshaped to ŷ', () => {
    const out = tf.tidy(() => d2l.squared_loss(tf.tensor2d([[1], [4]]), tf.tensor1d([3, 1])).arraySync());
    expect(out).toEqual([[2], [4.5]]);
  });

  test("squared_loss's gradients (its own, via tf.customGrad) are those of ½(ŷ − y)², to second order", () => {
    const y_hat = tf.tensor2d([[1], [2], [3.5]]);
    for (const y of [tf.tensor2d([[0.5], [2.5], [1]]), tf.tensor1d([0.5, 2.5, 1])]) {
      const before = tf.memory().numTensors;
      const [dy_hat, dy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => d2l.squared_loss(a, b).sum())([y_hat, y]);
      expect(dy_hat.shape).toEqual([3, 1]);
      expect(dy.shape).toEqual(y.shape); // back in the labels' own shape
      expect(Array.from(dy_hat.dataSync())).toEqual([0.5, -0.5, 2.5]); // ŷ − y
      expect(Array.from(dy.dataSync())).toEqual([-0.5, 0.5, -2.5]); // y − ŷ
      // d/dŷ of Σ ∂l/∂ŷ = d/dŷ Σ (ŷ − y) = 1 for every example.
      const second = tf.grad((a: tf.Tensor) =>
        tf.sum(tf.grad((c: tf.Tensor) => d2l.squared_loss(c, y).sum())(a)),
      )(y_hat);
      expect(Array.from(second.dataSync())).toEqual([1, 1, 1]);
      tf.dispose([dy_hat, dy, second]);
      expect(tf.memory().numTensors).toBe(before);
      y.dispose();
    }
    y_hat.dispose();
  });

  test('sgd updates variables in place by lr · grad / batch_size, from an array or a name map', () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'sgd_w');
    const b = tf.variable(tf.scalar(3), true, 'sgd_b');
    tf.tidy(() => d2l.sgd([w, b], [tf.tensor1d([4, 8]), tf.scalar(2)], 0.5, 2));
    expect(w.arraySync()).toEqual([0, 0]);
    expect(b.arraySync()).toBe(2.5);
    const before = tf.memory().numTensors;
    tf.tidy(() => d2l.sgd([w, b], { sgd_w: tf.tensor1d([2, 2]), sgd_b: tf.scalar(1) }, 1, 1));
    expect(w.arraySync()).toEqual([-2, -2]);
    expect(b.arraySync()).toBe(1.5);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, b]);
  });

  test('bad input is rejected, naming the argument', () => {
    const w = tf.variable(tf.zeros([2, 1]), true, 'bad_w');
    const g = tf.zeros([2, 1]);
    expect(() => d2l.linreg(tf.zeros([3, 3]), w, tf.zeros([1]))).toThrow(
      /linreg: X must be \[n, d\] and w \[d, 1\]; got X \[3,3\] and w \[2,1\]/,
    );
    expect(() => d2l.squared_loss(tf.zeros([3, 1]), tf.zeros([4]))).toThrow(
      /y has 4 elements but y_hat has 3/,
    );
    expect(() => d2l.sgd([w], [g], Infinity, 1)).toThrow(/sgd: lr must be a finite number/);
    expect(() => d2l.sgd([w], [g], 0.1, 0)).toThrow(/sgd: batch_size must be a positive integer/);
    expect(() => d2l.sgd([w], [g, g], 0.1, 1)).toThrow(/got 1 params but 2 grads/);
    expect(() => d2l.sgd([w], { other: g }, 0.1, 1)).toThrow(/no gradient for params\[0\] \('bad_w'\)/);
    expect(() => d2l.sgd([w], [tf.zeros([2])], 0.1, 1)).toThrow(
      /grads\[0\] has shape \[2\] but params\[0\] has \[2,1\]/,
    );
    tf.dispose([w, g]);
  });

  test('linreg holds to its doc: w of shape [d, 1], b a scalar or of shape [1]', () => {
    tf.tidy(() => {
      const X = tf.zeros([5, 2]);
      expect(() => d2l.linreg(X, tf.zeros([2, 3]), tf.zeros([1]))).toThrow(
        /linreg: X must be \[n, d\] and w \[d, 1\]; got X \[5,2\] and w \[2,3\]/,
      );
      for (const b of [tf.zeros([3]), tf.zeros([5, 1]), tf.zeros([1, 1])]) {
        expect(() => d2l.linreg(X, tf.zeros([2, 1]), b)).toThrow(
          `linreg: b must be a scalar or of shape [1]; got shape [${b.shape}]`,
        );
      }
      expect(d2l.linreg(X, tf.zeros([2, 1]), tf.scalar(1)).shape).toEqual([5, 1]);
    });
  });

  test('arguments that are not tensors are named, with what was expected, not a TypeError', () => {
    const w = tf.variable(tf.zeros([2]), true, 'typed_w');
    const g = tf.zeros([2]);
    const cases: [() => unknown, string][] = [
      [() => d2l.linreg([[1, 2]] as never, w, g), 'linreg: X must be a tf.Tensor; got Array'],
      [() => d2l.linreg(g, undefined as never, g), 'linreg: w must be a tf.Tensor; got undefined'],
      [() => d2l.linreg(g, w, 0.5 as never), 'linreg: b must be a tf.Tensor; got Number'],
      [() => d2l.squared_loss([1, 2] as never, g), 'squared_loss: y_hat must be a tf.Tensor; got Array'],
      [() => d2l.squared_loss(g, undefined as never), 'squared_loss: y must be a tf.Tensor; got undefined'],
      [() => d2l.sgd(w as never, [g], 0.1, 1), 'sgd: params must be an array of tf.Variable; got Variable'],
      [() => d2l.sgd([g] as never, [g], 0.1, 1), 'sgd: params[0] must be a tf.Variable; got Tensor'],
      [() => d2l.sgd([w], undefined as never, 0.1, 1), 'sgd: grads must be an array of tensors or a map'],
      [() => d2l.sgd([w], [[1, 2]] as never, 0.1, 1), 'sgd: grads[0] must be a tf.Tensor; got Array'],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    tf.dispose([w, g]);
  });
});

describe('Timer', () => {
  test('records intervals; avg, sum and cumsum agree', async () => {
    const timer = new d2l.Timer();
    await new Promise((r) => setTimeout(r, 20));
    const first = timer.stop();
    timer.start();
    const second = timer.stop();
    expect(first).toBeGreaterThan(0.01);
    expect(timer.times).toEqual([first, second]);
    expect(timer.sum()).toBeCloseTo(first + second, 12);
    expect(timer.avg()).toBeCloseTo((first + second) / 2, 12);
    expect(timer.cumsum()).toEqual([first, first + second]);
  });

  test('misuse is an error', () => {
    const timer = new d2l.Timer();
    timer.stop();
    expect(() => timer.stop()).toThrow(/Timer.stop: the timer is not running/);
    const fresh = new d2l.Timer();
    expect(() => fresh.avg()).toThrow(/Timer.avg: no time recorded yet/);
  });
});

describe('training from scratch (section 3.2) on every backend that loads', () => {
  const true_w = [2, -3.4];
  const true_b = 4.2;

  // wasm and cpu ship with the project and must load; tensorflow only where tfjs-node installed.
  const backends = tfjsNodeInstalled()
    ? (['tensorflow', 'wasm', 'cpu'] as const)
    : (['wasm', 'cpu'] as const);

  test.each(backends)('%s: recovers w and b within 0.01, leaking nothing', async (name) => {
    await d2l.useBackend(name);
    d2l.seed(1);
    const [features, labels] = d2l.synthetic_data(true_w, true_b, 1000);
    const counts: number[] = [];
    const { w, b } = trainScratch(features, labels, { onEpoch: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts).size).toBe(1);
    const wErr = tf.tidy(
      () =>
        tf
          .sub(tf.tensor1d(true_w), w.reshape([-1]))
          .abs()
          .max()
          .dataSync()[0],
    );
    expect(wErr).toBeLessThan(0.01);
    expect(Math.abs(true_b - b.dataSync()[0])).toBeLessThan(0.01);
    tf.dispose([features, labels, w, b]);
    d2l.seed(null);
  });
});
