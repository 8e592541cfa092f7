/** d2l.seed, the analogue of the book's torch.manual_seed plus random.seed. */
import * as tf from '@tensorflow/tfjs';
import * as d2l from 'd2l';
import { epochIndices, numbered } from '../support/helpers';

beforeAll(async () => {
  await d2l.ready();
});
afterAll(() => d2l.seed(null));

test('makes synthetic data, initial weights and shuffles repeat', () => {
  const draw = (): number[][] =>
    tf.tidy(() => {
      const [X, y] = d2l.synthetic_data(tf.tensor1d([2, -3.4]), 4.2, 20);
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

test('rejects a seed that is not an integer', () => {
  expect(() => d2l.seed(1.5)).toThrow(/seed/);
  expect(() => d2l.seed('1' as never)).toThrow(/seed/);
});
