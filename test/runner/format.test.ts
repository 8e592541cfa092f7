/** The runner's pure parts: nbformat serialisation and the iopub → output conversion (no kernel). */
import { CellOutputs, coalesceStreams, DisplayRegistry, type Output } from '../../src/runner/outputs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseNotebook, serializeNotebook, splitLines, writeNotebookAtomic } from '../../src/runner/notebook';
import { decode, encode, request, type Message } from '../../src/runner/wire';

const message = (msg_type: string, content: Message['content']): Message => ({
  ...request('session', msg_type, content),
  parent_header: { msg_id: 'parent' },
});
const stream = (name: 'stdout' | 'stderr', text: string): Message => message('stream', { name, text });

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

describe('wire', () => {
  it('signs with HMAC-SHA256 and refuses a message signed with another key', () => {
    const frames = encode(request('s', 'kernel_info_request', {}), 'key-a');
    expect(decode(frames, 'key-a').header.msg_type).toBe('kernel_info_request');
    expect(() => decode(frames, 'key-b')).toThrow(/invalid HMAC/);
  });
});

describe('CellOutputs', () => {
  it('merges consecutive same-name streams and applies carriage returns, as nbconvert does', () => {
    expect(
      coalesceStreams([
        { output_type: 'stream', name: 'stdout', text: 'a\n' },
        { output_type: 'stream', name: 'stdout', text: '10%\r100%\n' },
        { output_type: 'stream', name: 'stderr', text: 'w\n' },
        { output_type: 'stream', name: 'stdout', text: 'b\n' },
      ]),
    ).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\n100%\n' },
      { output_type: 'stream', name: 'stderr', text: 'w\n' },
      { output_type: 'stream', name: 'stdout', text: 'b\n' },
    ]);
  });

  it("turns tslab's last stderr write of a failed cell into an error output, keeping earlier stderr", () => {
    const cell = new CellOutputs(new DisplayRegistry());
    cell.handle(stream('stdout', 'out\n'));
    cell.handle(stream('stderr', 'a warning\n'));
    cell.handle(stream('stderr', 'RangeError [ERR_X]: too far\n    at f (evalmachine.<anonymous>:2:9)\n'));
    expect(cell.finish(true)).toEqual<Output[]>([
      { output_type: 'stream', name: 'stdout', text: 'out\n' },
      { output_type: 'stream', name: 'stderr', text: 'a warning\n' },
      {
        output_type: 'error',
        ename: 'RangeError',
        evalue: 'too far',
        traceback: ['RangeError [ERR_X]: too far', '    at f (evalmachine.<anonymous>:2:9)'],
      },
    ]);
  });

  it('collects every diagnostic of a compile error, and keeps non-Error throws readable', () => {
    const compile = new CellOutputs(new DisplayRegistry());
    compile.handle(stream('stderr', "1:7 - Type 'string' is not assignable to type 'number'.\n"));
    compile.handle(stream('stderr', "2:1 - Cannot find name 'y'.\n"));
    expect(compile.finish(true)).toEqual([
      {
        output_type: 'error',
        ename: 'CompileError',
        evalue: "Type 'string' is not assignable to type 'number'. (and 1 more)",
        traceback: ["1:7 - Type 'string' is not assignable to type 'number'.", "2:1 - Cannot find name 'y'."],
      },
    ]);
    const thrown = new CellOutputs(new DisplayRegistry());
    thrown.handle(stream('stderr', 'just a string\n'));
    expect(thrown.finish(true)).toEqual([
      { output_type: 'error', ename: 'Error', evalue: 'just a string', traceback: ['just a string'] },
    ]);
  });

  it('keeps stderr as a stream when the cell succeeded', () => {
    const cell = new CellOutputs(new DisplayRegistry());
    cell.handle(stream('stderr', 'Error: only logged\n'));
    expect(cell.finish(false)).toEqual([
      { output_type: 'stream', name: 'stderr', text: 'Error: only logged\n' },
    ]);
  });

  it('updates displays by display_id across cells and honours clear_output(wait)', () => {
    const displays = new DisplayRegistry();
    const first = new CellOutputs(displays);
    first.handle(
      message('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd' } }),
    );
    const firstOutputs = first.finish(false);
    const second = new CellOutputs(displays);
    second.handle(stream('stdout', 'gone\n'));
    second.handle(message('clear_output', { wait: true }));
    second.handle(
      message('update_display_data', {
        data: { 'text/plain': 'v2' },
        metadata: {},
        transient: { display_id: 'd' },
      }),
    );
    second.handle(stream('stdout', 'kept\n'));
    expect(firstOutputs).toEqual([
      { output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: {} },
    ]);
    expect(second.finish(false)).toEqual([{ output_type: 'stream', name: 'stdout', text: 'kept\n' }]);
  });
});
