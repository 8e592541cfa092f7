import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NotebookExpectation } from './support/checks';
import { PROJECT_ROOT } from './support/paths';

const BACKEND = /^backend: (tensorflow|wasm|cpu)$/;
/** Three epochs, the last with a loss below 0.001. */
const EPOCHS = [/^epoch 1, loss \d+\.\d{6}$/, /^epoch 2, loss \d+\.\d{6}$/, /^epoch 3, loss 0\.000\d{3}$/];
/** Learned parameters within 0.01 of the true ones. */
const ERRORS = [/^error in w: \[-?0\.00\d{4}, -?0\.00\d{4}\]$/, /^error in b: -?0\.00\d{4}$/];
/** The same lines as the Chinese notebooks print them. */
const ZH_BACKEND = /^后端：(tensorflow|wasm|cpu)$/;
const ZH_EPOCHS = [
  /^迭代周期 1，损失 \d+\.\d{6}$/,
  /^迭代周期 2，损失 \d+\.\d{6}$/,
  /^迭代周期 3，损失 0\.000\d{3}$/,
];
const ZH_ERRORS = [/^w 的估计误差：\[-?0\.00\d{4}, -?0\.00\d{4}\]$/, /^b 的估计误差：-?0\.00\d{4}$/];

/**
 * The notebooks the e2e suite runs, and what each must print and show. Rows whose file does not exist
 * are left out; every other notebooks/*.ipynb runs too, checked for errors and visible plots only.
 */
export const EXPECTATIONS: NotebookExpectation[] = [
  {
    path: 'test/e2e/fixtures/smoke.ipynb',
    lines: ['hello from tslab', /^d2l backend: (tensorflow|wasm|cpu)$/],
    plots: 2,
  },
  // What the chapter's notebooks print; keep in step with them.
  {
    path: 'notebooks/3.1-linear-regression.ipynb',
    lines: [
      BACKEND,
      /^element by element: \d+\.\d{5} sec$/,
      /^at once: +\d+\.\d{5} sec$/,
      /^the loop took \d+× as long, on the (tensorflow|wasm|cpu) backend$/,
    ],
    plots: 1,
  },
  {
    path: 'notebooks/3.2-linear-regression-scratch.ipynb',
    // The same tensor count before and after training: the loop leaks nothing.
    lines: [BACKEND, ...EPOCHS, /^tensors in memory: (\d+) before training, \1 after$/, ...ERRORS],
    plots: 1,
  },
  {
    path: 'notebooks/3.3-linear-regression-concise.ipynb',
    lines: [BACKEND, '100 batches of 10 per epoch', ...EPOCHS, ...ERRORS],
    plots: 0,
  },
  // The Chinese translations (notebooks/zh): the same code, their own words.
  {
    path: 'notebooks/zh/3.1-linear-regression.ipynb',
    lines: [
      ZH_BACKEND,
      /^逐元素相加：\d+\.\d{5} 秒$/,
      /^一次相加： +\d+\.\d{5} 秒$/,
      /^循环的用时是一次相加的 \d+ 倍（(tensorflow|wasm|cpu) 后端）$/,
    ],
    plots: 1,
  },
  {
    path: 'notebooks/zh/3.2-linear-regression-scratch.ipynb',
    lines: [ZH_BACKEND, ...ZH_EPOCHS, /^内存中的张量：训练前 (\d+) 个，训练后 \1 个$/, ...ZH_ERRORS],
    plots: 1,
  },
  {
    path: 'notebooks/zh/3.3-linear-regression-concise.ipynb',
    lines: [ZH_BACKEND, ...ZH_EPOCHS, ...ZH_ERRORS],
    plots: 0,
  },
];

/**
 * The notebooks for this run: E2E_NOTEBOOKS (comma-separated paths from the project root) when set,
 * else the table above plus any other notebooks/*.ipynb.
 */
export function selectNotebooks(env: NodeJS.ProcessEnv = process.env): NotebookExpectation[] {
  const byPath = new Map(EXPECTATIONS.map((row) => [path.normalize(row.path), row]));
  const rowFor = (file: string): NotebookExpectation =>
    byPath.get(path.normalize(file)) ?? { path: file, lines: [] };
  if (env.E2E_NOTEBOOKS) {
    return env.E2E_NOTEBOOKS.split(',')
      .map((file) => file.trim())
      .filter((file) => file !== '')
      .map((file) => {
        if (!fs.existsSync(path.join(PROJECT_ROOT, file)))
          throw new Error(`E2E_NOTEBOOKS: no such notebook ${file}`);
        return rowFor(file);
      });
  }
  const notebooksDir = path.join(PROJECT_ROOT, 'notebooks');
  const found = fs.existsSync(notebooksDir)
    ? fs
        .readdirSync(notebooksDir)
        .filter((name) => name.endsWith('.ipynb'))
        .sort()
        .map((name) => path.join('notebooks', name))
    : [];
  const listed = EXPECTATIONS.filter((row) => fs.existsSync(path.join(PROJECT_ROOT, row.path)));
  const extra = found.filter((file) => !byPath.has(path.normalize(file))).map(rowFor);
  return [...listed, ...extra];
}
