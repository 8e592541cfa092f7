/**
 * What d2l.Animator costs a training loop: section 3.2's loop for 10 epochs (1000 minibatches, a few
 * seconds), once with the board updated every 5 minibatches and once without, alternated in one
 * process. The board's messages go to the fake kernel of the tests (test/support/fake-kernel.ts, the
 * kernel's host object), which here serialises and signs each one as the kernel does (JSON, HMAC-SHA256);
 * the cell's end is the host object's cell-end hook,
 * where the board draws its final figure with the PNG, timed apart. Budget (issue 21): the board adds at
 * most 10 % to the loop, plus that one final rendering.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { d2l } from './d2l';
import { fakeKernel, type FakeKernel } from '../test/support/fake-kernel';

const [NUM_EPOCHS, BATCH_SIZE, LR, EVERY] = [10, 10, 0.03, 5];

/** The d2l-ts kernel's host object, its messages serialised and signed as the kernel sends them (JSON, HMAC-SHA256). */
function signingKernel(): FakeKernel {
  const key = randomBytes(32).toString('hex');
  return fakeKernel(({ update, ...content }) => {
    const header = {
      msg_id: randomBytes(16).toString('hex'),
      msg_type: update ? 'update_display_data' : 'display_data',
    };
    const hmac = createHmac('sha256', key);
    for (const part of [header, {}, {}, content]) hmac.update(JSON.stringify(part));
    hmac.digest('hex');
  });
}

/**
 * The loop's wall and CPU seconds with or without the board, the seconds spent in (and awaiting) the
 * board's `add`, and its final rendering apart.
 */
async function train(
  board: boolean,
  kernel: FakeKernel,
): Promise<{ loop: number; cpu: number; inAdd: number; final: number; finalCpu: number }> {
  const [features, labels] = tf.tidy(() => d2l.synthetic_data(tf.tensor1d([2, -3.4]), 4.2, 1000));
  const w = tf.variable(tf.randomNormal([2, 1], 0, 0.01));
  const b = tf.variable(tf.zeros([1]));
  const num_batches = Math.ceil(features.shape[0] / BATCH_SIZE);
  const animator = board
    ? new d2l.Animator({ xlabel: 'epoch', ylabel: 'loss', yscale: 'log', xlim: [0, NUM_EPOCHS] })
    : undefined;
  let inAdd = 0;
  const [start, cpuStart] = [performance.now(), process.cpuUsage()];
  for (let epoch = 0; epoch < NUM_EPOCHS; epoch++) {
    let i = 0;
    for (const [X, y] of d2l.data_iter(BATCH_SIZE, features, labels)) {
      const l = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => d2l.squared_loss(d2l.linreg(X, w, b), y).sum() as tf.Scalar,
        );
        d2l.sgd([w, b], grads, LR, BATCH_SIZE);
        return value.dataSync()[0] / BATCH_SIZE;
      });
      if (++i % EVERY === 0 && animator) {
        const t = performance.now();
        await animator.add(epoch + i / num_batches, l);
        inAdd += (performance.now() - t) / 1000;
      }
    }
  }
  const loop = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpuStart);
  const cpu = (used.user + used.system) / 1e6;
  const finalStart = process.cpuUsage();
  kernel.endCell();
  const final = (performance.now() - start) / 1000 - loop;
  const finalUsed = process.cpuUsage(finalStart);
  const finalCpu = (finalUsed.user + finalUsed.system) / 1e6;
  tf.dispose([features, labels, w, b]);
  return { loop, cpu, inAdd, final, finalCpu };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the comparison `repeats` times (off and on alternated, the order flipped each repeat); a table. */
export async function boardBench(repeats: number): Promise<{ text: string; result: object }> {
  const backend = await d2l.ready();
  const kernel = signingKernel();
  await train(true, kernel); // warm-up: the first figure loads vega and resvg
  const runs: Record<'off' | 'on', Array<Awaited<ReturnType<typeof train>>>> = { off: [], on: [] };
  for (let r = 0; r < repeats; r++) {
    for (const board of r % 2 === 0 ? [false, true] : [true, false]) {
      const sent = kernel.outputs.length;
      runs[board ? 'on' : 'off'].push(await train(board, kernel));
      if (!board && kernel.outputs.length !== sent)
        throw new Error('board bench: the loop without a board sent messages');
    }
  }
  const m = (side: 'off' | 'on', key: 'loop' | 'cpu' | 'inAdd' | 'final' | 'finalCpu') =>
    median(runs[side].map((t) => t[key]));
  const [wall, cpu] = [m('on', 'loop') / m('off', 'loop') - 1, m('on', 'cpu') / m('off', 'cpu') - 1];
  const share = m('on', 'inAdd') / m('on', 'loop');
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const text = [
    `d2l.Animator's cost (${backend}, 3.2's loop: ${NUM_EPOCHS} epochs of ${1000 / BATCH_SIZE} minibatches, a point every ${EVERY}; medians of ${repeats}, alternated)`,
    `                      without board   with board   added`,
    `  loop, wall          ${m('off', 'loop').toFixed(3)} s         ${m('on', 'loop').toFixed(3)} s      ${pct(wall)}`,
    `  loop, CPU           ${m('off', 'cpu').toFixed(3)} s         ${m('on', 'cpu').toFixed(3)} s      ${pct(cpu)}`,
    `  in add (incl. its yields)           ${m('on', 'inAdd').toFixed(3)} s      ${pct(share)} of the loop`,
    `  final figure with PNG, once at the cell's end: ${m('on', 'final').toFixed(3)} s, CPU ${m('on', 'finalCpu').toFixed(3)} s   (budget: 10 % + this)`,
  ].join('\n');
  return { text, result: { backend, runs, wall, cpu, share } };
}
