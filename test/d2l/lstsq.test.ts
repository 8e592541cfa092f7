import * as d2l from 'd2l';

const tf = d2l.tf;

/** Noise-free data y = Xw + b, so least squares must recover w and b up to float32 rounding. */
function exactData(n: number, w: number[], b: number): [d2l.tf.Tensor2D, d2l.tf.Tensor2D] {
  return tf.tidy(() => {
    const X = tf.randomNormal([n, w.length]) as d2l.tf.Tensor2D;
    const y = tf.add(tf.matMul(X, tf.tensor2d(w, [w.length, 1])), b) as d2l.tf.Tensor2D;
    return [X, y];
  });
}

const withOnes = (X: d2l.tf.Tensor2D): d2l.tf.Tensor2D =>
  tf.concat([X, tf.ones([X.shape[0], 1])], 1) as d2l.tf.Tensor2D;

beforeAll(async () => {
  await d2l.ready();
  d2l.seed(7);
});
afterAll(() => d2l.seed(null));

test('recovers w and b from noise-free data, leaking nothing', () => {
  const [X, y] = exactData(500, [2, -3.4, 0.5], 4.2);
  const before = tf.memory().numTensors;
  const W = tf.tidy(() => d2l.lstsq(withOnes(X), y));
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(W.shape).toEqual([4, 1]);
  const got = Array.from(W.dataSync());
  [2, -3.4, 0.5, 4.2].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
  tf.dispose([X, y, W]);
});

test('solves several targets at once', () => {
  const w = Array.from({ length: 20 }, (_, i) => Math.cos(i));
  const [X, y] = exactData(2000, w, 0);
  const W = tf.tidy(() => d2l.lstsq(X, tf.concat([y, tf.mul(y, -2)], 1) as d2l.tf.Tensor2D));
  expect(W.shape).toEqual([20, 2]);
  const got = W.arraySync();
  w.forEach((v, i) => {
    expect(got[i][0]).toBeCloseTo(v, 3);
    expect(got[i][1]).toBeCloseTo(-2 * v, 3);
  });
  tf.dispose([X, y, W]);
});

test('matches the least-squares fit of noisy data: the residual is orthogonal to the columns of X', () => {
  const [X0, y0] = d2l.synthetic_data(tf.tensor1d([2, -3.4]), 4.2, 1000);
  const X = withOnes(X0);
  const W = d2l.lstsq(X, y0);
  const XtR = tf.tidy(
    () =>
      tf
        .matMul(X, tf.sub(y0, tf.matMul(X, W)), true)
        .abs()
        .max()
        .dataSync()[0],
  );
  expect(XtR).toBeLessThan(1e-3);
  tf.dispose([X0, y0, X, W]);
});

test('dependent columns, NaN and mismatched shapes are errors, not a wrong W', () => {
  tf.tidy(() => {
    const x = tf.randomNormal([50, 1]);
    expect(() => d2l.lstsq(tf.concat([x, tf.mul(x, 2)], 1) as d2l.tf.Tensor2D, tf.ones([50, 1]))).toThrow(
      /lstsq/,
    );
    const withNaN = tf.concat([x, tf.fill([50, 1], NaN)], 1) as d2l.tf.Tensor2D;
    expect(() => d2l.lstsq(withNaN, tf.ones([50, 1]))).toThrow(/lstsq/);
    expect(() => d2l.lstsq(tf.ones([50, 2]), tf.ones([40, 1]))).toThrow(); // tfjs: matMul's inner shapes
  });
});
