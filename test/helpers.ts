import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';

/** Trains linear regression from scratch as section 3.2 does and returns the learned parameters. */
export function trainScratch(
  features: tf.Tensor2D,
  labels: tf.Tensor2D,
  { lr = 0.03, batch_size = 10, num_epochs = 3, onEpoch = (): void => {} } = {},
): { w: tf.Variable; b: tf.Variable } {
  const w = tf.variable(tf.randomNormal([features.shape[1], 1], 0, 0.01), true);
  const b = tf.variable(tf.zeros([1]), true);
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
