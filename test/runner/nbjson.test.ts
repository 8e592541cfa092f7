/**
 * The runner writes notebooks as nbformat does, byte for byte: every committed notebook and a corpus of
 * odd values go through nbformat (Python, in the pinned venv) and through the runner's reader and
 * writer, and the files must be equal.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JsonNumber, parseJson, pythonNumber, stringifyJson } from '../../src/runner/nbjson';
import { parseNotebook, serializeNotebook } from '../../src/runner/notebook';
import { venvMissing, VENV_PYTHON } from '../support/jupyter-venv';
import { PROJECT_ROOT } from '../../src/paths';

describe('pythonNumber (json.loads, then json.dumps)', () => {
  it.each([
    ['1e-9', '1e-09'],
    ['0.000001045344', '1.045344e-06'],
    ['1.045344e-06', '1.045344e-06'],
    ['1.0', '1.0'],
    ['1', '1'],
    ['-0', '0'],
    ['-0.0', '-0.0'],
    ['0.0001', '0.0001'],
    ['0.00001', '1e-05'],
    ['1e16', '1e+16'],
    ['1234567890123456.0', '1234567890123456.0'],
    ['12345678901234567890', '12345678901234567890'],
    ['1E5', '100000.0'],
    ['10.50', '10.5'],
    ['0.1', '0.1'],
    ['5e-324', '5e-324'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'],
    ['1e400', 'Infinity'],
    ['NaN', 'NaN'],
  ])('%s → %s', (literal, python) => {
    expect(pythonNumber(literal)).toBe(python);
  });
});

describe('parseJson and stringifyJson', () => {
  it('keep as JsonNumber only the literals a JavaScript number would change', () => {
    const parsed = parseJson(
      '{"a": 1.0, "b": 2, "c": 1e-09, "d": 12345678901234567890, "e": -0.0}',
    ) as Record<string, unknown>;
    expect(parsed.b).toBe(2);
    expect(parsed.c).toBe(1e-9);
    expect(parsed.a).toBeInstanceOf(JsonNumber);
    expect(Number(parsed.a)).toBe(1);
    expect(stringifyJson(parsed)).toBe(
      '{\n "a": 1.0,\n "b": 2,\n "c": 1e-09,\n "d": 12345678901234567890,\n "e": -0.0\n}',
    );
  });

  it('reads what JSON.parse reads and refuses what it refuses', () => {
    const text = '{"s": "t\\u00e9\\n\\"q\\"\\\\", "__proto__": [true, false, null, {}, []], "n": -12.5e-3}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
    for (const bad of ['{', '[1,]', '{"a" 1}', '"open', '01', '1 2', 'nul']) {
      expect(() => parseJson(bad)).toThrow(SyntaxError);
    }
  });

  it('sorts keys by code point, as Python does', () => {
    expect(stringifyJson({ '\u{1F600}': 1, '\uFF01': 2, a: 3 })).toBe('{\n "a": 3,\n "！": 2,\n "😀": 1\n}');
  });
});

test('the notebooks users open are stored as nbformat writes them (so opening and saving changes nothing)', () => {
  const files = execFileSync('git', ['ls-files', 'notebooks/*.ipynb', 'test/e2e/fixtures/*.ipynb'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file !== '');
  expect(files.length).toBeGreaterThan(3);
  // A notebook saved by an older runner fails here: re-run it (npm start) or open and save it in JupyterLab.
  const stale = files.filter((file) => {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
    return serializeNotebook(parseNotebook(text, file)) !== text;
  });
  expect(stale).toEqual([]);
});

const missing = venvMissing();
if (missing) console.warn(`nbformat comparison skipped: ${missing}`);
const withNbformat = missing ? it.skip : it;
const skipped = missing ? ` (skipped: ${missing})` : '';

/** nbformat.read then nbformat.write, in the venv: what JupyterLab's server writes on save. */
function nbformatRewrite(files: string[], outDir: string): void {
  const script = [
    'import sys, os, nbformat',
    'out = sys.argv[1]',
    'for i, f in enumerate(sys.argv[2:]):',
    '    nbformat.write(nbformat.read(f, as_version=4), os.path.join(out, f"{i}.ipynb"))',
  ].join('\n');
  execFileSync(VENV_PYTHON, ['-c', script, outDir, ...files], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A notebook text with every kind of value nbformat keeps: floats and ints of every shape, strings. */
const ODD_VALUES = `{"nbformat": 4, "nbformat_minor": 5, "metadata": {
  "floats": [1e-9, 1.045344e-06, 0.000001045344, 1.0, -0.0, 0.0, 100.0, 1E5, 1e16, 1e15, 123456789012345678.0,
             0.1, 2.5e-5, 0.0001, 1e-4, 3.14159265358979311599796346854, 5e-324, 1.7976931348623157e308, 1e22],
  "ints": [0, -0, 1, -1, 9007199254740993, 12345678901234567890, -98765432109876543210],
  "strings": ["é", "\\u00e9", "tab\\tnew\\nline", "\\u001b[31mred\\u001b[0m", "\\u2028\\u2029", "\\/", "😀", "q\\"\\\\"],
  "keys": {"b": 1, "a": 2, "B": 3, "_": 4, "ä": 5, "😀": 6, "！": 7, "": 8},
  "empty": {"list": [], "object": {}},
  "kernelspec": {"display_name": "TypeScript (d2l-ts)", "language": "typescript", "name": "d2l-ts"}
 },
 "cells": [
  {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# Title\\n\\nline\\r\\nwindows\\rold mac"},
  {"cell_type": "code", "id": "c1", "metadata": {"tags": ["x"], "scale": 2.0}, "execution_count": 3,
   "source": ["a\\n", "b"],
   "outputs": [
    {"output_type": "stream", "name": "stdout", "text": ["1\\n", "2"]},
    {"output_type": "display_data", "metadata": {"image/png": {"width": 350.0, "height": 250}},
     "data": {"text/plain": "x\\ny", "image/svg+xml": "<svg>\\n</svg>", "image/png": "iVBORw0KGgo=\\n",
              "application/vnd.vegalite.v5+json": {"width": 350, "data": {"values": [{"x": -7.0, "y": 9.134720408364594e-12}]}}}},
    {"output_type": "execute_result", "execution_count": 3, "metadata": {}, "data": {"text/plain": ["42"]}},
    {"output_type": "error", "ename": "Error", "evalue": "boom", "traceback": ["Error: boom", "    at Cell In[3], line 1"]}
   ]}
 ]}
`;

withNbformat(
  `every committed notebook and a corpus of odd values, through nbformat and the runner${skipped}`,
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-nbjson-'));
    try {
      const committed = execFileSync('git', ['ls-files', '*.ipynb'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
        .split('\n')
        .filter((file) => file !== '')
        .map((file) => path.join(PROJECT_ROOT, file));
      expect(committed.length).toBeGreaterThan(3);
      const corpus = path.join(dir, 'odd-values.ipynb');
      fs.writeFileSync(corpus, ODD_VALUES);
      const files = [...committed, corpus];
      nbformatRewrite(files, dir);
      const differing = files.filter((file, i) => {
        const ours = serializeNotebook(parseNotebook(fs.readFileSync(file, 'utf8'), file));
        return ours !== fs.readFileSync(path.join(dir, `${i}.ipynb`), 'utf8');
      });
      expect(differing).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

withNbformat(`JavaScript numbers are written as Jupyter stores what a kernel sends${skipped}`, () => {
  // What the runner gets from the kernel: JavaScript values, sent as JSON.stringify writes them; the
  // Jupyter server reads that with Python's json and saves it with nbformat.
  const values = [1e-9, 0.000001045344, 1, -0, 0.1 + 0.2, 2 ** 53 + 2, 1e21, 1e-7, 123.456, -5e-324, NaN];
  const nb = parseNotebook(
    JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }),
    'generated.ipynb',
  );
  nb.metadata.values = values;
  const script =
    'import sys, json, nbformat; nbformat.write(nbformat.from_dict(json.loads(sys.stdin.read())), sys.stdout)';
  const python = spawnSync(VENV_PYTHON, ['-c', script], { input: JSON.stringify(nb), encoding: 'utf8' });
  expect(python.stderr).toBe('');
  expect(serializeNotebook(nb)).toBe(python.stdout);
});
