/**
 * The cases `npm run bench` times, written the way the notebooks write them (sections 3.1–3.3),
 * with the d2l helpers. Each returns seconds (and what it needs to be checked), never prints.
 */
import * as tf from '@tensorflow/tfjs';
import { d2l } from './d2l';

/**
 * A stopwatch for wall time and this process's CPU time (user + system). CPU time hardly changes when
 * other processes compete for the cores, so it compares backends more fairly on a busy machine.
 */
function stopwatch(): () => { seconds: number; cpu: number } {
  const [wall, cpu] = [performance.now(), process.cpuUsage()];
  return () => {
    const used = process.cpuUsage(cpu);
    return { seconds: (performance.now() - wall) / 1000, cpu: (used.user + used.system) / 1e6 };
  };
}

/** `d2l.synthetic_data` with the true weights given as numbers. */
function syntheticData(true_w: number[], true_b: number, n: number): [tf.Tensor2D, tf.Tensor2D] {
  const w = tf.tensor1d(true_w);
  const data = d2l.synthetic_data(w, true_b, n);
  w.dispose();
  return data;
}

export interface LoopResult {
  seconds: number;
  /** CPU time of the loop, in seconds. */
  cpu: number;
  steps: number;
  /** max |w − true_w| after training, to catch a loop that got fast by going wrong. */
  error: number;
}

function maxAbsError(trueW: number[], w: tf.Tensor): number {
  const got = w.dataSync();
  return Math.max(...trueW.map((v, i) => Math.abs(v - got[i])));
}

/** Section 3.2: 3 epochs of batch 10, lr 0.03 on 1000 examples with 2 features, per-epoch loss included. */
export function scratch(): LoopResult {
  const true_w = [2, -3.4];
  const true_b = 4.2;
  const [features, labels] = syntheticData(true_w, true_b, 1000);
  const w = tf.tidy(() => tf.variable(tf.randomNormal([2, 1], 0, 0.01), true));
  const b = tf.tidy(() => tf.variable(tf.zeros([1]), true));
  const [lr, num_epochs, batch_size] = [0.03, 3, 10];
  const net = d2l.linreg;
  const loss = d2l.squared_loss;
  let steps = 0;
  const stop = stopwatch();
  for (let epoch = 0; epoch < num_epochs; epoch++) {
    for (const [X, y] of d2l.data_iter(batch_size, features, labels)) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => loss(net(X, w, b), y).sum() as tf.Scalar);
        d2l.sgd([w, b], grads, lr, batch_size);
      });
      steps++;
    }
    tf.tidy(
      () =>
        loss(net(features, w, b), labels)
          .mean()
          .dataSync()[0],
    );
  }
  const { seconds, cpu } = stop();
  const error = maxAbsError(true_w, w);
  tf.dispose([features, labels, w, b]);
  return { seconds, cpu, steps, error };
}

/**
 * The same 3.2 loop in the shortest plain TensorFlow.js, without the d2l helpers: the yardstick for
 * what the helpers cost (`npm run bench` reports d2l ÷ plain per backend).
 */
export function scratchPlain(): LoopResult {
  const true_w = [2, -3.4];
  const [features, labels] = syntheticData(true_w, 4.2, 1000);
  const w = tf.tidy(() => tf.variable(tf.randomNormal([2, 1], 0, 0.01), true));
  const b = tf.tidy(() => tf.variable(tf.zeros([1]), true));
  const [lr, num_epochs, batch_size, n] = [0.03, 3, 10, 1000];
  let steps = 0;
  const stop = stopwatch();
  for (let epoch = 0; epoch < num_epochs; epoch++) {
    const order = tf.util.createShuffledIndices(n);
    for (let i = 0; i < n; i += batch_size) {
      tf.tidy(() => {
        const rows = tf.tensor1d(Int32Array.from(order.subarray(i, i + batch_size)), 'int32');
        const [X, y] = [tf.gather(features, rows), tf.gather(labels, rows)];
        const loss = (): tf.Scalar => tf.matMul(X, w).add(b).sub(y).square().div(2).sum();
        const { grads } = tf.variableGrads(loss, [w, b]);
        w.assign(w.sub(grads[w.name].mul(lr / batch_size)));
        b.assign(b.sub(grads[b.name].mul(lr / batch_size)));
      });
      steps++;
    }
    tf.tidy(() => tf.matMul(features, w).add(b).sub(labels).square().div(2).mean().dataSync()[0]);
  }
  const { seconds, cpu } = stop();
  const error = maxAbsError(true_w, w);
  tf.dispose([features, labels, w, b]);
  return { seconds, cpu, steps, error };
}

function conciseSetup(): {
  true_w: number[];
  features: tf.Tensor2D;
  labels: tf.Tensor2D;
  net: tf.Sequential;
} {
  const true_w = [2, -3.4];
  const [features, labels] = syntheticData(true_w, 4.2, 1000);
  const net = tf.sequential({
    layers: [
      tf.layers.dense({
        units: 1,
        inputShape: [2],
        kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01 }),
        biasInitializer: 'zeros',
      }),
    ],
  });
  return { true_w, features, labels, net };
}

/** A concise case's result: its time, its error, and its tensors and model disposed. */
function conciseResult(
  { seconds, cpu }: { seconds: number; cpu: number },
  steps: number,
  { true_w, features, labels, net }: ReturnType<typeof conciseSetup>,
  trainer: tf.Optimizer,
): LoopResult {
  const error = maxAbsError(true_w, net.getWeights()[0]);
  tf.dispose([features, labels]);
  net.dispose();
  trainer.dispose();
  return { seconds, cpu, steps, error };
}

