/** parameters.ts: papermill's injection, in TypeScript; and through the CLI on a real kernel. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNotebooks } from '../../src/runner';
import { parseNotebook, readNotebook, type Notebook } from '../../src/runner/notebook';
import { checkParameters, injectParameters, parseValue } from '../../src/runner/parameters';
import { cli, removeScratchFolders, scratchFolder } from '../support/runner-helpers';

function notebook(tags: string[][]): Notebook {
  const cells = tags.map((t, i) => ({
    cell_type: 'code',
    id: `c${i}`,
    metadata: { tags: t },
    source: `cell ${i}`,
    outputs: [],
    execution_count: null,
  }));
  return parseNotebook(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }), 'p.ipynb');
}
const tagsOf = (nb: Notebook): unknown[] => nb.cells.map((c) => c.metadata.tags);

describe('injectParameters', () => {
  it('adds const declarations right after the cell tagged parameters; a rerun replaces them', () => {
    const nb = notebook([[], ['parameters'], []]);
    injectParameters(nb, { num_epochs: 1, lr: 0.5, name: 'x', sizes: [1, 2] });
    expect(tagsOf(nb)).toEqual([[], ['parameters'], ['injected-parameters'], []]);
    expect(nb.cells[2].source.split('\n').slice(1)).toEqual([
      'const num_epochs = 1;',
      'const lr = 0.5;',
      'const name = "x";',
      'const sizes = [1,2];',
    ]);
    expect(nb.cells[2].id).toMatch(/^[0-9a-f]{8}$/);
    injectParameters(nb, { num_epochs: 2 });
    expect(tagsOf(nb)).toEqual([[], ['parameters'], ['injected-parameters'], []]);
    expect(nb.cells[2].source).toContain('const num_epochs = 2;');
    expect(nb.cells[2].source).not.toContain('lr');
  });

  it('goes first, saying so, without a parameters cell; nothing at all without parameters', () => {
    const nb = notebook([[], []]);
    injectParameters(nb, {});
    expect(nb.cells).toHaveLength(2);
    injectParameters(nb, { a: true });
    expect(tagsOf(nb)[0]).toEqual(['injected-parameters']);
    expect(nb.cells[0].source).toMatch(/no cell is tagged "parameters"/);
  });
});

describe('checkParameters and parseValue', () => {
  it('refuses names a const cannot have, and values without JSON', () => {
    for (const name of ['1x', 'a-b', 'class', '', 'a b'])
      expect(() => checkParameters({ [name]: 1 })).toThrow(/parameters/);
    expect(() => checkParameters({ f: () => 1 })).toThrow(/f has no JSON value/);
    expect(() => checkParameters({ $ok: 1, _also: 'x', camelCase9: null })).not.toThrow();
  });

  it('reads -p values as JSON, else as text', () => {
    expect([
      parseValue('3'),
      parseValue('0.1'),
      parseValue('true'),
      parseValue('[1]'),
      parseValue('"7"'),
    ]).toEqual([3, 0.1, true, [1], '7']);
    expect(parseValue('adam')).toBe('adam');
  });
});

describe('npm run notebooks -- -p NAME VALUE --parameters FILE', () => {
  jest.setTimeout(90_000);
  afterAll(removeScratchFolders);

  it('runs the notebook with the injected values, and a rerun replaces them', async () => {
    const dir = scratchFolder('parameters.ipynb');
    const file = path.join(dir, 'parameters.ipynb');
    const json = path.join(dir, 'params.json');
    fs.writeFileSync(json, JSON.stringify({ lr: 0.5, optimizer: 'adam' }));
    const first = await cli([
      'run',
      file,
      '-p',
      'num_epochs',
      '1',
      '--parameters',
      json,
      '-p',
      'optimizer',
      'sgd',
    ]).done;
    expect(first.code).toBe(0);
    const printed = (): unknown =>
      readNotebook(file).cells.find((c) => c.source.startsWith('console.log'))!.outputs;
    expect(printed()).toEqual([{ output_type: 'stream', name: 'stdout', text: '1 0.5 sgd\n' }]);
    const second = await cli(['run', file, '-p', 'num_epochs', '2']).done;
    expect(second.code).toBe(0);
    const cells = readNotebook(file).cells;
    expect(cells.map((c) => c.metadata.tags ?? [])).toEqual([
      [],
      ['parameters'],
      ['injected-parameters'],
      [],
    ]);
    expect(printed()).toEqual([{ output_type: 'stream', name: 'stdout', text: '2 0.03 sgd\n' }]);
  });

  it('refuses a bad name before any kernel starts, leaving the notebook alone', async () => {
    const dir = scratchFolder('parameters.ipynb');
    const file = path.join(dir, 'parameters.ipynb');
    const before = fs.readFileSync(file, 'utf8');
    const run = cli(['run', file, '-p', 'num-epochs', '1']);
    const { code, stderr } = await run.done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/'num-epochs' is not a valid TypeScript name/);
    expect(stderr).not.toMatch(/starting kernel/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    await expect(runNotebooks([file], { parameters: { 'a b': 1 } })).rejects.toThrow(/'a b'/);
  });
});
