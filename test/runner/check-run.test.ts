/**
 * `--check` against the real tslab kernel: tags steer what runs and what is compared, nothing is
 * written; and the test: a copy of 3.2 with a changed learning rate fails with a diff naming
 * the loss lines, while the committed 3.2 re-rendered on another backend (wasm) passes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner';
import { serializeNotebook, type Cell, type Notebook } from '../../src/runner/notebook';
import type { Output } from '../../src/runner/outputs';
import { PROJECT_ROOT } from '../../src/paths';
import { cli, removeScratchFolders, scratchFolder } from '../support/runner-helpers';

jest.setTimeout(240_000);
afterAll(removeScratchFolders);

const stdout = (text: string): Output => ({ output_type: 'stream', name: 'stdout', text });
const code = (source: string, outputs: Output[], tags: string[] = []): Cell => ({
  cell_type: 'code',
  id: `c${Math.random().toString(16).slice(2, 10)}`,
  metadata: tags.length > 0 ? { tags } : {},
  source,
  outputs,
  execution_count: null,
});

describe('runNotebook with check', () => {
  it('compares each cell with its saved outputs as its tags say, and writes nothing', async () => {
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: 'd2l-ts', display_name: 'TypeScript (d2l-ts)', language: 'typescript' },
      },
      cells: [
        code("console.log('sum', 0.1 + 0.2);", [stdout('sum 0.30000001\n')]), // within the tolerance
        code(
          "throw new RangeError('bad lr');",
          [{ output_type: 'error', ename: 'RangeError', evalue: 'bad lr', traceback: ['old'] }],
          ['raises-exception'],
        ),
        code("throw new Error('must not run');", [stdout('kept\n')], ['nbval-skip']),
        code('console.log(Math.random());', [stdout('0.123\n')], ['nbval-ignore-output']),
        code("console.log('epoch', 2);", [stdout('epoch 1\n')]),
      ],
    };
    const dir = scratchFolder();
    const file = path.join(dir, 'tags.ipynb');
    fs.writeFileSync(file, serializeNotebook(nb));
    const before = fs.readFileSync(file, 'utf8');
    const result = await runNotebook(file, { check: {} });
    expect(result).toMatchObject({ status: 'mismatch', written: null, cells: 5, executed: 5, skipped: [3] });
    expect(result.failure).toBeUndefined(); // the expected exception did not stop the run
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        codeCell: 5,
        differences: [expect.objectContaining({ lines: expect.arrayContaining(['-epoch 1', '+epoch 2']) })],
      }),
    ]);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('npm run notebooks -- --check', () => {
  it('fails a copy of 3.2 with a changed learning rate, naming the loss lines; passes 3.2 on wasm', async () => {
    const dir = scratchFolder();
    const original = path.join(PROJECT_ROOT, 'notebooks', '3.2-linear-regression-scratch.ipynb');
    const text = fs.readFileSync(original, 'utf8');
    expect(text).toContain('const lr = 0.03;');
    const changed = path.join(dir, 'lr.ipynb');
    const copy = path.join(dir, 'same.ipynb');
    fs.writeFileSync(changed, text.replace('const lr = 0.03;', 'const lr = 0.01;'));
    fs.writeFileSync(copy, text);
    const junit = path.join(dir, 'junit.xml');
    // The outputs were saved on the native backend; wasm is another backend with the same saved outputs.
    const env = { ...process.env, D2L_BACKEND: 'wasm' };
    const run = cli(['run', '--check', changed, copy, '-j', '2', '--json', '--junit', junit], env);
    const { code: exit, stdout: out, stderr } = await run.done;
    expect(exit).toBe(1);
    const summary = JSON.parse(out);
    expect(summary.notebooks.map((r: { status: string }) => r.status)).toEqual(['mismatch', 'ok']);
    // The report names the cell and shows the loss lines as a diff.
    expect(stderr).toMatch(/lr\.ipynb: cell 13\/14 .*differ/);
    expect(stderr).toContain('-epoch 1, loss 0.044283');
    expect(stderr).toMatch(/\+epoch 1, loss \d/);
    expect(stderr).toMatch(/image\/png.*RMS/);
    expect(stderr).not.toMatch(/iVBORw0KGgo/); // no base64 PNG
    expect(fs.readFileSync(changed, 'utf8')).toBe(text.replace('const lr = 0.03;', 'const lr = 0.01;'));
    const xml = fs.readFileSync(junit, 'utf8');
    expect(xml.match(/<failure [^>]*type="OutputMismatch"/g)).toHaveLength(2); // the training cell and the errors
    expect(xml).toMatch(/<testsuite name="[^"]*same\.ipynb" tests="14" failures="0"/);
  });

  it('exits 2 on a check option without --check, or --check with --out', async () => {
    const lone = await cli(['run', '--rtol', '0.1']).done;
    expect(lone.code).toBe(2);
    const out = await cli(['run', '--check', '--out', 'x']).done;
    expect(out.code).toBe(2);
    const bad = await cli(['run', '--check', '--atol', 'abc']).done;
    expect(bad.code).toBe(2);
  });
});
