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

describe.each(['cpu', 'wasm'] as const)('lstsq on %s', (backend) => {
  beforeAll(async () => {
    await d2l.useBackend(backend);
    d2l.seed(7);
  });

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

  test('sums over several blocks of rows and solves several targets at once', () => {
    // Chunks of 256 rows, so 40000 rows end in a short chunk of 64.
    const w = Array.from({ length: 64 }, (_, i) => Math.cos(i));
    const [X, y] = exactData(40000, w, 0);
    const W = tf.tidy(() => d2l.lstsq(X, tf.concat([y, tf.mul(y, -2)], 1)));
    expect(W.shape).toEqual([64, 2]);
    const got = W.arraySync() as number[][];
    w.forEach((v, i) => {
      expect(got[i][0]).toBeCloseTo(v, 3);
      expect(got[i][1]).toBeCloseTo(-2 * v, 3);
    });
    tf.dispose([X, y, W]);
  });

  test('gives the same bits every time, on 40 MB of X', () => {
    // 391 chunks of 256 rows, the last one short.
    const w = Array.from({ length: 100 }, (_, i) => Math.sin(i));
    const [X, y] = exactData(100000, w, 0);
    const [first, second] = [0, 1].map(() => tf.tidy(() => d2l.lstsq(X, y)));
    const got = first.dataSync();
    w.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 3));
    expect(Buffer.from(second.dataSync().buffer)).toEqual(Buffer.from(got.buffer));
    tf.dispose([X, y, first, second]);
  });

  test('keeps the bias of a column with a large mean (float32 sums stay short)', () => {
    // Summed in float32 over 16384 rows at a time, this bias came out as 0.88.
    const n = 100000;
    const [X, y] = tf.tidy(() => {
      const x = tf.add(tf.randomNormal([n, 1]), 100);
      return [withOnes(x as d2l.tf.Tensor2D), tf.add(tf.mul(x, 2), 4.2)];
    });
    const W = d2l.lstsq(X, y);
    const [w, b] = Array.from(W.dataSync());
    expect(Math.abs(w - 2)).toBeLessThan(1e-3);
    expect(Math.abs(b - 4.2)).toBeLessThan(0.1);
    tf.dispose([X, y, W]);
  });

  test('a rank-1 y gives a rank-1 solution; integer X is accepted', () => {
    const X = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2], 'int32');
    const y = tf.tensor1d([1, 2, 3]);
    const W = d2l.lstsq(X, y);
    expect(W.shape).toEqual([2]);
    const got = W.dataSync();
    expect(got[0]).toBeCloseTo(1, 5);
    expect(got[1]).toBeCloseTo(2, 5);
    tf.dispose([X, y, W]);
  });
});

test('lstsq gives the same bits on wasm (X read in place) as on cpu (X staged)', async () => {
  await d2l.useBackend('cpu');
  d2l.seed(11);
  const w = Array.from({ length: 30 }, (_, i) => 1 / (i + 1));
  const [X, y] = exactData(20000, w, 0.5);
  const [xs, ys] = [X.dataSync(), y.dataSync()];
  tf.dispose([X, y]);
  const solve = (): Float32Array =>
    tf.tidy(
      () => d2l.lstsq(tf.tensor2d(xs, [20000, 30]), tf.tensor2d(ys, [20000, 1])).dataSync() as Float32Array,
    );
  const onCpu = solve();
  await d2l.useBackend('wasm');
  expect(Buffer.from(solve().buffer)).toEqual(Buffer.from(onCpu.buffer));
});

test('lstsq works in place when tfjs wasm memory has grown past 2 GB', async () => {
  // Emscripten's malloc returns a signed 32-bit pointer: above 2 GB it is negative unless read unsigned.
  await d2l.useBackend('wasm');
  const big = [tf.zeros([300e6]), tf.zeros([260e6])]; // 2.24 GB
  try {
    const [X, y] = exactData(1000, [1, 2, 3], 0);
    const W = d2l.lstsq(X, y);
    expect(Array.from(W.dataSync()).map((v) => Math.round(v * 1000) / 1000)).toEqual([1, 2, 3]);
    tf.dispose([X, y, W]);
  } finally {
    tf.dispose(big);
  }
}, 60_000);

describe('lstsq rejects bad input', () => {
  let X: d2l.tf.Tensor2D;
  let y: d2l.tf.Tensor2D;
  beforeAll(async () => {
    await d2l.useBackend('cpu');
    X = tf.tensor2d([1, 2, 3, 4, 5, 7], [3, 2]);
    y = tf.tensor2d([1, 2, 3], [3, 1]);
  });
  afterAll(() => tf.dispose([X, y]));

  test.each([
    ['X of rank 1', () => d2l.lstsq(tf.tensor1d([1, 2, 3]), y), /X must be a tensor of shape \[n, d\]/],
    ['y of rank 3', () => d2l.lstsq(X, tf.zeros([3, 1, 1])), /y must be a tensor of shape \[n\] or \[n, k\]/],
    [
      'a non-tensor y',
      () => d2l.lstsq(X, [1, 2, 3] as unknown as d2l.tf.Tensor),
      /y must be a tensor.*; got Array$/,
    ],
    ['rows that differ', () => d2l.lstsq(X, tf.zeros([4, 1])), /X has 3 rows but y has 4/],
    ['fewer rows than columns', () => d2l.lstsq(tf.zeros([1, 2]), tf.zeros([1])), /fewer rows than columns/],
    [
      'dependent columns',
      () => d2l.lstsq(tf.tensor2d([1, 2, 2, 4, 3, 6], [3, 2]), y),
      /columns of X are linearly dependent/,
    ],
    ['a zero column', () => d2l.lstsq(tf.tensor2d([1, 0, 2, 0, 3, 0], [3, 2]), y), /linearly dependent/],
    ['NaN in X', () => d2l.lstsq(tf.tensor2d([1, NaN, 3, 4, 5, 6], [3, 2]), y), /X contains NaN or Infinity/],
    ['Infinity in y', () => d2l.lstsq(X, tf.tensor1d([1, Infinity, 3])), /y contains NaN or Infinity/],
  ])('%s', (_, call, message) => {
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(call)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });
});
