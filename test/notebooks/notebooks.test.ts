/**
 * The committed notebooks run top to bottom in a real tslab kernel, print what their text promises and
 * train to the true parameters.
 */
import * as path from 'node:path';
import { readNotebook } from '../../src/runner/notebook';
import { executeNotebook, textOf } from '../support/notebook-executor';
import type { ExecutedCell, ExecutedNotebook } from '../support/notebook-executor';

const notebook = (name: string): string => path.join(__dirname, '../..', 'notebooks', name);
const stdout = (nb: ExecutedNotebook): string => nb.cells.map((c) => textOf(c.outputs)).join('');
const VEGALITE = 'application/vnd.vegalite.v5+json';
/** A number as the notebooks print it: an integer, a decimal, or in exponent notation. */
const NUMBER = /-?\d+(\.\d+)?(e[-+]?\d+)?/gi;

/** The figures a notebook displayed: outputs with a vega-lite spec and a PNG. */
const figures = (nb: ExecutedNotebook): number =>
  nb.cells
    .flatMap((c) => c.outputs)
    .filter((o) => o.output_type === 'display_data' && o.data?.[VEGALITE] && o.data['image/png']).length;

/** `epoch k, loss x.xxxxxx` lines, in order. */
function epochLosses(text: string): number[] {
  const lines = [...text.matchAll(/^epoch (\d+), loss (\d+\.\d{6})$/gm)];
  expect(lines.map((m) => Number(m[1]))).toEqual([1, 2, 3]);
  return lines.map((m) => Number(m[2]));
}

/** The `error in w: [..]` and `error in b: ..` lines, as numbers. */
function parameterErrors(text: string): number[] {
  const w = /^error in w: \[(-?\d+\.\d+), (-?\d+\.\d+)\]$/m.exec(text);
  const b = /^error in b: (-?\d+\.\d+)$/m.exec(text);
  expect(w).not.toBeNull();
  expect(b).not.toBeNull();
  return [Number(w?.[1]), Number(w?.[2]), Number(b?.[1])];
}

/**
 * The Animator's output in the cell that trains: exactly one figure (the live redraws replaced it in
 * place), and its curve's points, one series, as the spec's compact data holds them.
 */
function trainingCurve(nb: ExecutedNotebook): number[] {
  const [cell] = nb.cells.filter((c) => c.source.includes('new d2l.Animator('));
  const shown = cell.outputs.filter((o) => o.output_type === 'display_data');
  expect(shown).toHaveLength(1);
  expect(Object.keys(shown[0].data ?? {}).sort()).toEqual([VEGALITE, 'image/png', 'text/plain']);
  const spec = shown[0].data?.[VEGALITE] as { data: { values: string } };
  const rows = JSON.parse(spec.data.values) as Array<{ x: number[]; 0: number[] }>;
  expect(rows).toHaveLength(1);
  return rows[0][0];
}

const FILES = [
  '3.1-linear-regression.ipynb',
  '3.2-linear-regression-scratch.ipynb',
  '3.3-linear-regression-concise.ipynb',
];

/** The Chinese translations (notebooks/zh), under the same file names. */
const ZH_FILES = FILES.map((f) => `zh/${f}`);

