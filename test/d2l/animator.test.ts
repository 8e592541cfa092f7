/**
 * d2l.Animator: points recorded everywhere; in a notebook cell, one output shown and then updated in
 * place, redraws throttled without their PNG, and the last state drawn with its PNG when the cell ends.
 * The kernel is the fake one built on the kernel's host object (test/support/fake-kernel.ts); in a
 * tslab kernel without it, the last state comes by a timer: test/kernel/degraded.test.ts.
 */
import * as d2l from 'd2l';
import { fakeKernel, type FakeKernel } from '../support/fake-kernel';

const { tf } = d2l;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const VEGA_LITE = 'application/vnd.vegalite.v5+json';

describe('outside a notebook', () => {
  test('add records one point per series and draws nothing; the figure holds them all', async () => {
    const animator = new d2l.Animator({ legend: ['a', 'b'] });
    for (let i = 1; i <= 5; i++) await animator.add(i, [1 / i, i === 3 ? undefined : 2 / i]);
    await animator.add(6, 0.1); // a number is the first series' value
    const fig = animator.figure();
    const expected = d2l.figure(
      [
        [1, 2, 3, 4, 5, 6],
        [1, 2, 4, 5],
      ],
      [
        [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 0.1],
        [2, 1, 2 / 4, 2 / 5],
      ],
      { legend: ['a', 'b'] },
    );
    expect(fig.spec).toEqual(expected.spec);
  });

  test('a NaN value is a gap in its line, as in plot', async () => {
    const animator = new d2l.Animator();
    for (const [x, y] of [
      [1, 1],
      [2, NaN],
      [3, 3],
      [4, 4],
    ])
      await animator.add(x, y);
    const d = /aria-roledescription="line mark" d="([^"]*)"/.exec(animator.figure().svg)?.[1] ?? '';
    expect(d.split('M').filter(Boolean)).toHaveLength(2);
  });

  test('bad input is an error naming the argument, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const animator = new d2l.Animator({ legend: ['train'] });
    expect(() => animator.add(1, [1, 2])).toThrow(/\by\b/);
    expect(() => animator.add(NaN, 1)).toThrow(/\bx\b/);
    expect(() => animator.add(Infinity, [1])).toThrow(/\bx\b/);
    expect(() => new d2l.Animator({ figsize: [0, 2] })).toThrow(/figsize/);
    const two = new d2l.Animator();
    await two.add(1, [1, 2]); // the first add fixes the number of series without a legend
    expect(() => two.add(2, [1, 2, 3])).toThrow(/\by\b/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('in a notebook cell', () => {
  let kernel: FakeKernel;
  let animator: d2l.Animator;
  beforeEach(() => {
    kernel = fakeKernel();
    animator = new d2l.Animator({ xlabel: 'epoch', legend: ['train', 'test'] });
  });
  afterEach(() => kernel.close());

  test('one display_data, then update_display_data with the same id; the last, at the end of the cell, has the PNG and every point', async () => {
    for (let i = 1; i <= 4; i++) {
      await animator.add(i, [1 / i, 2 / i]);
      await sleep(300);
    }
    kernel.endCell();
    const messages = kernel.outputs;
    const spec = animator.figure().spec;
    expect(messages.map((m) => m.update)).toEqual([false, true, true, true, true]);
    const ids = new Set(messages.map((m) => m.transient.display_id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{16}$/);
    // Spaced further apart than the throttle, each add is drawn at once, without a PNG.
    expect(messages.slice(0, 4).map((m) => Object.keys(m.data).sort())).toEqual(
      Array(4).fill([VEGA_LITE, 'text/plain']),
    );
    const last = messages[4].data;
    expect(Object.keys(last).sort()).toEqual([VEGA_LITE, 'image/png', 'text/plain']);
    expect(last[VEGA_LITE]).toEqual(spec);
    expect(messages[3].data[VEGA_LITE]).toEqual(spec); // the last redraw was already complete
  });

  test('throttling drops the redraws in between but never the last state', async () => {
    const start = Date.now();
    for (let i = 1; i <= 400; i++) {
      const until = Date.now() + 2;
      while (Date.now() < until); // a minibatch of work
      await animator.add(i / 100, [1 / i, 2 / i]);
    }
    const seconds = (Date.now() - start) / 1000;
    kernel.endCell();
    const messages = kernel.outputs;
    const spec = animator.figure().spec;
    expect(messages.length).toBeGreaterThanOrEqual(3); // drawn while the loop ran
    expect(messages.length).toBeLessThanOrEqual(2 + Math.ceil(seconds / 0.25));
    expect(messages.slice(0, -1).every((m) => m.data['image/png'] === undefined)).toBe(true);
    expect(messages[messages.length - 1].data[VEGA_LITE]).toEqual(spec);
    expect(messages[messages.length - 1].data['image/png']).toEqual(expect.any(String));
  });

  test('nothing new since the last PNG: the end of the cell draws nothing more', async () => {
    await animator.add(1, [1, 2]);
    kernel.endCell();
    kernel.endCell();
    expect(kernel.outputs.map((m) => Object.keys(m.data).length)).toEqual([2, 3]);
  });
});
