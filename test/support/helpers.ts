import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';

/** Trains linear regression from scratch as section 3.2 does and returns the learned parameters. */
export function trainScratch(
  features: tf.Tensor2D,
  labels: tf.Tensor2D,
  { lr = 0.03, batch_size = 10, num_epochs = 3, onEpoch = (): void => {} } = {},
): { w: tf.Variable; b: tf.Variable } {
  const w = tf.variable(tf.randomNormal([features.shape[1], 1], 0, 0.01)) as tf.Variable<tf.Rank.R2>;
  const b = tf.variable(tf.zeros([1]));
  for (let epoch = 0; epoch < num_epochs; epoch++) {
    for (const [X, y] of d2l.data_iter(batch_size, features, labels)) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => d2l.squared_loss(d2l.linreg(X, w, b), y).sum() as tf.Scalar);
        d2l.sgd([w, b], grads, lr, batch_size);
      });
    }
    onEpoch();
  }
  return { w, b };
}

/** Rows of `t` as number arrays, for comparing batches by content. */
export function rows(t: tf.Tensor): number[][] {
  return t.arraySync() as number[][];
}

/** features whose row i is [i, -i] and labels whose row i is [10 i], so a batch names its examples. */
export function numbered(n: number): [tf.Tensor2D, tf.Tensor2D] {
  const idx = range(n);
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

/** The example indices of one epoch and its batch sizes, checking that features and labels stay paired. */
export function epochIndices(batches: Iterable<tf.Tensor[]>): { order: number[]; sizes: number[] } {
  const order: number[] = [];
  const sizes: number[] = [];
  for (const [X, y] of batches) {
    const [xs, ys] = [rows(X), rows(y)];
    sizes.push(xs.length);
    xs.forEach((r, k) => {
      expect([r, ys[k]]).toEqual([[r[0], -r[0]], [10 * r[0]]]);
      order.push(r[0]);
    });
  }
  return { order, sizes };
}

export const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Runs a describe block on the wasm backend and again on cpu, then restores the backend. */
export function onWasmAndCpu(name: string, body: () => void): void {
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

/**
 * Whether the optional native backend package is installed (its install needs a download, or
 * `npm run native`). Where it must be (`D2L_REQUIRE_NATIVE=1`, as CI sets), its absence is an error
 * rather than a skipped test.
 */
export function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch (e) {
    if (process.env.D2L_REQUIRE_NATIVE === '1') {
      throw new Error(
        `D2L_REQUIRE_NATIVE=1 but @tensorflow/tfjs-node is not installed (npm run native): ${e}`,
      );
    }
    return false;
  }
}