test.each([...FILES, ...ZH_FILES])(
  '%s is nbformat 4.5 for the d2l-ts kernel and starts as every notebook does',
  (file) => {
    const nb = readNotebook(notebook(file));
    expect([nb.nbformat, nb.nbformat_minor]).toEqual([4, 5]);
    expect(nb.metadata.kernelspec).toEqual({
      name: 'd2l-ts',
      display_name: 'TypeScript (d2l-ts)',
      language: 'typescript',
    });
    expect(
      nb.cells.every((c) => typeof c.id === 'string' && /^[\w-]{1,64}$/.test(c.id)),
    ).toBe(true);
    const [first] = nb.cells.filter((c) => c.cell_type === 'code');
    const setup = first.source;
    expect(setup).toContain("import * as tf from '@tensorflow/tfjs';\nimport * as d2l from 'd2l';");
    expect(setup).toContain('await d2l.ready()');
    expect(setup).toMatch(/d2l\.seed\(\d+\);/);
    expect(nb.cells[nb.cells.length - 1].source).toMatch(/## (Exercises|练习)/);
  },
);

describe('notebooks', () => {
  const run: Record<string, ExecutedNotebook> = {};

  beforeAll(async () => {
    const names = ['3.1', '3.2', '3.3', 'zh/3.1', 'zh/3.2', 'zh/3.3'];
    const results = await Promise.all([...FILES, ...ZH_FILES].map((f) => executeNotebook(notebook(f))));
    names.forEach((n, i) => (run[n] = results[i]));
  }, 400000);

  test.each(['3.1', '3.2', '3.3'])('%s runs without error and prints the backend first', (name) => {
    expect(run[name].errors).toEqual([]);
    expect(stdout(run[name])).toMatch(/^backend: (tensorflow|wasm|cpu)\n/);
  });

  test('3.1 times the loop and the vectorised add, and plots the normal densities', () => {
    const text = stdout(run['3.1']);
    expect(text).toMatch(/^element by element: \d+\.\d{5} sec$/m);
    expect(text).toMatch(/^at once: +\d+\.\d{5} sec$/m);
    expect(text).toMatch(/^the loop took \d+× as long, on the (tensorflow|wasm|cpu) backend$/m);
    expect(figures(run['3.1'])).toBe(1);
  });

  test('3.2 shows the data, trains from scratch without leaking and recovers w and b', () => {
    const text = stdout(run['3.2']);
    expect(text).toMatch(/^features: \[ -?\d.*, -?\d.* \]\nlabel: \[ -?\d.* \]$/m);
    expect(figures(run['3.2'])).toBe(2); // the data, and the training curve
    // A point every 5 of the 100 minibatches of each of the 3 epochs, falling.
    const curve = trainingCurve(run['3.2']);
    expect(curve).toHaveLength(60);
    expect(curve[59]).toBeLessThan(curve[0] / 1000);
    const losses = epochLosses(text);
    expect(losses[2]).toBeLessThan(losses[0]);
    const [, before, after] = /^tensors in memory: (\d+) before training, (\d+) after$/m.exec(text) ?? [];
    expect(after).toBe(before);
    for (const e of parameterErrors(text)) expect(Math.abs(e)).toBeLessThan(0.01);
  });

  test('3.3 trains the dense layer to w and b, with a loss about twice the scratch loss', () => {
    const text = stdout(run['3.3']);
    expect(figures(run['3.3'])).toBe(1);
    const curve = trainingCurve(run['3.3']);
    expect(curve).toHaveLength(60);
    expect(curve[59]).toBeLessThan(curve[0] / 1000);
    const losses = epochLosses(text);
    for (const e of parameterErrors(text)) expect(Math.abs(e)).toBeLessThan(0.01);
    // The notebook's text explains this ratio: MSE has no ½ and both fits end at the noise floor.
    const ratio = losses[2] / epochLosses(stdout(run['3.2']))[2];
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.5);
  });

  // The translations print their own words around the same numbers: compare the numbers, cell by cell.
  test.each(['3.1', '3.2', '3.3'])(
    'zh/%s runs without error, prints the numbers and plots the data of the English notebook',
    (name) => {
      const [en, zh] = [run[name], run[`zh/${name}`]];
      expect(zh.errors).toEqual([]);
      const code = (nb: ExecutedNotebook) => nb.cells.filter((c) => c.cell_type === 'code');
      const [enCells, zhCells] = [code(en), code(zh)];
      expect(zhCells).toHaveLength(enCells.length);
      const printed = (cells: ExecutedCell[]) =>
        cells.map((c) => {
          const numbers = textOf(c.outputs).match(NUMBER) ?? [];
          // A cell that times itself prints different times on every run: only how many numbers.
          return c.source.includes('timer.stop()') ? numbers.map(() => 'a time') : numbers;
        });
      expect(printed(zhCells)).toEqual(printed(enCells));
      expect(printed(enCells).flat().length).toBeGreaterThan(0);
      const plotted = (cells: ExecutedCell[]) =>
        cells
          .flatMap((c) => c.outputs)
          .flatMap((o) => {
            const spec = o.data?.[VEGALITE] as { data: { values: string } } | undefined;
            return spec && o.data?.['image/png'] ? [spec.data.values] : [];
          });
      expect(plotted(zhCells)).toEqual(plotted(enCells));
      expect(plotted(zhCells)).toHaveLength(figures(en));
    },
  );
});
