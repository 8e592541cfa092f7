/**
 * The display path in the d2l-ts kernel: `plot` sends ONE display_data carrying the whole MIME bundle
 * through the kernel's host object (here the fake kernel built on it, test/support/fake-kernel.ts). In a
 * tslab kernel without the host object, the public API's PNG: test/kernel/degraded.test.ts.
 */
import * as d2l from 'd2l';
import { KERNEL_HOST, whenKernelIdle } from 'd2l/dist/figure/display';
import { figureWarmUp } from 'd2l/dist/plot';
import { fakeKernel, type FakeKernel } from '../support/fake-kernel';

let kernel: FakeKernel;
beforeEach(() => {
  kernel = fakeKernel();
});
afterEach(() => kernel.close());

test("in a running cell, plot sends one display_data with vega-lite, a 2× PNG shown at the figure's size and text", () => {
  const ret = d2l.plot(
    [1, 2, 3],
    [
      [1, 4, 9],
      [1, 2, 3],
    ],
    { xlabel: 'n', legend: ['square', 'n'] },
  );
  expect(ret).toBeUndefined();
  expect(kernel.outputs).toHaveLength(1);
  const [output] = kernel.outputs;
  expect(output.update).toBe(false);
  expect(Object.keys(output.data).sort()).toEqual([
    'application/vnd.vegalite.v5+json',
    'image/png',
    'text/plain',
  ]);
  expect(output.data['application/vnd.vegalite.v5+json']).toMatchObject({
    $schema: expect.stringContaining('/v5'),
  });
  expect(Buffer.from(output.data['image/png'] as string, 'base64').readUInt32BE(16)).toBe(700);
  expect(output.data['text/plain']).toBe('<Figure 350×250>');
  expect(output).toMatchObject({ metadata: { 'image/png': { width: 350, height: 250 } }, transient: {} });
});

test('a host object of another version is left alone: plot returns the figure and sends nothing', () => {
  const globals = globalThis as Record<symbol, unknown>;
  const host = globals[KERNEL_HOST] as { version: number };
  globals[KERNEL_HOST] = { ...host, version: host.version + 1 };
  expect(d2l.plot([1, 2, 3])).toBeInstanceOf(d2l.Figure);
  expect(kernel.outputs).toEqual([]);
});

test('outside a kernel, plot returns the figure', () => {
  kernel.close();
  expect(d2l.plot([1, 2, 3])).toBeInstanceOf(d2l.Figure);
  expect(kernel.outputs).toEqual([]);
});

describe("the figure warm-up (run in the kernel's idle time)", () => {
  test('draws no random number and shows nothing', () => {
    d2l.seed(3);
    const expected = [Math.random(), Math.random()];
    d2l.seed(3);
    for (const step of figureWarmUp()) step();
    expect([Math.random(), Math.random()]).toEqual(expected);
    d2l.seed(null);
    expect(kernel.outputs).toEqual([]);
  });

  test('leaves the figures drawn after it byte for byte as they were (SVG and PNG)', () => {
    kernel.close(); // the fresh modules below schedule no warm-up of their own
    const draw = (warm: boolean): [string, string] => {
      let drawn: [string, string] = ['', ''];
      jest.isolateModules(() => {
        const fresh = require('d2l/dist/plot') as typeof import('d2l/dist/plot'); // eslint-disable-line @typescript-eslint/no-require-imports
        if (warm) for (const step of fresh.figureWarmUp()) step();
        const x = Array.from({ length: 200 }, (_, i) => Math.sin(i));
        const fig = fresh.figure(x, [x.map((v, i) => 3 * v + Math.cos(7 * i))], { xlabel: 'f', fmts: ['.'] });
        drawn = [fig.svg, fig.png!.toString('base64')];
      });
      return drawn;
    };
    expect(draw(true)).toEqual(draw(false));
  });

  test("is scheduled only where the kernel's host object takes idle tasks", () => {
    const steps = [() => {}, () => {}];
    const globals = globalThis as Record<symbol, unknown>;
    const real = globals[KERNEL_HOST] as object;
    const whenIdle = jest.fn();
    globals[KERNEL_HOST] = { ...real, whenIdle };
    expect(whenKernelIdle(steps)).toBe(true);
    expect(whenIdle.mock.calls).toEqual(steps.map((step) => [step]));
    globals[KERNEL_HOST] = { ...real, whenIdle: undefined }; // an older kernel
    expect(whenKernelIdle(steps)).toBe(false);
    kernel.close();
    expect(whenKernelIdle(steps)).toBe(false);
  });
});
