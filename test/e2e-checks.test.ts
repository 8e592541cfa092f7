// The pure parts of the end-to-end harness (test/e2e), which `npm test` can check without Jupyter.
import { findProblems, type CellOutcome, type RenderedImage } from './e2e/support/checks';
import { EXPECTATIONS, selectNotebooks } from './e2e/notebooks';

const cell = (index: number, text: string, extra: Partial<CellOutcome> = {}): CellOutcome => ({
  index,
  source: `console.log(${index});`,
  ran: true,
  text,
  errors: '',
  ...extra,
});
const image = (width = 300, height = 150, inked = 3): RenderedImage => ({ cell: 1, width, height, inked });

describe('findProblems', () => {
  const cells = [cell(1, 'backend: wasm\n'), cell(2, 'epoch 1, loss 0.5\nepoch 2, loss 0.25\n')];

  test('accepts expected lines in order, whole strings or patterns, with other lines between', () => {
    const expectation = { path: 'a.ipynb', lines: ['backend: wasm', /^epoch 2, loss 0\.\d+$/], plots: 1 };
    expect(findProblems(expectation, cells, [image()])).toEqual([]);
  });

  test('reports lines that are missing, out of order, or only part of a line', () => {
    const expectation = { path: 'a.ipynb', lines: ['epoch 2, loss 0.25', 'backend: wasm', 'epoch 1'] };
    expect(findProblems(expectation, cells, [])).toEqual([
      'expected printed line backend: wasm (after line 3 of 3) not found',
      'expected printed line epoch 1 (after line 3 of 3) not found',
    ]);
  });

  test('reports error output and cells that did not run, with the cell and its first line', () => {
    const failed = [cell(3, '', { errors: 'Error: boom\n' }), cell(4, '', { ran: false })];
    expect(findProblems({ path: 'a.ipynb', lines: [] }, failed, [])).toEqual([
      'cell 3 (console.log(3);) printed an error:\nError: boom',
      'cell 4 (console.log(4);) did not run',
    ]);
  });

  test('reports a wrong plot count, and plots that are invisible or empty', () => {
    const expectation = { path: 'a.ipynb', lines: [], plots: 3 };
    expect(findProblems(expectation, [], [image(0, 150), image(300, 150, 0)])).toEqual([
      'expected 3 plot(s), found 2 PNG image(s)',
      'the image in cell 1 is not visible (0x150 px)',
      'the image in cell 1 draws nothing',
    ]);
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
