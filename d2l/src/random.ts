/**
 * Reproducible randomness, the analogue of the book's `torch.manual_seed` plus `random.seed`.
 *
 * TensorFlow.js draws every unseeded random tensor (`tf.randomNormal`, layer initialisers) from a
 * generator seeded by `Math.random()`, and d2l's shuffles use `Math.random()` too. So seeding
 * `Math.random` makes synthetic data, initial weights and minibatch order repeat run to run, without
 * the helpers having to know about d2l.
 */

import * as util from 'util';

const unseededRandom = Math.random;

/** mulberry32: a small, fast 32-bit generator with a full period of 2^32; enough for teaching. */
function mulberry32(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Seeds `Math.random` (and so TensorFlow.js's unseeded random ops and d2l's shuffles): the book's
 * `torch.manual_seed`. d2l-ts's own (the book has no counterpart).
 *
 * @param n an integer seed; `seed(null)` restores the platform's unseeded `Math.random`.
 * @example
 * d2l.seed(42); // the same data, initial weights and shuffles every run
 */
export function seed(n: number | null): void {
  if (n === null) {
    Math.random = unseededRandom;
    return;
  }
  if (!Number.isSafeInteger(n)) throw new Error(`seed: n must be an integer; got ${util.inspect(n)}`);
  Math.random = mulberry32(n);
}
