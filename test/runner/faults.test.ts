/**
 * The runner pushed the way CI pushes it (issue 14): huge and endless outputs, lost messages, signals
 * to npm, SIGKILL, read-only and locked notebooks, --out collisions, empty cells, other kernels, cells
 * that fork or close stdout, 1,000 cells, a kernel that never answers. Each test has a time bound
 * (jest's timeout, for hangs) and checks the files afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tslabBin } from '../../src/kernelspec';
import { runNotebook } from '../../src/runner';
import { readNotebook, serializeNotebook, type Cell } from '../../src/runner/notebook';
import { lockFileFor, tempFileFor } from '../../src/runner/files';
import {
  cli,
  descendants,
  FIXTURES,
  isRunning,
  removeScratchFolders,
  scratchFolder,
  waitFor,
  writeNotebook,
} from '../support/runner-helpers';
import { PROJECT_ROOT } from '../../src/paths';

jest.setTimeout(120_000);
afterAll(removeScratchFolders);

const codeCells = (file: string): Cell[] => readNotebook(file).cells.filter((c) => c.cell_type === 'code');
const text = (cell: Cell, i = 0): string => (cell.outputs![i] as { text: string }).text;
const FAKE_KERNEL = path.join(FIXTURES, 'fake-kernel.js');

/** Nothing of the runner's left next to a notebook: no lock, no temporary file. */
function expectNoLeftovers(dir: string): void {
  expect(fs.readdirSync(dir).filter((name) => /\.d2l-ts/.test(name))).toEqual([]);
}

describe('outputs', () => {
  it('keeps a 10⁶-character line and 100,000 lines whole; skips empty cells; survives a cell that forks a lasting child or closes stdout', async () => {
    const dir = scratchFolder();
    const file = writeNotebook(dir, 'faults.ipynb', [
      '',
      "console.log('x'.repeat(1_000_000));",
      'for (let i = 0; i < 100_000; i++) console.log(`line ${i}`);',
      '   \n',
      [
        "import { spawn } from 'child_process';",
        "import * as fs from 'fs';",
        "const child = spawn('sleep', ['300'], { detached: true, stdio: 'inherit' });",
        'child.unref();',
        "fs.writeFileSync('child.pid', String(child.pid));",
        "console.log('forked');",
      ].join('\n'),
      "process.stdout.destroy();\nconsole.log('after closing stdout');",
      "console.log('still here');",
    ]);
    // The empty cells had outputs from an older run: Jupyter clears them and runs nothing.
    const nb = readNotebook(file);
    nb.cells[0].outputs = [{ output_type: 'stream', name: 'stdout', text: 'stale\n' }];
    nb.cells[0].execution_count = 7;
    fs.writeFileSync(file, serializeNotebook(nb));

    const run = await cli(['run', file, '--json', '-j', '1']).done;
    const childPid = Number(fs.readFileSync(path.join(dir, 'child.pid'), 'utf8'));
    try {
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.ok).toBe(true);
      expect(summary.notebooks[0]).toMatchObject({ status: 'ok', cells: 5, executed: 5, cut: [] });
      const cells = codeCells(file);
      expect(cells.map((c) => c.execution_count)).toEqual([null, 1, 2, null, 3, 4, 5]);
      expect(cells[0].outputs).toEqual([]);
      expect(text(cells[1])).toBe('x'.repeat(1_000_000) + '\n');
      const lines = text(cells[2]).split('\n');
      expect(lines).toHaveLength(100_001);
      expect(lines[99_999]).toBe('line 99999');
      expect(text(cells[4])).toBe('forked\n');
      expect(text(cells[5])).toBe('after closing stdout\n');
      expect(text(cells[6])).toBe('still here\n');
      expect(isRunning(childPid)).toBe(true); // it outlived the kernel, and the runner did not wait for it
      expectNoLeftovers(dir);
    } finally {
      process.kill(childPid, 'SIGKILL');
    }
  });

  it('cuts a cell past --max-output with a note, reports it, and still stores a later error', async () => {
    const dir = scratchFolder();
    const file = writeNotebook(dir, 'flood.ipynb', [
      "for (let i = 0; i < 2000; i++) console.log('y'.repeat(49));",
      "console.log('z'.repeat(5000));\nthrow new TypeError('after the flood');",
    ]);
    const run = await cli(['run', file, '--json', '--max-output', '1000']).done;
    expect(run.code).toBe(1); // the error, not the cut
    const summary = JSON.parse(run.stdout);
    expect(summary.ok).toBe(false);
    expect(summary.notebooks[0].cut).toEqual([
      { codeCell: 1, cellIndex: 1, droppedChars: 99_000, droppedOutputs: 1980 },
      { codeCell: 2, cellIndex: 2, droppedChars: expect.any(Number), droppedOutputs: expect.any(Number) },
    ]);
    expect(run.stderr).toMatch(/flood\.ipynb: cell 1\/2 \(cell 1 in the file\) output truncated/);
    const cells = codeCells(file);
    expect(text(cells[0], 0)).toBe(('y'.repeat(49) + '\n').repeat(20));
    expect(cells[0].outputs![1]).toMatchObject({ name: 'stderr', text: expect.stringMatching(/truncated/) });
    expect(cells[1].outputs).toContainEqual(
      expect.objectContaining({ output_type: 'error', ename: 'TypeError', evalue: 'after the flood' }),
    );
    expectNoLeftovers(dir);
  });

  it('says so when a cell’s idle status never comes (messages lost), in the notebook and the result', async () => {
    const dir = scratchFolder();
    const file = writeNotebook(dir, 'lost.ipynb', ['anything', 'more']);
    const result = await runNotebook(file, {
      kernelArgv: [process.execPath, FAKE_KERNEL, '{connection_file}', 'no-idle'],
      outputWait: 1,
    });
    expect(result.status).toBe('ok');
    expect(result.cut).toEqual([
      expect.objectContaining({ codeCell: 1, lost: expect.stringMatching(/idle/) }),
      expect.objectContaining({ codeCell: 2, lost: expect.stringMatching(/idle/) }),
    ]);
    const cells = codeCells(file);
    expect(cells[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'cell 1\n' },
      { output_type: 'stream', name: 'stderr', text: expect.stringMatching(/outputs may be missing/) },
    ]);
    expectNoLeftovers(dir);
  });

  it('runs a notebook of 1,000 cells (a fake kernel: tslab compiles each cell for 0.1–0.2 s)', async () => {
    const dir = scratchFolder();
    const file = writeNotebook(
      dir,
      'thousand.ipynb',
      Array.from({ length: 1000 }, (_, i) => `cell ${i}`),
    );
    const out = path.join(dir, 'not', 'yet'); // made by the run
    const result = await runNotebook(file, {
      out,
      kernelArgv: [process.execPath, FAKE_KERNEL, '{connection_file}'],
    });
    expect(result).toMatchObject({ status: 'ok', cells: 1000, executed: 1000, cut: [] });
    const cells = codeCells(path.join(out, 'thousand.ipynb'));
    expect(cells.map((c) => c.execution_count)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(text(cells[999])).toBe('cell 1000\n');
    expectNoLeftovers(dir);
    expectNoLeftovers(out);
  });
});

