/**
 * The English notebooks' markdown is wrapped at prettier's printWidth, as the rest of the project, so
 * that diffs show what changed. Display formulas, code, tables and headings are exempt. The Chinese
 * notebooks keep a paragraph per line: a line break between two Han characters renders as a space.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NOTEBOOKS_DIR } from '../../src/export';
import { readNotebook } from '../../src/runner/notebook';

const WIDTH = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../.prettierrc.json'), 'utf8')) as {
  printWidth: number;
}).printWidth;

/** The prose lines of a markdown cell longer than WIDTH. */
function longLines(source: string): string[] {
  let fence = false;
  let math = false;
  return source.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const exempt = fence || math || /^\s*(#|\||<|```|~~~)/.test(line) || line.trim().startsWith('$$');
    if (!fence && (line.match(/\$\$/g) ?? []).length % 2 === 1) math = !math;
    return !exempt && line.length > WIDTH;
  });
}

const english = fs.readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith('.ipynb'));

test.each(english)('%s: markdown lines fit in printWidth', (file) => {
  const cells = readNotebook(path.join(NOTEBOOKS_DIR, file)).cells.filter((c) => c.cell_type === 'markdown');
  expect(cells.flatMap((c) => longLines(c.source))).toEqual([]);
});
