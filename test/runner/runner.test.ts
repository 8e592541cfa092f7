/**
 * The runner against the real tslab kernel: saved outputs, failures, timeouts, a dying kernel, the CLI's
 * exit codes and reports, Ctrl-C. Each kernel takes about 2 s to start; the tests share as few as they can.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner';
import { readNotebook, serializeNotebook, type Cell } from '../../src/runner/notebook';
import type { Output } from '../../src/runner/outputs';
import {
  cli,
  FIXTURES,
  isRunning,
  removeScratchFolders,
  scratchFolder,
  waitFor,
} from '../support/runner-helpers';

jest.setTimeout(90_000);
afterAll(removeScratchFolders);

const codeCells = (file: string): Cell[] => readNotebook(file).cells.filter((c) => c.cell_type === 'code');
const stdout = (text: string): Output => ({ output_type: 'stream', name: 'stdout', text });

describe('runNotebook', () => {
  it('stores streams, MIME bundles, display updates and errors as Jupyter does; allowErrors goes on', async () => {
    const fixture = path.join(FIXTURES, 'outputs.ipynb');
    const before = fs.readFileSync(fixture, 'utf8');
    const out = scratchFolder();
    const result = await runNotebook(fixture, { out, allowErrors: true });
    expect(result).toMatchObject({
      status: 'ok',
      cells: 7,
      executed: 7,
      written: path.join(out, 'outputs.ipynb'),
    });
    expect(result.storedErrors.map((f) => [f.codeCell, f.ename])).toEqual([
      [6, 'TypeError'],
      [7, 'CompileError'],
    ]);
    expect(fs.readFileSync(fixture, 'utf8')).toBe(before); // --out leaves the source alone

    const cells = codeCells(result.written!);
    expect(cells.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(cells.map((c) => c.metadata)).toEqual(cells.map(() => ({}))); // no timing unless asked
    expect(cells[0].outputs).toEqual([
      stdout('one\ntwo\n'),
      { output_type: 'stream', name: 'stderr', text: 'a warning\n' },
      stdout('100%\n'),
      // The cell's last expression, as ipykernel sends it (Out[1]).
      { output_type: 'execute_result', execution_count: 1, metadata: {}, data: { 'text/plain': '42' } },
    ]);
    expect(cells[1].outputs).toEqual([
      {
        output_type: 'display_data',
        metadata: {},
        data: {
          'application/vnd.vegalite.v5+json': { mark: 'point', data: { values: [{ x: 1, y: 2 }] } },
          'image/svg+xml':
            '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">\n<rect width="4" height="4"/>\n</svg>',
          'text/plain': 'a tiny plot',
        },
      },
      { output_type: 'display_data', metadata: {}, data: { 'text/html': '<b>bold</b>' } },
    ]);
    expect(cells[2].outputs).toEqual([
      { output_type: 'display_data', metadata: {}, data: { 'text/plain': 'second' } },
    ]);
    expect(cells[3].outputs).toEqual([stdout('after await\n')]);
    // 4 MiB of text/plain: it reaches iopub after the execute_reply.
    expect(cells[4].outputs).toEqual([
      { output_type: 'display_data', metadata: {}, data: { 'text/plain': 'x'.repeat(1 << 22) } },
    ]);
    expect(cells[5].outputs).toEqual([
      stdout('before the error\n'),
      expect.objectContaining({ output_type: 'error', ename: 'TypeError', evalue: 'boom' }),
    ]);
    expect((cells[5].outputs![1] as { traceback: string[] }).traceback).toContain('TypeError: boom');
    expect(cells[6].outputs).toEqual([
      expect.objectContaining({
        output_type: 'error',
        ename: 'CompileError',
        evalue: "Type 'string' is not assignable to type 'number'.",
      }),
    ]);
    expect((cells[6].outputs![0] as { traceback: string[] }).traceback[0]).toBe(
      "1:7 - Type 'string' is not assignable to type 'number'.",
    );
    expect(readNotebook(result.written!).metadata.language_info).toMatchObject({ name: 'typescript' });
  });

  it('interrupts a cell over its time limit, and kills a kernel deaf to the interrupt', async () => {
    const dir = scratchFolder('timeout.ipynb');
    const file = path.join(dir, 'timeout.ipynb');
    // The limit holds the first cell too, which builds the kernel's TypeScript program: seconds on a
    // loaded machine.
    const result = await runNotebook(file, { timeout: 5, interruptGrace: 1, allowErrors: true });
    expect(result).toMatchObject({ status: 'timeout', executed: 3, written: file });
    expect(result.storedErrors.map((f) => f.codeCell)).toEqual([2]);
    expect(result.failure).toMatchObject({ codeCell: 3, ename: 'TimeoutError' });
    const cells = codeCells(file);
    expect(cells[0].outputs).toEqual([stdout('start\n')]);
    const last = (cell: Cell): Output | undefined => cell.outputs![cell.outputs!.length - 1];
    expect(last(cells[1])).toMatchObject({
      ename: 'TimeoutError',
      evalue: expect.stringMatching(/interrupted$/),
    });
    expect(last(cells[2])).toMatchObject({ ename: 'TimeoutError', evalue: expect.stringMatching(/killed$/) });
    expect(cells[3]).toMatchObject({ outputs: [], execution_count: null }); // never ran
  });
});

describe('cli run', () => {
  it('stops at a failing cell or a dead kernel, saves the error, reports it and exits 1 (-j 2, --json)', async () => {
    const dir = scratchFolder('outputs.ipynb', 'exit.ipynb');
    const outputs = path.join(dir, 'outputs.ipynb');
    // Outputs of a previous run below the failing cell stay as they were, as in Jupyter's "run all".
    const nb = readNotebook(outputs);
    nb.cells[7].outputs = [{ output_type: 'stream', name: 'stdout', text: 'from an older run\n' }];
    fs.writeFileSync(outputs, serializeNotebook(nb));

    const {
      code,
      stdout: out,
      stderr,
    } = await cli(['run', outputs, path.join(dir, 'exit.ipynb'), '-j', '2', '--json']).done;
    expect(code).toBe(1);
    const summary = JSON.parse(out);
    expect(summary.ok).toBe(false);
    expect(summary.notebooks.map((r: { status: string }) => r.status)).toEqual(['error', 'died']);
    expect(stderr).toContain(`${outputs}: cell 6/7 (cell 7 in the file) error`);
    expect(stderr).toContain("│ throw new TypeError('boom');");
    expect(stderr).toContain('TypeError: boom');
    expect(stderr).toMatch(/exit\.ipynb: cell 2\/3 .* died/);

    // The dead kernel is reported, not waited for; what it printed before dying is kept.
    const exit = summary.notebooks[1];
    expect(exit.failure).toMatchObject({
      codeCell: 2,
      ename: 'KernelDied',
      evalue: expect.stringMatching(/exit code 3/),
    });
    const exitCells = codeCells(path.join(dir, 'exit.ipynb'));
    expect(exitCells[0].outputs).toEqual([stdout('alive\n')]);
    expect(exitCells[1].outputs).toEqual([
      expect.objectContaining({ output_type: 'error', ename: 'KernelDied' }),
    ]);

    const cells = codeCells(outputs);
    expect(cells[5].outputs).toContainEqual(expect.objectContaining({ ename: 'TypeError', evalue: 'boom' }));
    expect(cells[6].outputs).toEqual([stdout('from an older run\n')]);
  });

  it('with --allow-errors runs on, exits 0 and still prints every stored error, even with -q', async () => {
    const dir = scratchFolder('outputs.ipynb');
    const outputs = path.join(dir, 'outputs.ipynb');
    const { code, stdout: out, stderr } = await cli(['run', outputs, '--allow-errors', '-q']).done;
    expect(code).toBe(0);
    expect(out).toBe('');
    expect(stderr).toContain(`! ${outputs}: cell 6/7 (cell 7 in the file) error (stored, run continued)`);
    expect(stderr).toContain('TypeError: boom');
    expect(stderr).toContain(`! ${outputs}: cell 7/7 (cell 8 in the file) error (stored, run continued)`);
    expect(stderr).toContain("Type 'string' is not assignable to type 'number'.");
  });

  it('rejects bad options with a message naming them', async () => {
    const { code, stderr } = await cli(['run', '--jobs', '0']).done;
    expect(code).toBe(2);
    expect(stderr).toContain("--jobs: expected a positive integer, got '0'");
    const missing = await cli(['run', 'no-such-notebook.ipynb']).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-notebook.ipynb');
  });

  /** Starts the CLI on a notebook whose second cell never ends; resolves once that cell runs. */
  async function startStuckRun(): Promise<{ run: ReturnType<typeof cli>; kernelPid: number; file: string }> {
    const dir = scratchFolder('timeout.ipynb');
    const file = path.join(dir, 'timeout.ipynb');
    const run = cli(['run', file, '--timeout', '0']);
    await waitFor(() => run.stderr().includes('cell 1/4'));
    const kernel = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(run.child.pid)], {
      encoding: 'utf8',
    })
      .split('\n')
      .find((line) => line.includes('tslab'));
    expect(kernel).toBeDefined();
    return { run, kernelPid: Number(kernel!.trim().split(/\s+/)[0]), file };
  }

  it('on Ctrl-C kills the kernel, leaves the notebook untouched and exits 130', async () => {
    const { run, kernelPid, file } = await startStuckRun();
    run.child.kill('SIGINT');
    const { code } = await run.done;
    expect(code).toBe(130);
    expect(isRunning(kernelPid)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(path.join(FIXTURES, 'timeout.ipynb'), 'utf8'));
  });

  it('leaves no orphan kernel when the runner itself is killed (SIGKILL), even mid busy loop', async () => {
    const { run, kernelPid } = await startStuckRun();
    const connectionDir = path.dirname(
      execFileSync('ps', ['-o', 'args=', '-p', String(kernelPid)], { encoding: 'utf8' })
        .trim()
        .split(' ')
        .pop()!,
    );
    expect(fs.existsSync(connectionDir)).toBe(true);
    run.child.kill('SIGKILL');
    await run.done;
    await waitFor(() => !isRunning(kernelPid), 10_000);
    expect(fs.existsSync(connectionDir)).toBe(false);
  });
});
