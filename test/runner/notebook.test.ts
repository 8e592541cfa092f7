/** notebook.ts without a kernel: reading, and writing as nbformat does. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseNotebook, serializeNotebook, splitLines, writeNotebookAtomic } from '../../src/runner/notebook';

describe('splitLines (Python str.splitlines(True))', () => {
  it.each([
    ['', []],
    ['a', ['a']],
    ['a\n', ['a\n']],
    ['a\nb', ['a\n', 'b']],
    ['a\r\nb\rc\n\n', ['a\r\n', 'b\r', 'c\n', '\n']],
    ['x\x0cy\u2028z', ['x\x0c', 'y\u2028', 'z']],
  ])('%j', (text, lines) => {
    expect(splitLines(text)).toEqual(lines);
  });
});

describe('serializeNotebook', () => {
  it('writes what nbformat.write writes: sorted keys, indent 1, split text, JSON bundles kept whole', () => {
    const nb = parseNotebook(
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { orig_nbformat: 3, kernelspec: { name: 'd2l-ts' } },
        cells: [
          {
            cell_type: 'code',
            id: 'c1',
            metadata: { trusted: true },
            execution_count: 1,
            source: ['a\n', 'b'],
            outputs: [
              { output_type: 'stream', name: 'stdout', text: 'x\ny\n' },
              {
                output_type: 'display_data',
                metadata: {},
                data: {
                  'text/plain': 'p',
                  'application/vnd.vegalite.v5+json': { mark: 'bar' },
                  'image/png': 'iVB=',
                },
              },
            ],
          },
        ],
      }),
      'test.ipynb',
    );
    expect(serializeNotebook(nb)).toBe(
      [
        '{',
        ' "cells": [',
        '  {',
        '   "cell_type": "code",',
        '   "execution_count": 1,',
        '   "id": "c1",',
        '   "metadata": {},',
        '   "outputs": [',
        '    {',
        '     "name": "stdout",',
        '     "output_type": "stream",',
        '     "text": [',
        '      "x\\n",',
        '      "y\\n"',
        '     ]',
        '    },',
        '    {',
        '     "data": {',
        '      "application/vnd.vegalite.v5+json": {',
        '       "mark": "bar"',
        '      },',
        '      "image/png": "iVB=",',
        '      "text/plain": [',
        '       "p"',
        '      ]',
        '     },',
        '     "metadata": {},',
        '     "output_type": "display_data"',
        '    }',
        '   ],',
        '   "source": [',
        '    "a\\n",',
        '    "b"',
        '   ]',
        '  }',
        ' ],',
        ' "metadata": {',
        '  "kernelspec": {',
        '   "name": "d2l-ts"',
        '  }',
        ' },',
        ' "nbformat": 4,',
        ' "nbformat_minor": 5',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('rejects what is not an nbformat 4 notebook, naming the file', () => {
    expect(() => parseNotebook('{', 'broken.ipynb')).toThrow(/broken\.ipynb: not a notebook/);
    expect(() => parseNotebook('{"nbformat": 3, "worksheets": []}', 'old.ipynb')).toThrow(
      /old\.ipynb: expected an nbformat 4/,
    );
  });
});

describe('writeNotebookAtomic', () => {
  it('leaves the old file whole and no temporary file behind when writing fails', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-atomic-'));
    try {
      const file = path.join(dir, 'n.ipynb');
      fs.writeFileSync(file, 'old');
      const nb = parseNotebook('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}', file);
      nb.metadata.unserialisable = BigInt(1); // JSON.stringify throws on it, as a crash mid-write would
      expect(() => writeNotebookAtomic(file, nb)).toThrow(/BigInt/);
      expect(fs.readdirSync(dir)).toEqual(['n.ipynb']);
      expect(fs.readFileSync(file, 'utf8')).toBe('old');
      delete nb.metadata.unserialisable;
      writeNotebookAtomic(file, nb);
      expect(parseNotebook(fs.readFileSync(file, 'utf8'), file).cells).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