describe('kernels', () => {
  it('gives up on a kernel that never becomes ready, kills it and leaves the notebook alone', async () => {
    const dir = scratchFolder();
    const file = writeNotebook(dir, 'never.ipynb', ['1']);
    const before = fs.readFileSync(file, 'utf8');
    const marker = `never-ready-${process.pid}`;
    const result = await runNotebook(file, {
      kernelArgv: [process.execPath, '-e', 'setInterval(() => {}, 1000)', marker],
      startTimeout: 2,
    });
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/did not answer within 2 s/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' })).not.toContain(marker);
    expectNoLeftovers(dir);
  });

  it('refuses a notebook of another kernel with a hint, and runs it with --kernel NAME', async () => {
    const dir = scratchFolder();
    const file = writeNotebook(dir, 'js.ipynb', ['console.log(typeof require)'], {
      name: 'jslab',
      language: 'javascript',
    });
    const refused = await cli(['run', file]).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/uses kernel 'jslab'.*--kernel/);
    expect(codeCells(file)[0].outputs).toEqual([]);

    const jupyter = path.join(dir, 'jupyter');
    fs.mkdirSync(path.join(jupyter, 'kernels', 'jslab'), { recursive: true });
    fs.writeFileSync(
      path.join(jupyter, 'kernels', 'jslab', 'kernel.json'),
      JSON.stringify({
        argv: [process.execPath, tslabBin(), 'kernel', '--js', '--config-path', '{connection_file}'],
        language: 'javascript',
      }),
    );
    const ran = await cli(['run', file, '--kernel', 'jslab'], { ...process.env, JUPYTER_PATH: jupyter }).done;
    expect(ran.code).toBe(0);
    expect(codeCells(file)[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'function\n' },
    ]);
    expect(readNotebook(file).metadata.language_info).toMatchObject({ name: 'javascript' });
  });
});

