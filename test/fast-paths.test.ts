/**
 * The speed-minded internals of the helpers (bench/ measures them) must not change what they compute:
 * squared_loss's hand-written gradient and the loaders' wasm path that reads rows from wasm memory.
 */
import * as d2l from 'd2l';

const tf = d2l.tf;

describe.each(['cpu', 'wasm'] as const)('on %s', (backend) => {
  beforeAll(async () => {
    await d2l.useBackend(backend);
  });

  test('squared_loss: value and gradients with respect to y_hat and y', () => {
    const y_hat = tf.tensor2d([[1], [2], [4]]);
    const y = tf.tensor1d([0.5, 3, 4]);
    const before = tf.memory().numTensors;
    const loss = d2l.squared_loss(y_hat, y);
    expect(loss.shape).toEqual([3, 1]);
    expect(Array.from(loss.dataSync())).toEqual([0.125, 0.5, 0]);
    const [dYhat, dY] = tf.grads((a: d2l.tf.Tensor, b: d2l.tf.Tensor) => d2l.squared_loss(a, b).sum())([
      y_hat,
      y,
    ]);
    expect(dYhat.shape).toEqual([3, 1]);
    expect(Array.from(dYhat.dataSync())).toEqual([0.5, -1, 0]);
    expect(dY.shape).toEqual([3]);
    expect(Array.from(dY.dataSync(), (v) => v + 0)).toEqual([-0.5, 1, 0]); // + 0 turns −0 into 0
    tf.dispose([loss, dYhat, dY]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([y_hat, y]);
  });

  test('data_iter and load_array give the same batches as on cpu, and the rows they claim', async () => {
    const features = tf.tensor2d(
      Array.from({ length: 46 }, (_, i) => i),
      [23, 2],
    );
    const labels = tf.tensor1d(
      Array.from({ length: 23 }, (_, i) => -i),
      'int32',
    );
    const collect = (): number[][] => {
      d2l.seed(3);
      const rows: number[][] = [];
      const check = (X: d2l.tf.Tensor, y: d2l.tf.Tensor): void => {
        const x = X.arraySync() as number[][];
        const t = y.arraySync() as number[];
        x.forEach((r, k) => {
          expect(r[1]).toBe(r[0] + 1); // a whole row of features, copied intact
          expect(t[k] + r[0] / 2).toBe(0); // the label of the same example
        });
        rows.push(x.map((r) => r[0] / 2));
      };
      for (const [X, y] of d2l.data_iter(5, features, labels)) check(X, y);
      const loader = d2l.load_array([features, labels], 4);
      for (let epoch = 0; epoch < 2; epoch++) for (const [X, y] of loader) check(X, y);
      return rows;
    };
    const before = tf.memory().numTensors;
    const here = collect();
    expect(tf.memory().numTensors).toBe(before);
    await d2l.useBackend('cpu');
    const onCpu = collect();
    await d2l.useBackend(backend);
    expect(here).toEqual(onCpu);
    // data_iter: 5 batches; load_array: 6 batches per epoch; each pass covers every example once.
    const passes = [here.slice(0, 5), here.slice(5, 11), here.slice(11)];
    for (const pass of passes) expect(pass.flat().sort((a, b) => a - b)).toEqual([...Array(23).keys()]);
    tf.dispose([features, labels]);
  });

  test('iterating over disposed tensors fails clearly', () => {
    const features = tf.zeros([4, 2]);
    const labels = tf.zeros([4, 1]);
    const loader = d2l.load_array([features, labels], 2);
    tf.dispose([features, labels]);
    expect(() => [...loader]).toThrow(/data_arrays\[0\] was disposed/);
    expect(() => [...d2l.data_iter(2, features, labels)]).toThrow(/features was disposed/);
  });
});
