/**
 * Trains linear regression from scratch (section 3.2) with the d2l helpers and prints the loss per
 * epoch: the helpers outside a notebook, as a plain script (`npx tsx src/train-scratch.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';

async function main(): Promise<void> {
  console.log(`backend: ${await d2l.ready()}`);
  d2l.seed(42);
  const true_w = tf.tensor1d([2, -3.4]);
  const true_b = 4.2;
  const [features, labels] = d2l.synthetic_data(true_w, true_b, 1000);
  const w = tf.variable(tf.randomNormal([2, 1], 0, 0.01), true, 'w');
  const b = tf.variable(tf.zeros([1]), true, 'b');
  const [lr, num_epochs, batch_size] = [0.03, 3, 10];
  const before = tf.memory().numTensors;
  const timer = new d2l.Timer();
  let steps = 0;
  for (let epoch = 0; epoch < num_epochs; epoch++) {
    for (const [X, y] of d2l.data_iter(batch_size, features, labels)) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => d2l.squared_loss(d2l.linreg(X, w, b), y).sum() as tf.Scalar);
        d2l.sgd([w, b], grads, lr, batch_size);
      });
      steps++;
    }
    const loss = tf.tidy(
      () =>
        d2l
          .squared_loss(d2l.linreg(features, w, b), labels)
          .mean()
          .dataSync()[0],
    );
    console.log(`epoch ${epoch + 1}, loss ${loss.toFixed(6)}`);
  }
  const seconds = timer.stop();
  const wErr = tf.tidy(() => tf.sub(true_w, tf.reshape(w, true_w.shape)).dataSync());
  console.log(`error in w: [${Array.from(wErr, (v) => v.toFixed(6)).join(', ')}]`);
  console.log(`error in b: ${(true_b - b.dataSync()[0]).toFixed(6)}`);
  console.log(
    `${steps} steps in ${seconds.toFixed(3)} s (${((seconds / steps) * 1e6).toFixed(0)} µs per step, with per-epoch loss)`,
  );
  console.log(`tensors: ${before} before training, ${tf.memory().numTensors} after`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