describe('files', () => {
  it('does not overwrite a read-only notebook (clear error, file untouched); --out still works', async () => {
    const dir = scratchFolder();
    const file = writeNotebook(dir, 'ro.ipynb', ["console.log('ran')"]);
    fs.chmodSync(file, 0o444);
    const before = fs.readFileSync(file, 'utf8');
    const refused = await cli(['run', file]).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ro\.ipynb is read-only.*--out/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.statSync(file).mode & 0o777).toBe(0o444);

    const out = path.join(dir, 'out');
    const copied = await cli(['run', file, '--out', out]).done;
    expect(copied.code).toBe(0);
    expect(codeCells(path.join(out, 'ro.ipynb'))[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'ran\n' },
    ]);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expectNoLeftovers(dir);
  });

  it('--out mirrors the folders of two notebooks of one name', async () => {
    const dir = scratchFolder();
    fs.mkdirSync(path.join(dir, 'a'));
    fs.mkdirSync(path.join(dir, 'b'));
    const a = writeNotebook(path.join(dir, 'a'), 'x.ipynb', ["console.log('a')"]);
    const b = writeNotebook(path.join(dir, 'b'), 'x.ipynb', ["console.log('b')"]);
    const out = path.join(dir, 'out');
    const run = await cli(['run', a, b, '--out', out]).done;
    expect(run.code).toBe(0);
    expect(codeCells(path.join(out, 'a', 'x.ipynb'))[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\n' },
    ]);
    expect(codeCells(path.join(out, 'b', 'x.ipynb'))[0].outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'b\n' },
    ]);
  });
});

/** Processes the stuck runs started; whatever a failed test left running is killed after it. */
const stuck: number[] = [];
afterEach(() => {
  for (const pid of stuck.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});

/** Starts `args` (a command that runs the runner) on a notebook whose second cell never ends. */
async function startStuck(command: string, args: string[]) {
  const dir = scratchFolder('timeout.ipynb');
  const file = path.join(dir, 'timeout.ipynb');
  const child = spawn(command, [...args, file, '--timeout', '0', '-j', '1'], {
    cwd: PROJECT_ROOT,
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => stderr.includes('cell 1/4'), 60_000);
  const below = descendants(child.pid!);
  stuck.push(child.pid!, ...below.map((p) => p.pid));
  const kernel = below.find((p) => p.args.includes('tslab'));
  expect(kernel).toBeDefined();
  return { child, dir, file, below, kernelPid: kernel!.pid, exited, stderr: () => stderr };
}

const FIXTURE_TEXT = (): string => fs.readFileSync(path.join(FIXTURES, 'timeout.ipynb'), 'utf8');

describe('signals and concurrent runs', () => {
  // SIGTERM and SIGINT reach the runner through npm and tsx; after SIGKILL, it sees npm gone.
  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    'stops on %s sent to `npm run notebooks` alone: kernels killed, notebook untouched',
    async (signal) => {
      const npm = await startStuck('npm', ['run', 'notebooks', '--']);
      const sent = Date.now();
      process.kill(npm.child.pid!, signal); // npm only, not its process group
      await waitFor(() => npm.below.every((p) => !isRunning(p.pid)), 10_000);
      const seconds = (Date.now() - sent) / 1000;
      console.log(`${signal} to npm: runner, tsx and kernel gone in ${seconds.toFixed(2)} s`);
      expect(fs.readFileSync(npm.file, 'utf8')).toBe(FIXTURE_TEXT());
      expectNoLeftovers(npm.dir);
    },
  );

  it('refuses a second run on a locked notebook, naming the first; the lock goes with the run', async () => {
    const first = await startStuck(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run']);
    expect(fs.existsSync(lockFileFor(first.file))).toBe(true);
    const second = await cli(['run', first.file]).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`already being run .*pid ${first.child.pid}\\b`));
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    expect(fs.readFileSync(first.file, 'utf8')).toBe(FIXTURE_TEXT());
    expectNoLeftovers(first.dir);
  });

  it('after SIGKILL of the runner, its kernel removes the lock and temporary file it left', async () => {
    const run = await startStuck(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run']);
    // As if SIGKILL came while the notebook was being written: a partial temporary file.
    const real = fs.realpathSync(run.file);
    const tmp = path.join(path.dirname(real), `.timeout.ipynb.d2l-ts-${run.child.pid}.tmp`);
    expect(path.basename(tmp)).toBe(
      path.basename(tempFileFor(real)).replace(`-${process.pid}.`, `-${run.child.pid}.`),
    );
    fs.writeFileSync(tmp, '{"cells": [');
    expect(fs.existsSync(lockFileFor(run.file))).toBe(true);
    run.child.kill('SIGKILL');
    await waitFor(() => !isRunning(run.kernelPid), 10_000);
    expect(fs.readFileSync(run.file, 'utf8')).toBe(FIXTURE_TEXT());
    expectNoLeftovers(run.dir);
  });
});