/**
 * Section 3.3 with a custom loop: one dense layer, mean squared error, `tf.train.sgd(0.03)`,
 * 3 epochs over `d2l.load_array` batches of 10, `trainer.minimize`, per-epoch loss included.
 */
export function conciseMinimize(): LoopResult {
  const { true_w, features, labels, net } = conciseSetup();
  const data_iter = d2l.load_array([features, labels], 10);
  const loss = tf.losses.meanSquaredError;
  const trainer = tf.train.sgd(0.03);
  let steps = 0;
  const stop = stopwatch();
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const [X, y] of data_iter) {
      trainer.minimize(() => loss(y, net.apply(X) as tf.Tensor));
      steps++;
    }
    tf.tidy(() => loss(labels, net.apply(features) as tf.Tensor).dataSync()[0]);
  }
  return conciseResult(stop(), steps, { true_w, features, labels, net }, trainer);
}

/** The 3.3 custom loop in plain TensorFlow.js: batches gathered by shuffled index, no `d2l.load_array`. */
export function concisePlain(): LoopResult {
  const { true_w, features, labels, net } = conciseSetup();
  const loss = tf.losses.meanSquaredError;
  const trainer = tf.train.sgd(0.03);
  const n = features.shape[0];
  let steps = 0;
  const stop = stopwatch();
  for (let epoch = 0; epoch < 3; epoch++) {
    const order = tf.util.createShuffledIndices(n);
    for (let i = 0; i < n; i += 10) {
      tf.tidy(() => {
        const rows = tf.tensor1d(Int32Array.from(order.subarray(i, i + 10)), 'int32');
        const [X, y] = [tf.gather(features, rows), tf.gather(labels, rows)];
        trainer.minimize(() => loss(y, net.apply(X) as tf.Tensor));
      });
      steps++;
    }
    tf.tidy(() => loss(labels, net.apply(features) as tf.Tensor).dataSync()[0]);
  }
  return conciseResult(stop(), steps, { true_w, features, labels, net }, trainer);
}

/** Section 3.3 with Keras-style `model.fit` (batch 10, 3 epochs, shuffled), for comparison. */
export async function conciseFit(): Promise<LoopResult> {
  const { true_w, features, labels, net } = conciseSetup();
  const trainer = tf.train.sgd(0.03);
  net.compile({ optimizer: trainer, loss: 'meanSquaredError' });
  const stop = stopwatch();
  await net.fit(features, labels, { batchSize: 10, epochs: 3, shuffle: true, verbose: 0 });
  return conciseResult(stop(), 300, { true_w, features, labels, net }, trainer);
}

export interface VectoriseResult {
  /** Adding element by element through `TensorBuffer` get/set, as the book's Python loop does. */
  loop: number;
  /** One `tf.add` (synchronous on the cpu, wasm and tensorflow backends). */
  once: number;
}

/** Section 3.1: add two ones vectors of length n element by element, then with one operation. */
export function vectorise(n = 100000): VectoriseResult {
  const a = tf.ones([n]);
  const b = tf.ones([n]);
  const c = tf.buffer([n]);
  const [A, B] = [a.bufferSync(), b.bufferSync()];
  const timer = new d2l.Timer();
  for (let i = 0; i < n; i++) c.set(A.get(i) + B.get(i), i);
  const loop = timer.stop();
  timer.start();
  const d = tf.add(a, b);
  const once = timer.stop();
  const sum = tf.tidy(() => tf.sum(tf.sub(c.toTensor(), d)).dataSync()[0]);
  if (sum !== 0) throw new Error('vectorise: the loop and tf.add disagree');
  tf.dispose([a, b, d]);
  return { loop, once };
}

export interface ScaleResult {
  /** One epoch of the from-scratch loop (data_iter, linreg, squared_loss, sgd), batch 1000. */
  epoch?: number;
  epoch_cpu?: number;
  /** The closed form `d2l.lstsq` on [X, 1] (a column of ones for the bias), concatenation included. */
  closed_form?: number;
  closed_form_cpu?: number;
  /** max |w − true_w| of the closed form, or of the epoch when the closed form is skipped. */
  error: number;
}

/** n = 1e6 examples, d = 100 features: one SGD epoch and/or the closed form. */
export function scale(opts: { epoch: boolean; closed: boolean }, n = 1000000, d = 100): ScaleResult {
  const true_w = Array.from({ length: d }, (_, i) => Math.sin(i + 1) * 2);
  const [features, labels] = syntheticData(true_w, 4.2, n);
  const result: ScaleResult = { error: NaN };
  if (opts.epoch) {
    const w = tf.tidy(() => tf.variable(tf.randomNormal([d, 1], 0, 0.01), true));
    const b = tf.tidy(() => tf.variable(tf.zeros([1]), true));
    const batch_size = 1000;
    const stop = stopwatch();
    for (const [X, y] of d2l.data_iter(batch_size, features, labels)) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => d2l.squared_loss(d2l.linreg(X, w, b), y).sum() as tf.Scalar);
        d2l.sgd([w, b], grads, 0.03, batch_size);
      });
    }
    w.dataSync();
    ({ seconds: result.epoch, cpu: result.epoch_cpu } = stop());
    result.error = maxAbsError(true_w, w);
    tf.dispose([w, b]);
  }
  if (opts.closed) {
    const stop = stopwatch();
    const solution = tf.tidy(() => d2l.lstsq(tf.concat([features, tf.ones([n, 1])], 1), labels));
    solution.dataSync();
    ({ seconds: result.closed_form, cpu: result.closed_form_cpu } = stop());
    result.error = maxAbsError(true_w, solution);
    solution.dispose();
  }
  tf.dispose([features, labels]);
  return result;
}
