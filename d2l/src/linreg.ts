import * as tf from '@tensorflow/tfjs';

/**
 * The linear regression model Xw + b; defined in section 3.2.
 *
 * @param X inputs of shape [n, d].
 * @param w weights of shape [d, 1].
 * @param b bias, a scalar or shape [1].
 * @returns predictions of shape [n, 1].
 */
export function linreg(X: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (X.rank !== 2 || w.rank !== 2 || X.shape[1] !== w.shape[0]) {
    throw new Error(`linreg: X must be [n, d] and w [d, 1]; got X [${X.shape}] and w [${w.shape}]`);
  }
  return tf.tidy(() => tf.add(tf.matMul(X, w), b));
}

/**
 * Squared loss ½(ŷ − y)² per example, with no reduction; defined in section 3.2.
 *
 * @param y_hat predictions of shape [n, 1].
 * @param y labels with n elements (reshaped to y_hat's shape).
 * @returns losses of y_hat's shape.
 */
export function squared_loss(y_hat: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (y.size !== y_hat.size) {
    throw new Error(`squared_loss: y has ${y.size} elements but y_hat has ${y_hat.size}`);
  }
  return tf.tidy(() =>
    halfSquaredError(y_hat, tf.util.arraysEqual(y.shape, y_hat.shape) ? y : tf.reshape(y, y_hat.shape)),
  );
}

/**
 * ½(a − b)² with its gradient written out (dy·(a − b) for a, its negative for b): one step on the
 * gradient tape instead of three, which roughly halves the loss's share of a small training step.
 */
const halfSquaredError = tf.customGrad((a, b, save) => {
  const diff = tf.sub(a as tf.Tensor, b as tf.Tensor);
  (save as tf.GradSaveFunc)([diff]);
  return {
    value: tf.mul(tf.square(diff), 0.5),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
      const da = tf.mul(dy, saved);
      return [da, tf.neg(da)];
    },
  };
});

/**
 * Minibatch stochastic gradient descent: param ← param − lr · grad / batch_size, in place; defined in
 * section 3.2. TensorFlow.js keeps no `.grad` on a variable, so the gradients are passed in, as the
 * array or the name-keyed map that `tf.variableGrads` returns.
 *
 * @param params the variables to update.
 * @param grads their gradients, in the same order or keyed by variable name.
 * @param lr the learning rate, a finite number.
 * @param batch_size the number of examples the gradients were summed over.
 */
export function sgd(
  params: tf.Variable[],
  grads: tf.Tensor[] | tf.NamedTensorMap,
  lr: number,
  batch_size: number,
): void {
  if (!Number.isFinite(lr)) throw new Error(`sgd: lr must be a finite number; got ${lr}`);
  if (!Number.isInteger(batch_size) || batch_size < 1) {
    throw new Error(`sgd: batch_size must be a positive integer; got ${batch_size}`);
  }
  const gs = params.map((p, i) => (Array.isArray(grads) ? grads[i] : grads[p.name]));
  if (Array.isArray(grads) && grads.length !== params.length) {
    throw new Error(`sgd: got ${params.length} params but ${grads.length} grads`);
  }
  gs.forEach((g, i) => {
    if (g === undefined) throw new Error(`sgd: no gradient for params[${i}] ('${params[i].name}')`);
    if (!tf.util.arraysEqual(g.shape, params[i].shape)) {
      throw new Error(`sgd: grads[${i}] has shape [${g.shape}] but params[${i}] has [${params[i].shape}]`);
    }
  });
  tf.tidy(() => params.forEach((p, i) => p.assign(tf.sub(p, tf.mul(gs[i], lr / batch_size)))));
}
