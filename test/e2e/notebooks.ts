import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NotebookExpectation } from './support/checks';
import { PROJECT_ROOT } from './support/paths';

// Printed lines by pattern, not wording: the lessons are rewritten more often than this table.
// Where the native backend must be there (CI sets D2L_REQUIRE_NATIVE=1), the notebooks must use it.
const NATIVE = process.env.D2L_REQUIRE_NATIVE === '1';
const BACKEND = NATIVE ? /backend: tensorflow/ : /backend: (tensorflow|wasm|cpu)/;
/** Training prints each epoch's loss. */
const EPOCHS = [/epoch 1, loss \d/, /epoch 2, loss \d/, /epoch 3, loss \d/];
/** The same, as the Chinese notebooks (notebooks/zh) print them. */
const ZH_BACKEND = NATIVE ? /后端：tensorflow/ : /后端：(tensorflow|wasm|cpu)/;
const ZH_EPOCHS = [/迭代周期 1，损失 \d/, /迭代周期 2，损失 \d/, /迭代周期 3，损失 \d/];

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
  // What the chapter's notebooks print and show, loosely.
  { path: 'notebooks/3.1-linear-regression.ipynb', lines: [BACKEND], minPlots: 1 },
  // 3.2: the data, and the training curve d2l.Animator draws; 3.3: the training curve.
  { path: 'notebooks/3.2-linear-regression-scratch.ipynb', lines: [BACKEND, ...EPOCHS], plots: 2 },
  { path: 'notebooks/3.3-linear-regression-concise.ipynb', lines: [BACKEND, ...EPOCHS], plots: 1 },
  // The Chinese translations: the same code, their own words.
  { path: 'notebooks/zh/3.1-linear-regression.ipynb', lines: [ZH_BACKEND], minPlots: 1 },
  { path: 'notebooks/zh/3.2-linear-regression-scratch.ipynb', lines: [ZH_BACKEND, ...ZH_EPOCHS], plots: 2 },
  { path: 'notebooks/zh/3.3-linear-regression-concise.ipynb', lines: [ZH_BACKEND, ...ZH_EPOCHS], plots: 1 },
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
  // notebooks/ and its language folders (notebooks/zh/).
  const found: string[] = [];
  const collect = (dir: string): void => {
    if (!fs.existsSync(path.join(PROJECT_ROOT, dir))) return;
    for (const entry of fs
      .readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isFile() && entry.name.endsWith('.ipynb')) found.push(path.join(dir, entry.name));
      else if (entry.isDirectory() && !entry.name.startsWith('.')) collect(path.join(dir, entry.name));
    }
  };
  collect('notebooks');
  const listed = EXPECTATIONS.filter((row) => fs.existsSync(path.join(PROJECT_ROOT, row.path)));
  const extra = found.filter((file) => !byPath.has(path.normalize(file))).map(rowFor);
  return [...listed, ...extra];
}
