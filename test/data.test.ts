import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';
import { rows } from './helpers';

beforeAll(async () => {
  await d2l.ready();
});

/** features whose row i is [i, -i] and labels whose row i is [10 i], so a batch names its examples. */
function numbered(n: number): [tf.Tensor2D, tf.Tensor2D] {
  const idx = Array.from({ length: n }, (_, i) => i);
  return [
    tf.tensor2d(
      idx.flatMap((i) => [i, -i]),
      [n, 2],
    ),
    tf.tensor2d(
      idx.map((i) => 10 * i),
      [n, 1],
    ),
  ];
}

/** The example indices of one epoch, checking that features and labels stay paired. */
function epochIndices(batches: Iterable<tf.Tensor[]>): { order: number[]; sizes: number[] } {
  const order: number[] = [];
  const sizes: number[] = [];
  for (const [X, y] of batches) {
    const xs = rows(X);
    const ys = rows(y);
    sizes.push(xs.length);
    xs.forEach((r, k) => {
      expect(r).toEqual([r[0], -r[0]]);
      expect(ys[k]).toEqual([10 * r[0]]);
      order.push(r[0]);
    });
  }
  return { order, sizes };
}

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('synthetic_data', () => {
  test('shapes, for w as a tensor or a number array', () => {
    for (const w of [tf.tensor1d([2, -3.4]), [2, -3.4, 1]]) {
      const [X, y] = d2l.synthetic_data(w, 4.2, 7);
      expect(X.shape).toEqual([7, Array.isArray(w) ? 3 : 2]);
      expect(y.shape).toEqual([7, 1]);
      tf.dispose([X, y]);
    }
  });

  test('X ~ N(0, 1) and y = Xw + b + N(0, 0.01²) on a large sample', () => {
    const n = 200000;
    const [X, y] = d2l.synthetic_data([2, -3.4], 4.2, n);
    const stats = tf.tidy(() => {
      const residual = tf.sub(y, tf.add(tf.matMul(X, tf.tensor2d([[2], [-3.4]])), 4.2));
      const moments = (t: tf.Tensor): number[] => {
        const { mean, variance } = tf.moments(t);
        return [mean.dataSync()[0], Math.sqrt(variance.dataSync()[0])];
      };
      return { x: moments(X), r: moments(residual) };
    });
    expect(Math.abs(stats.x[0])).toBeLessThan(0.01);
    expect(Math.abs(stats.x[1] - 1)).toBeLessThan(0.01);
    expect(Math.abs(stats.r[0])).toBeLessThan(1e-4);
    expect(Math.abs(stats.r[1] - 0.01)).toBeLessThan(5e-4);
    tf.dispose([X, y]);
  });

  test('bad input is rejected, naming the argument', () => {
    expect(() => d2l.synthetic_data([], 1, 5)).toThrow(/synthetic_data: w must be a non-empty vector/);
    expect(() => d2l.synthetic_data(tf.zeros([2, 2]), 1, 5)).toThrow(
      /w must be a non-empty vector; got shape \[2,2\]/,
    );
    expect(() => d2l.synthetic_data([1], NaN, 5)).toThrow(/b must be a finite number/);
    for (const n of [0, -3, 2.5, NaN]) {
      expect(() => d2l.synthetic_data([1], 1, n)).toThrow(/num_examples must be a positive integer/);
    }
  });

  test('w must be finite, as an array or a tensor, like b', () => {
    expect(() => d2l.synthetic_data([NaN, 2], 1, 3)).toThrow('synthetic_data: w must be finite; got [NaN,2]');
    const w = tf.tensor1d([2, Infinity]);
    expect(() => d2l.synthetic_data(w, 1, 3)).toThrow('synthetic_data: w must be finite; got [2,Infinity]');
    w.dispose();
  });

  test('w that is neither an array nor a tensor is named, not a TypeError', () => {
    expect(() => d2l.synthetic_data('ab' as never, 1, 3)).toThrow(
      'synthetic_data: w must be a number array or a tf.Tensor; got String',
    );
    expect(() => d2l.synthetic_data(undefined as never, 1, 3)).toThrow(/w must be .*; got undefined/);
  });
});

/** Runs a describe block on the wasm backend and again on cpu, then restores the backend. */
function onWasmAndCpu(name: string, body: () => void): void {
  describe.each(['wasm', 'cpu'] as const)(`${name} on %s`, (backend) => {
    let previous: string;
    beforeAll(async () => {
      previous = tf.getBackend();
      await d2l.useBackend(backend);
    });
    afterAll(() => d2l.useBackend(previous as d2l.BackendName));
    body();
  });
}

