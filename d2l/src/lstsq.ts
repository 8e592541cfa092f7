import * as tf from '@tensorflow/tfjs';

/**
 * The least-squares solution argmin_W ‖XW − y‖², the analytic solution of section 3.1, from the normal
 * equations XᵀX W = Xᵀy. TensorFlow.js computes XᵀX and Xᵀy; it has no solver, so the small d×d system
 * is solved here by Cholesky in float64. For a bias, give X a column of ones:
 * `lstsq(tf.concat([X, tf.ones([n, 1])], 1), y)`. The normal equations square X's condition number:
 * fine for well-conditioned features such as the book's, not for nearly dependent columns (centre a
 * column whose mean is large against its spread). Defined in section 3.1 (exercise 2).
 *
 * @param X features of shape [n, d], with linearly independent columns.
 * @param y targets of shape [n, k].
 * @returns W of shape [d, k].
 * @example
 * const W = d2l.lstsq(tf.tensor2d([[1, 0], [0, 1], [1, 1]]), tf.tensor2d([[1], [2], [3]])); // [[1], [2]]
 */
export function lstsq(X: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const [XtX, Xty] = tf.tidy(() => [tf.matMul(X, X, true), tf.matMul(X, y, true)]);
  const [A, W] = [Float64Array.from(XtX.dataSync()), Float64Array.from(Xty.dataSync())];
  tf.dispose([XtX, Xty]);
  const [d, k] = [X.shape[1], y.shape[1]];
  // A = LLᵀ, L lower triangular, written over A's lower triangle.
  for (let j = 0; j < d; j++) {
    for (let i = j; i < d; i++) {
      let s = A[i * d + j];
      for (let p = 0; p < j; p++) s -= A[i * d + p] * A[j * d + p];
      // s is what column j adds to the columns before it; float32 products leave noise near 1e-6.
      if (i === j && !(s > 1e-5 * A[j * d + j])) throw new Error('lstsq: X has dependent columns (or NaN)');
      A[i * d + j] = i === j ? Math.sqrt(s) : s / A[j * d + j];
    }
  }
  // L z = Xᵀy forwards, then Lᵀ W = z backwards, one column of W at a time.
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < d; i++) {
      for (let p = 0; p < i; p++) W[i * k + c] -= A[i * d + p] * W[p * k + c];
      W[i * k + c] /= A[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      for (let p = i + 1; p < d; p++) W[i * k + c] -= A[p * d + i] * W[p * k + c];
      W[i * k + c] /= A[i * d + i];
    }
  }
  return tf.tensor2d(Float32Array.from(W), [d, k]);
}
