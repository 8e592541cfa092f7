/**
 * d2l.Animator: points recorded everywhere; in a tslab cell, one output shown and then updated in
 * place, redraws throttled without their PNG, and the last state drawn with its PNG when the cell ends.
 * The kernel side runs in a node process that loads tslab's own modules, as plot-kernel.test.ts does.
 */
import { execFileSync } from 'child_process';
import * as d2l from 'd2l';

const { tf } = d2l;

type Message = {
  msg: { data: Record<string, unknown>; transient: { display_id?: string } };
  update: boolean;
};

/** Runs `body` (an async function body with `animator`, `sleep` and `endCell` in scope) in a fake cell. */
function inCell(body: string, { hooks = true } = {}): { messages: Message[]; spec: unknown } {
  const script = `
    const jupyter = require('tslab/dist/jupyter');
    const messages = [];
    jupyter.lastWriteDisplayData = (msg, update) => messages.push({ msg, update });
    const hooks = new Set();
    if (${hooks}) globalThis[Symbol.for('d2l-ts.postExecute')] = hooks;
    const endCell = () => { for (const hook of hooks) hook(); hooks.clear(); };
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const d2l = require('d2l');
    const animator = new d2l.Animator({ xlabel: 'epoch', legend: ['train', 'test'] });
    (async () => {
      ${body}
      console.log(JSON.stringify({ messages, spec: animator.figure().spec }));
    })();`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '');
}
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
  test('one display_data, then update_display_data with the same id; the last, at the end of the cell, has the PNG and every point', () => {
    const { messages, spec } = inCell(`
      for (let i = 1; i <= 4; i++) { await animator.add(i, [1 / i, 2 / i]); await sleep(300); }
      endCell();`);
    expect(messages.map((m) => m.update)).toEqual([false, true, true, true, true]);
    const ids = new Set(messages.map((m) => m.msg.transient.display_id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{16}$/);
    // Spaced further apart than the throttle, each add is drawn at once, without a PNG.
    expect(messages.slice(0, 4).map((m) => Object.keys(m.msg.data).sort())).toEqual(
      Array(4).fill([VEGA_LITE, 'text/plain']),
    );
    const last = messages[4].msg.data;
    expect(Object.keys(last).sort()).toEqual([VEGA_LITE, 'image/png', 'text/plain']);
    expect(last[VEGA_LITE]).toEqual(spec);
    expect(messages[3].msg.data[VEGA_LITE]).toEqual(spec); // the last redraw was already complete
  });

  test('throttling drops the redraws in between but never the last state', () => {
    const { messages, spec } = inCell(`
      const start = Date.now();
      for (let i = 1; i <= 400; i++) {
        const until = Date.now() + 2; while (Date.now() < until) {} // a minibatch of work
        await animator.add(i / 100, [1 / i, 2 / i]);
      }
      const seconds = (Date.now() - start) / 1000;
      endCell();
      messages.push({ seconds });`);
    const seconds = (messages.pop() as unknown as { seconds: number }).seconds;
    expect(messages.length).toBeGreaterThanOrEqual(3); // drawn while the loop ran
    expect(messages.length).toBeLessThanOrEqual(2 + Math.ceil(seconds / 0.25));
    expect(messages.slice(0, -1).every((m) => m.msg.data['image/png'] === undefined)).toBe(true);
    expect(messages[messages.length - 1].msg.data[VEGA_LITE]).toEqual(spec);
    expect(messages[messages.length - 1].msg.data['image/png']).toEqual(expect.any(String));
  });

  test('nothing new since the last PNG: the end of the cell draws nothing more', () => {
    const { messages } = inCell(`
      await animator.add(1, [1, 2]);
      endCell();
      endCell();`);
    expect(messages.map((m) => Object.keys(m.msg.data).length)).toEqual([2, 3]);
  });

  test('in a tslab kernel without the post_execute hook, the last state is drawn shortly after the last add', () => {
    const { messages, spec } = inCell(
      `for (let i = 1; i <= 20; i++) await animator.add(i, [i, 2 * i]);
       await sleep(600);`,
      { hooks: false },
    );
    expect(messages.length).toBe(2);
    expect(messages[1].msg.data['image/png']).toEqual(expect.any(String));
    expect(messages[1].msg.data[VEGA_LITE]).toEqual(spec);
  });
});
