/**
 * Copy-paste proof: users copy a saved helper into their own notebook. Each //@save cell, alone in a
 * fresh notebook with only the imports the exporter says it needs (no d2l), must compile in a real
 * tslab kernel and work when called once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { externalImports, notebookPaths, readSavedBlocks, SAVE_MARK } from '../../src/export';
import type { SavedBlock } from '../../src/export';
import { tfjsNodeInstalled } from '../support/helpers';
import { executeNotebook, textOf } from '../support/notebook-executor';

/**
 * The import a user writes in a fresh notebook: `@tensorflow/tfjs-node` where it is installed, which is
 * TensorFlow.js with the native backend registered and chosen (plain `@tensorflow/tfjs` would run on
 * cpu and print tfjs's "install tfjs-node" banner), else `@tensorflow/tfjs`.
 */
const NATIVE = tfjsNodeInstalled();
const userImport = (line: string): string =>
  NATIVE ? line.replace("from '@tensorflow/tfjs';", "from '@tensorflow/tfjs-node';") : line;
/** Printed after the helper's use: tfjs chooses its default backend at the first op, not at the import. */
const BACKEND_PRINT = 'console.log(`backend: ${tf.getBackend()}`);';
const usesTf = (block: SavedBlock): boolean =>
  externalImports(block).some((i) => i.includes("'@tensorflow/tfjs'"));

/** One call of each saved helper, printing `name: result`, and the line it must print. */
const USES: Record<string, { code: string; prints: string }> = {
  Timer: {
    code: `const timer = new Timer();
let s = 0;
for (let i = 0; i < 1000; i++) s += Math.sqrt(i);
const t = timer.stop();
console.log(\`Timer: \${t >= 0 && timer.times.length === 1 && timer.avg() === t && timer.cumsum()[0] === t}\`);`,
    prints: 'Timer: true',
  },
  synthetic_data: {
    code: `const [X, y] = synthetic_data(tf.tensor1d([2, -3.4]), 4.2, 5);
console.log(\`synthetic_data: \${JSON.stringify([X.shape, y.shape])}\`);`,
    prints: 'synthetic_data: [[5,2],[5,1]]',
  },
  data_iter: {
    code: `const sizes: number[] = [];
const before = tf.memory().numTensors;
for (const [X, y] of data_iter(3, tf.zeros([7, 2]), tf.zeros([7]))) sizes.push(X.shape[0] * 10 + y.shape[0]);
console.log(\`data_iter: \${sizes.join(',')} leaked \${tf.memory().numTensors - before - 2}\`);`,
    prints: 'data_iter: 33,33,11 leaked 0',
  },
  linreg: {
    code: `console.log(\`linreg: \${linreg(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]), tf.scalar(1)).dataSync()[0]}\`);`,
    prints: 'linreg: 12',
  },
  squared_loss: {
    code: `console.log(\`squared_loss: \${squared_loss(tf.tensor2d([[3]]), tf.tensor1d([1])).dataSync()[0]}\`);`,
    prints: 'squared_loss: 2',
  },
  sgd: {
    code: `const v = tf.variable(tf.tensor1d([1]));
sgd([v], { [v.name]: tf.tensor1d([2]) }, 0.5, 2);
console.log(\`sgd: \${v.dataSync()[0]}\`);`,
    prints: 'sgd: 0.5',
  },
  load_array: {
    code: `const loader = load_array([tf.zeros([5, 2]), tf.zeros([5])], 2, false);
const sizes: number[] = [];
for (let epoch = 0; epoch < 2; epoch++) for (const [X, y] of loader) sizes.push(X.shape[0] * 10 + y.shape[0]);
console.log(\`load_array: \${sizes.join(',')}\`);`,
    prints: 'load_array: 22,22,11,22,22,11',
  },
};

/** The fresh notebook for one saved block: its imports, the cell as written, one call of each helper. */
function copyPasteNotebook(block: SavedBlock): object {
  const uses = block.declarations
    .filter((d) => d.kind !== 'type')
    .map((d) => {
      const use = USES[d.name];
      if (use === undefined)
        throw new Error(`copy-paste.test: add a use of the saved helper '${d.name}' to USES`);
      return `{\n${use.code}\n}`; // a block scope each, so uses cannot clash
    });
  const imports = externalImports(block).map(userImport);
  const sources = [
    imports.join('\n'),
    `${SAVE_MARK}\n${block.code}`,
    uses.join('\n'),
    usesTf(block) ? BACKEND_PRINT : '',
  ].filter((s) => s !== '');
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'd2l-ts', display_name: 'TypeScript (d2l-ts)', language: 'typescript' } },
    cells: sources.map((source, i) => ({
      cell_type: 'code',
      id: `cell-${i}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      source,
    })),
  };
}

const blocks = notebookPaths().flatMap((nb) => readSavedBlocks(nb));
const root = path.join(__dirname, '../..');
// Inside the repository, so that tslab resolves @tensorflow/tfjs from our node_modules, as in a
// user's project. /tmp/ is git-ignored.
fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
const dir = fs.mkdtempSync(path.join(root, 'tmp', 'copy-paste-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the notebooks have saved cells', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(7);
});

// Concurrent: each notebook is a kernel of its own, and most of the time goes to starting it.
test.concurrent.each(blocks.map((b) => [b.declarations.map((d) => d.name).join(', '), b] as const))(
  '%s works pasted alone into a fresh notebook',
  async (_names, block) => {
    const file = path.join(dir, `${block.cellId}.ipynb`);
    fs.writeFileSync(file, JSON.stringify(copyPasteNotebook(block)));
    const result = await executeNotebook(file);
    expect(result.errors).toEqual([]);
    // With tfjs-node, nothing on stderr: no tfjs banner, no TensorFlow start-up log. (Plain tfjs in
    // a fresh notebook runs on cpu, whose one-time banner asks for tfjs-node: that is tfjs's advice.)
    if (NATIVE) expect(result.cells.map((c) => textOf(c.outputs, 'stderr')).join('')).toBe('');
    const printed = result.cells.map((c) => textOf(c.outputs)).join('');
    if (usesTf(block)) expect(printed).toContain(`backend: ${NATIVE ? 'tensorflow' : 'cpu'}\n`);
    for (const d of block.declarations.filter((x) => x.kind !== 'type')) {
      expect(printed).toContain(`${USES[d.name].prints}\n`);
    }
  },
  120000,
);
