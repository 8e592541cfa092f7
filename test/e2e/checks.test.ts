// The pure parts of the end-to-end harness (test/e2e), which `npm test` can check without Jupyter.
import { findProblems, plotCells, savedCells, type CellOutcome, type PlotShown } from './support/checks';
import { EXPECTATIONS, selectNotebooks } from './notebooks';

const cell = (index: number, text: string, extra: Partial<CellOutcome> = {}): CellOutcome => ({
  index,
  source: `console.log(${index});`,
  ran: true,
  text,
  errors: '',
  ...extra,
});
const plot = (cell: number, extra: Partial<PlotShown> = {}): PlotShown => ({
  cell,
  renderer: 'vega-lite',
  width: 300,
  height: 150,
  inked: 500,
  ...extra,
});
const VEGA = /^vega-lite$/;

describe('findProblems', () => {
  const cells = [cell(1, 'backend: wasm\n'), cell(2, 'epoch 1, loss 0.5\nepoch 2, loss 0.25\n')];

  test('accepts expected lines in order, whole strings or patterns, with other lines between', () => {
    const expectation = { path: 'a.ipynb', lines: ['backend: wasm', /^epoch 2, loss 0\.\d+$/], plots: 1 };
    expect(findProblems(expectation, cells, [plot(2)], [2], VEGA)).toEqual([]);
  });

  test('reports lines that are missing, out of order, or only part of a line', () => {
    const expectation = { path: 'a.ipynb', lines: ['epoch 2, loss 0.25', 'backend: wasm', 'epoch 1'] };
    expect(findProblems(expectation, cells, [], [], VEGA)).toEqual([
      'expected printed line backend: wasm (after line 3 of 3) not found',
      'expected printed line epoch 1 (after line 3 of 3) not found',
    ]);
  });

  test('reports error output and cells that did not run, with the cell and its first line', () => {
    const failed = [cell(3, '', { errors: 'Error: boom\n' }), cell(4, '', { ran: false })];
    expect(findProblems({ path: 'a.ipynb', lines: [] }, failed, [], [], VEGA)).toEqual([
      'cell 3 (console.log(3);) printed an error:\nError: boom',
      'cell 4 (console.log(4);) did not run',
    ]);
  });

  test('reports plot counts, plots missing from the page, other renderers, and plots that draw nothing', () => {
    const expectation = { path: 'a.ipynb', lines: [], plots: 3, minPlots: 4 };
    const shown = [plot(1, { width: 0 }), plot(5, { renderer: 'image/png', inked: 0 })];
    expect(findProblems(expectation, [], shown, [1, 2], VEGA)).toEqual([
      'expected 3 plot(s), the notebook has 2',
      'expected at least 4 plot(s), the notebook has 2',
      'plots in cells [1, 2], the page shows them in [1, 5]',
      'the plot in cell 1 is not visible (0x150 px)',
      'the plot in cell 5 was rendered by image/png, expected /^vega-lite$/',
      'the plot in cell 5 draws nothing',
    ]);
  });
});

describe('savedCells and plotCells', () => {
  test('read printed text, errors, execution and plots from a saved notebook', () => {
    const nb = {
      cells: [
        { cell_type: 'markdown', source: '# x' },
        {
          cell_type: 'code',
          source: ['a\n', 'b'],
          execution_count: 1,
          outputs: [
            { output_type: 'stream', name: 'stdout', text: ['one\n', 'two\n'] },
            { output_type: 'stream', name: 'stderr', text: 'warn\n' },
            {
              output_type: 'display_data',
              data: { 'text/plain': 'plot', 'application/vnd.vegalite.v5+json': {} },
            },
            { output_type: 'error', ename: 'Error', evalue: 'boom', traceback: ['Error: boom'] },
          ],
        },
        { cell_type: 'code', source: 'c', execution_count: null, outputs: [] },
      ],
    };
    expect(savedCells(nb)).toEqual([
      {
        index: 1,
        source: 'a\nb',
        ran: true,
        text: 'one\ntwo\nplot',
        errors: 'warn\nError: boom\nError: boom',
      },
      { index: 2, source: 'c', ran: false, text: '', errors: '' },
    ]);
    expect(plotCells(nb)).toEqual([1]);
  });
});

describe('selectNotebooks', () => {
  test('runs the fixtures and notebooks/*.ipynb by default; E2E_NOTEBOOKS picks some, with their table rows', () => {
    expect(selectNotebooks({}).map((row) => row.path)).toContain('test/e2e/fixtures/smoke.ipynb');
    const smoke = EXPECTATIONS.find((row) => row.path === 'test/e2e/fixtures/smoke.ipynb');
    expect(selectNotebooks({ E2E_NOTEBOOKS: ' test/e2e/fixtures/smoke.ipynb, ' })).toEqual([smoke]);
    expect(selectNotebooks({ E2E_NOTEBOOKS: 'test/e2e/fixtures/failing-cell.ipynb' })).toEqual([
      { path: 'test/e2e/fixtures/failing-cell.ipynb', lines: [] },
    ]);
  });

  test('names a notebook in E2E_NOTEBOOKS that does not exist', () => {
    expect(() => selectNotebooks({ E2E_NOTEBOOKS: 'notebooks/nope.ipynb' })).toThrow(
      'E2E_NOTEBOOKS: no such notebook notebooks/nope.ipynb',
    );
  });
});