// The loaders gather rows with tf.gatherND, except on the cpu backend, where they copy them on the host.
onWasmAndCpu('data_iter', () => {
  test('each epoch covers every example exactly once; the last batch may be short', () => {
    const [X, y] = numbered(23);
    const { order, sizes } = epochIndices(d2l.data_iter(5, X, y));
    expect(sorted(order)).toEqual(range(23));
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    tf.dispose([X, y]);
  });

  test('shuffles, differently each time', () => {
    const [X, y] = numbered(50);
    const a = epochIndices(d2l.data_iter(10, X, y)).order;
    const b = epochIndices(d2l.data_iter(10, X, y)).order;
    expect(a).not.toEqual(range(50));
    expect(a).not.toEqual(b);
    tf.dispose([X, y]);
  });

  test('keeps labels of any rank paired with their rows', () => {
    const X = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const y = tf.tensor1d([10, 20, 30]);
    for (const [xb, yb] of d2l.data_iter(3, X, y)) {
      expect(yb.shape).toEqual([3]);
      const xs = rows(xb);
      (yb.arraySync() as number[]).forEach((v, k) => expect(v).toBe(10 * (xs[k][1] / 2)));
    }
    tf.dispose([X, y]);
  });

  test('int32 features of rank 3 and bool labels keep their dtype, shape and pairing', () => {
    const X = tf.tensor3d(
      Array.from({ length: 20 }, (_, i) => i),
      [5, 2, 2],
      'int32',
    );
    const y = tf.tensor1d([true, false, true, false, true], 'bool');
    const seen: number[] = [];
    for (const [xb, yb] of d2l.data_iter(2, X, y)) {
      expect([xb.dtype, yb.dtype]).toEqual(['int32', 'bool']);
      expect(xb.shape.slice(1)).toEqual([2, 2]);
      const first = Array.from(xb.dataSync()).filter((_, i) => i % 4 === 0); // element [k, 0, 0] is 4·row
      first.forEach((v, k) => {
        seen.push(v / 4);
        expect(yb.dataSync()[k]).toBe((v / 4) % 2 === 0 ? 1 : 0);
      });
    }
    expect(sorted(seen)).toEqual(range(5));
    tf.dispose([X, y]);
  });

  test('disposes each batch when the loop moves on or breaks', () => {
    const [X, y] = numbered(30);
    const before = tf.memory().numTensors;
    for (const batch of d2l.data_iter(10, X, y)) {
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(batch[0].isDisposed).toBe(false);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([X, y]);
  });

  test('bad input is rejected, naming the argument', () => {
    const [X, y] = numbered(4);
    const first = (it: Iterator<unknown>): unknown => it.next();
    for (const bs of [0, 1.5, -1, NaN]) {
      expect(() => first(d2l.data_iter(bs, X, y))).toThrow(
        /data_iter: batch_size must be a positive integer/,
      );
    }
    expect(() => first(d2l.data_iter(2, X, tf.zeros([3, 1])))).toThrow(
      /features has 4 rows but labels has 3/,
    );
    expect(() => first(d2l.data_iter(2, tf.scalar(1), y))).toThrow(/features must have at least one row/);
    tf.dispose([X, y]);
  });

  test('features disposed mid-loop are named, on every backend', () => {
    const [X, y] = numbered(20);
    expect(() => {
      for (const batch of d2l.data_iter(5, X, y)) {
        expect(batch).toHaveLength(2);
        X.dispose();
      }
    }).toThrow('data_iter: features and labels were disposed while the loop still reads them');
    y.dispose();
  });

  test('features and labels that are not tensors are named, not a TypeError', () => {
    const [X] = numbered(2);
    const first = (it: Iterator<unknown>): unknown => it.next();
    expect(() =>
      first(
        d2l.data_iter(
          2,
          [
            [1, 2],
            [3, 4],
          ] as never,
          [1, 2] as never,
        ),
      ),
    ).toThrow('data_iter: features must be a tf.Tensor; got Array');
    expect(() => first(d2l.data_iter(2, X, undefined as never))).toThrow(
      'data_iter: labels must be a tf.Tensor; got undefined',
    );
    X.dispose();
  });
});

onWasmAndCpu('load_array', () => {
  test('re-iterable; reshuffled every training epoch; every example once per epoch', () => {
    const [X, y] = numbered(37);
    const loader = d2l.load_array([X, y], 10);
    expect(loader.numBatches).toBe(4);
    expect(loader.numExamples).toBe(37);
    const epochs = [0, 1, 2].map(() => epochIndices(loader));
    for (const { order, sizes } of epochs) {
      expect(sorted(order)).toEqual(range(37));
      expect(sizes).toEqual([10, 10, 10, 7]);
    }
    expect(epochs[0].order).not.toEqual(epochs[1].order);
    expect(epochs[1].order).not.toEqual(epochs[2].order);
    tf.dispose([X, y]);
  });

  test('in order, every epoch, when is_train is false', () => {
    const [X, y] = numbered(12);
    const loader = d2l.load_array([X, y], 5, false);
    for (let e = 0; e < 2; e++) {
      const { order, sizes } = epochIndices(loader);
      expect(order).toEqual(range(12));
      expect(sizes).toEqual([5, 5, 2]);
    }
    tf.dispose([X, y]);
  });

  test('any number of arrays; leaks nothing across epochs', () => {
    const [X, y] = numbered(20);
    const z = tf.range(0, 20).reshape([20]);
    const loader = d2l.load_array([X, y, z], 6);
    const before = tf.memory().numTensors;
    for (let e = 0; e < 3; e++) {
      for (const [xb, yb, zb] of loader) {
        expect(zb.arraySync()).toEqual(rows(xb).map((r) => r[0]));
        expect(yb.shape[0]).toBe(xb.shape[0]);
      }
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([X, y, z]);
  });

  test('bad input is rejected, naming the argument', () => {
    const [X, y] = numbered(4);
    expect(() => d2l.load_array([], 2)).toThrow(/load_array: data_arrays must be a non-empty array/);
    expect(() => d2l.load_array([X, y], 0)).toThrow(/load_array: batch_size must be a positive integer/);
    expect(() => d2l.load_array([X, tf.zeros([5])], 2)).toThrow(
      /data_arrays\[1\] has 5 rows but data_arrays\[0\] has 4/,
    );
    tf.dispose([X, y]);
  });

  test('two loops over one loader at once each cover every example once', () => {
    const [X, y] = numbered(40);
    const loader = d2l.load_array([X, y], 10);
    const outer = loader[Symbol.iterator]();
    const first = outer.next().value as d2l.tf.Tensor[];
    const outerOrder = rows(first[0]).map((r) => r[0]);
    // A whole epoch in between reshuffles; it must not reorder the rows the outer loop has yet to see.
    expect(sorted(epochIndices(loader).order)).toEqual(range(40));
    for (let step = outer.next(); !step.done; step = outer.next()) {
      outerOrder.push(...rows(step.value[0]).map((r) => r[0]));
    }
    expect(sorted(outerOrder)).toEqual(range(40));
    tf.dispose([X, y]);
  });

  test('a source disposed mid-loop is named, on every backend', () => {
    const [X, y] = numbered(20);
    const loader = d2l.load_array([X, y], 5);
    expect(() => {
      for (const batch of loader) {
        expect(batch).toHaveLength(2);
        y.dispose();
      }
    }).toThrow('load_array: data_arrays[1] was disposed while a loop still reads it');
    X.dispose();
  });

  test('an element of data_arrays that is not a tensor is named, not a TypeError', () => {
    const [X] = numbered(4);
    expect(() => d2l.load_array([X, undefined as never], 2)).toThrow(
      'load_array: data_arrays[1] must be a tf.Tensor; got undefined',
    );
    expect(() => d2l.load_array([[1, 2], X] as never, 2)).toThrow(
      'load_array: data_arrays[0] must be a tf.Tensor; got Array',
    );
    X.dispose();
  });
});

describe('seed', () => {
  afterAll(() => d2l.seed(null));

  test('makes synthetic data, initial weights and shuffles repeat', () => {
    const draw = (): number[][] =>
      tf.tidy(() => {
        const [X, y] = d2l.synthetic_data([2, -3.4], 4.2, 20);
        const w = tf.randomNormal([2, 1], 0, 0.01);
        const order = epochIndices(d2l.data_iter(4, ...numbered(20))).order;
        return [Array.from(X.dataSync()), Array.from(y.dataSync()), Array.from(w.dataSync()), order];
      });
    d2l.seed(7);
    const a = draw();
    d2l.seed(7);
    const b = draw();
    d2l.seed(8);
    const c = draw();
    expect(b).toEqual(a);
    a.forEach((part, k) => expect(c[k]).not.toEqual(part));
  });

  test('rejects a non-integer seed', () => {
    expect(() => d2l.seed(1.5)).toThrow(/seed: n must be an integer/);
  });

  test("a string seed is shown quoted ('1'), not as if it were the number 1", () => {
    expect(() => d2l.seed('1' as never)).toThrow("seed: n must be an integer; got '1'");
  });
});
