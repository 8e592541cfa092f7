/**
 * The Chinese notebooks (notebooks/zh) are translations of the English ones, which are the source of
 * the code: a Chinese notebook may differ from its English counterpart only in its markdown and in the
 * string literals of its code cells (labels, legends, printed words). Running both and comparing what
 * they print is in notebooks.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSavedCell, NOTEBOOKS_DIR, notebookPaths } from '../../src/export';
import { readNotebook, type Cell, type Notebook } from '../../src/runner/notebook';
import { codeShape } from '../support/code-shape';

const ZH_DIR = path.join(NOTEBOOKS_DIR, 'zh');

const read = readNotebook;
const text = (cell: Cell): string => cell.source;
const codeCells = (nb: Notebook): string[] => nb.cells.filter((c) => c.cell_type === 'code').map(text);
const ipynbIn = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort();

/** The display formulas ($$ … $$) of a notebook's markdown, in order. */
const formulas = (nb: Notebook): string[] =>
  nb.cells.filter((c) => c.cell_type === 'markdown').flatMap((c) => text(c).match(/\$\$[\s\S]*?\$\$/g) ?? []);

/**
 * Where two code cells first differ, other than in strings and whitespace: the token and the line of
 * the Chinese cell it is on, or null when they have the same shape.
 */
function firstDifference(english: string, chinese: string): string | null {
  const [en, zh] = [codeShape(english), codeShape(chinese)];
  const at = en.findIndex((token, i) => token !== zh[i]);
  if (at < 0 && en.length === zh.length) return null;
  const i = at < 0 ? Math.min(en.length, zh.length) : at;
  return `token ${i}: English ${JSON.stringify(en[i] ?? '(end)')}, Chinese ${JSON.stringify(zh[i] ?? '(end)')}`;
}

test('notebooks/zh translates every English notebook, and only those, under the same file names', () => {
  const english = ipynbIn(NOTEBOOKS_DIR);
  expect(english.length).toBeGreaterThan(0);
  expect(ipynbIn(ZH_DIR)).toEqual(english);
});

test('npm run export reads the English notebooks only, never notebooks/zh', () => {
  const exported = notebookPaths();
  expect(exported.map((f) => path.basename(f))).toEqual(ipynbIn(NOTEBOOKS_DIR));
  expect(exported.every((f) => path.dirname(f) === NOTEBOOKS_DIR)).toBe(true);
});

describe.each(ipynbIn(ZH_DIR))('zh/%s', (file) => {
  const zh = read(path.join(ZH_DIR, file));
  const en = read(path.join(NOTEBOOKS_DIR, file));

  test('has the code cells of the English notebook, in order, differing only in string literals', () => {
    const [enCode, zhCode] = [codeCells(en), codeCells(zh)];
    expect(zhCode.length).toBe(enCode.length);
    const differences = enCode
      .map((source, i) => ({ cell: i + 1, where: firstDifference(source, zhCode[i]) }))
      .filter((d) => d.where !== null)
      .map((d) => `code cell ${d.cell}: ${d.where}`);
    expect(differences).toEqual([]);
  });

  test('copies the //@save cells verbatim: the d2l package has one source', () => {
    const saved = (nb: Notebook) => codeCells(nb).filter(isSavedCell);
    expect(saved(zh)).toEqual(saved(en));
  });

  test('has the same display formulas, its markdown in Chinese, and the same format and kernel', () => {
    expect(formulas(zh)).toEqual(formulas(en));
    const untranslated = zh.cells
      .filter((c) => c.cell_type === 'markdown' && !/\p{Script=Han}/u.test(text(c)))
      .map((c) => c.id);
    expect(untranslated).toEqual([]);
    expect([zh.nbformat, zh.nbformat_minor, zh.metadata.kernelspec]).toEqual([
      en.nbformat,
      en.nbformat_minor,
      en.metadata.kernelspec,
    ]);
  });
});

test('firstDifference names the first token that differs beyond strings', () => {
  const english = "console.log(`epoch ${epoch + 1}`); // why\nplot(x, { xlabel: 'x' });";
  expect(
    firstDifference(english, "console.log(`迭代周期 ${epoch + 1}`); // why\nplot(x, { xlabel: '横轴' });"),
  ).toBe(null);
  expect(
    firstDifference(english, "console.log(`迭代周期 ${epoch}`); // why\nplot(x, { xlabel: 'x' });"),
  ).toMatch(/^token \d+: English "\+", Chinese /);
  expect(
    firstDifference(english, "console.log(`epoch ${epoch + 1}`); // 为什么\nplot(x, { xlabel: 'x' });"),
  ).toMatch(/English "\/\/ why", Chinese "\/\/ 为什么"/);
  expect(firstDifference(english, `${english}\nplot(y);`)).toMatch(/English "\(end\)", Chinese "plot"/);
});
