import * as tf from '@tensorflow/tfjs';
import { normalEquations } from './gram';
import { hostValues } from './host';

/**
 * The closed-form least-squares solution argmin_W ‖XW − y‖², the analytic solution of section 3.1.1,
 * through the normal equations XᵀX W = Xᵀy (TensorFlow.js has no solve or Cholesky).
 *
 * XᵀX (d×d) and Xᵀy (d×k) are computed on the host by WebAssembly SIMD kernels, on the calling thread
 * and from the tensors' memory, using the symmetry of XᵀX (see gram.ts); float32 products are summed in
 * float32 over at most 256 rows and in float64 beyond, in a fixed order: the same input gives the same
 * bits. The small d×d system is then solved by Cholesky.
 * For a bias, give X a column of ones: `lstsq(tf.concat([X, tf.ones([n, 1])], 1), y)`. Normal
 * equations square X's condition number: fine for well-conditioned features such as the book's, not
 * for nearly collinear ones. A column whose mean is large against its spread is nearly collinear with
 * the column of ones: centre it first (at mean 100 and spread 1 the bias is off by about 1%).
 *
 * @param X features of shape [n, d], n ≥ d, with linearly independent columns.
 * @param y targets of shape [n] or [n, k].
 * @returns W of shape [d] (when y is [n]) or [d, k], float32.
 */
export function lstsq(X: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (!(X instanceof tf.Tensor) || X.rank !== 2) {
    throw new Error(`lstsq: X must be a tensor of shape [n, d]; got ${describe(X)}`);
  }
  if (!(y instanceof tf.Tensor) || (y.rank !== 1 && y.rank !== 2)) {
    throw new Error(`lstsq: y must be a tensor of shape [n] or [n, k]; got ${describe(y)}`);
  }
  const [n, d] = X.shape;
  const k = y.rank === 1 ? 1 : (y.shape[1] as number);
  if (y.shape[0] !== n) throw new Error(`lstsq: X has ${n} rows but y has ${y.shape[0]}`);
  if (d < 1 || k < 1) throw new Error(`lstsq: X [${X.shape}] and y [${y.shape}] must not be empty`);
  if (n < d) throw new Error(`lstsq: X [${n}, ${d}] has fewer rows than columns; the solution is not unique`);
  const [G, c] = normalEquations(hostValues(X), hostValues(y), n, d, k);
  if (!G.every(Number.isFinite)) throw new Error('lstsq: X contains NaN or Infinity');
  if (!c.every(Number.isFinite)) throw new Error('lstsq: y contains NaN or Infinity');
  const L = cholesky(G, d);
  if (L === null) {
    throw new Error(`lstsq: the columns of X are linearly dependent (XᵀX is not positive definite)`);
  }
  const W = Float32Array.from(choleskySolve(L, c, d, k));
  return y.rank === 1 ? tf.tensor1d(W) : tf.tensor2d(W, [d, k]);
}

function describe(t: unknown): string {
  if (t instanceof tf.Tensor) return `shape [${t.shape}]`;
  return t === null || t === undefined ? String(t) : ((t as object).constructor?.name ?? typeof t);
}

/** Relative pivot below which a column counts as a combination of the others (float32 products). */
const DEPENDENT = 1e-5;

/** The lower-triangular L with A = LLᵀ for a symmetric d×d A, or null if A is not positive definite. */
function cholesky(A: Float64Array, d: number): Float64Array | null {
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j];
    for (let p = 0; p < j; p++) s -= L[j * d + p] * L[j * d + p];
    // s / A[j][j] = 1 − R² of column j on the columns before it; below float32 noise means dependent.
    if (!(s > DEPENDENT * A[j * d + j])) return null;
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j];
      for (let p = 0; p < j; p++) t -= L[i * d + p] * L[j * d + p];
      L[i * d + j] = t / ljj;
    }
  }
  return L;
}

/** Solves LLᵀ W = c for W (d×k, row-major) by forward then backward substitution. */
function choleskySolve(L: Float64Array, c: Float64Array, d: number, k: number): Float64Array {
  const W = Float64Array.from(c);
  for (let col = 0; col < k; col++) {
    for (let i = 0; i < d; i++) {
      let s = W[i * k + col];
      for (let p = 0; p < i; p++) s -= L[i * d + p] * W[p * k + col];
      W[i * k + col] = s / L[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = W[i * k + col];
      for (let p = i + 1; p < d; p++) s -= L[p * d + i] * W[p * k + col];
      W[i * k + col] = s / L[i * d + i];
    }
  }
  return W;
}
