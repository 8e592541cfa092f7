/**
 * The runner's file handling and its linear-time output processing, without a kernel: locks, careful
 * writes, stale temporary files, the notebook search, --out collisions, kernel choice, carriage
 * returns, the output limit.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkTargets, commonFolder, findNotebooks, readNotebook, targetOf } from '../../src/runner';
import { lockFile, lockFileFor, readOnlyReason, replaceFile, tempFileFor } from '../../src/runner/files';
import { chooseKernel } from '../../src/runner/kernelspecs';
import { applyCarriageReturns, CellOutputs, DisplayRegistry, type Output } from '../../src/runner/outputs';
import { request, type Message } from '../../src/runner/wire';
import { writeNotebook } from '../support/runner-helpers';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-files-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A pid that is certainly not running: a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('lockFile', () => {
  it('refuses a second run while the first holds the lock, naming it; releases on demand', () => {
    const file = writeNotebook(dir, 'a.ipynb', ['1']);
    const release = lockFile(file);
    expect(fs.existsSync(lockFileFor(file))).toBe(true);
    expect(() => lockFile(file)).toThrow(new RegExp(`pid ${process.pid}\\b`));
    release();
    expect(fs.existsSync(lockFileFor(file))).toBe(false);
    lockFile(file)();
  });

  it("takes over a dead run's lock and removes its temporary files, not a live run's", () => {
    const file = writeNotebook(dir, 'a.ipynb', ['1']);
    const dead = deadPid();
    fs.writeFileSync(
      lockFileFor(file),
      JSON.stringify({ pid: dead, start: null, since: 'then', command: 'x' }),
    );
    const staleTmp = path.join(dir, `.a.ipynb.d2l-ts-${dead}.tmp`);
    const liveTmp = path.join(dir, `.a.ipynb.d2l-ts-${process.ppid}.tmp`);
    fs.writeFileSync(staleTmp, '{"half": ');
    fs.writeFileSync(liveTmp, '{}');
    const release = lockFile(file);
    expect(fs.existsSync(staleTmp)).toBe(false);
    expect(fs.existsSync(liveTmp)).toBe(true);
    release();
  });

  it('keeps the complete copy of an interrupted in-place write and says where it is', () => {
    const file = path.join(dir, 'a.ipynb');
    fs.writeFileSync(file, '{"cells": [');
    const copy = path.join(dir, `.a.ipynb.d2l-ts-${deadPid()}.copy.tmp`);
    fs.writeFileSync(copy, '{}');
    expect(() => lockFile(file)).toThrow(copy);
    expect(fs.existsSync(copy)).toBe(true);
    expect(fs.existsSync(lockFileFor(file))).toBe(false);
  });
});

describe('replaceFile', () => {
  it('keeps the mode, leaves no temporary file, and follows a symlink', () => {
    const file = path.join(dir, 'a.ipynb');
    fs.writeFileSync(file, 'old');
    fs.chmodSync(file, 0o640);
    const link = path.join(dir, 'link.ipynb');
    fs.symlinkSync(file, link);
    replaceFile(link, 'new');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.ipynb', 'link.ipynb']);
  });

  it('rewrites a hard-linked file in place, so that every link sees the new content', () => {
    const file = path.join(dir, 'a.ipynb');
    const other = path.join(dir, 'b.ipynb');
    fs.writeFileSync(file, 'old content, longer than the new');
    fs.linkSync(file, other);
    replaceFile(file, 'new');
    expect(fs.readFileSync(other, 'utf8')).toBe('new');
    expect(fs.statSync(file).ino).toBe(fs.statSync(other).ino);
    expect(fs.readdirSync(dir).sort()).toEqual(['a.ipynb', 'b.ipynb']);
  });

  it('names its temporary file after this process, where the watchdog and later runs look', () => {
    expect(tempFileFor(path.join(dir, 'a.ipynb'))).toBe(path.join(dir, `.a.ipynb.d2l-ts-${process.pid}.tmp`));
  });

  it('calls a file without write permission bits read-only, even for root', () => {
    const file = writeNotebook(dir, 'a.ipynb', ['1']);
    expect(readOnlyReason(file)).toBeNull();
    fs.chmodSync(file, 0o444);
    expect(readOnlyReason(file)).toMatch(/read-only/);
    expect(readOnlyReason(path.join(dir, 'new.ipynb'))).toBeNull();
  });
});

describe('findNotebooks', () => {
  it('searches folders recursively, sorted, skipping node_modules, checkpoints and hidden folders', () => {
    for (const sub of ['b', 'a/deeper', 'node_modules/pkg', '.ipynb_checkpoints', '.hidden']) {
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
    }
    for (const file of [
      'z.ipynb',
      'b/one.ipynb',
      'a/deeper/two.ipynb',
      'a/notes.txt',
      'node_modules/pkg/x.ipynb',
      '.ipynb_checkpoints/z-checkpoint.ipynb',
      '.hidden/y.ipynb',
    ]) {
      fs.writeFileSync(path.join(dir, file), '{}');
    }
    fs.symlinkSync(path.join(dir, 'z.ipynb'), path.join(dir, 'same.ipynb'));
    expect(findNotebooks([dir]).map((f) => path.relative(dir, f))).toEqual([
      'a/deeper/two.ipynb',
      'b/one.ipynb',
      'same.ipynb',
    ]);
    expect(findNotebooks([path.join(dir, 'z.ipynb'), dir]).map((f) => path.relative(dir, f))).toEqual([
      'z.ipynb',
      'a/deeper/two.ipynb',
      'b/one.ipynb',
    ]);
  });
});

describe('checkTargets and targetOf', () => {
  it('mirrors the folders below the common one, so notebooks of one name do not collide', () => {
    expect(commonFolder(['n/a/x.ipynb', 'n/b/x.ipynb', 'n/y.ipynb'])).toBe(path.resolve('n'));
    expect(targetOf('n/zh/x.ipynb', 'out', 'n')).toBe(path.join('out', 'zh', 'x.ipynb'));
    expect(targetOf('n/x.ipynb', 'out')).toBe(path.join('out', 'x.ipynb'));
    expect(() =>
      checkTargets(['a/x.ipynb', 'b/x.ipynb'], 'out', commonFolder(['a/x.ipynb', 'b/x.ipynb'])),
    ).not.toThrow();
  });

  it('refuses two names for one target, naming both', () => {
    expect(() => checkTargets(['a/x.ipynb', 'a/../a/x.ipynb'], 'out', '.')).toThrow(
      /a\/x\.ipynb and a\/\.\.\/a\/x\.ipynb/,
    );
    expect(() => checkTargets(['a/x.ipynb', 'b/x.ipynb'], 'out', 'nowhere')).not.toThrow();
  });
});

describe('chooseKernel', () => {
  it('refuses a notebook of another kernel unless --kernel names one; finds installed kernelspecs', () => {
    const file = writeNotebook(dir, 'js.ipynb', ['1'], { name: 'jslab', language: 'javascript' });
    const nb = readNotebook(file);
    expect(() => chooseKernel(nb, file)).toThrow(/--kernel/);
    expect(chooseKernel(nb, file, 'd2l-ts').name).toBe('d2l-ts');
    const spec = path.join(dir, 'jupyter', 'kernels', 'jslab');
    fs.mkdirSync(spec, { recursive: true });
    fs.writeFileSync(path.join(spec, 'kernel.json'), JSON.stringify({ argv: ['js', '{resource_dir}/x'] }));
    const saved = process.env.JUPYTER_PATH;
    process.env.JUPYTER_PATH = path.join(dir, 'jupyter');
    try {
      expect(chooseKernel(nb, file, 'jslab').argv).toEqual(['js', `${spec}/x`]);
      expect(() => chooseKernel(nb, file, 'nope')).toThrow(/no such kernelspec/);
    } finally {
      if (saved === undefined) delete process.env.JUPYTER_PATH;
      else process.env.JUPYTER_PATH = saved;
    }
  });
});

const header = request('session', 'stream', {}).header;
const stream = (name: 'stdout' | 'stderr', text: string): Message => ({
  header,
  parent_header: { msg_id: 'parent' },
  metadata: {},
  content: { name, text },
});

describe('output processing in linear time', () => {
  it('applies carriage returns as nbconvert does', () => {
    // nbconvert's regex, on inputs small enough for it.
    const nbconvert = (text: string): string => text.replace(/[^\n]*\r(?=[^\n])/g, '');
    const samples = [
      '',
      '\r',
      'a\rb',
      'a\r\nb',
      'a\rb\rc\n',
      '10%\r100%\n',
      '\r\r\n\rx',
      'a\rb\r',
      'x\n\ry\rz\r\n',
    ];
    for (const sample of samples) expect(applyCarriageReturns(sample)).toBe(nbconvert(sample));
    let seed = 1;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: 12 }, () => 'ab\r\n'[Math.floor(random() * 4)]).join('');
      expect(applyCarriageReturns(text)).toBe(nbconvert(text));
    }
  });

  it('handles a 10⁷-character line and 10⁶ stream messages without stalling', () => {
    const line = 'x'.repeat(10_000_000) + '\r' + 'y'.repeat(10) + '\n';
    expect(applyCarriageReturns(line)).toBe('y'.repeat(10) + '\n');
    const cell = new CellOutputs(new DisplayRegistry(), 0);
    for (let i = 0; i < 1_000_000; i++) cell.handle(stream('stdout', `line ${i}\n`));
    const outputs = cell.finish(false);
    expect(outputs).toHaveLength(1);
    expect((outputs[0] as { text: string }).text.split('\n')).toHaveLength(1_000_001);
  }, 60_000);
});

describe('CellOutputs with a limit', () => {
  const text = (o: Output): string => (o as { text: string }).text;

  it('cuts past the limit with a note in the outputs and counts what it dropped', () => {
    const cell = new CellOutputs(new DisplayRegistry(), 100);
    for (let i = 0; i < 30; i++) cell.handle(stream('stdout', '0123456789'));
    const outputs = cell.finish(false);
    expect(outputs.map((o) => [o.output_type, (o as { name?: string }).name])).toEqual([
      ['stream', 'stdout'],
      ['stream', 'stderr'],
    ]);
    expect(text(outputs[0])).toBe('0123456789'.repeat(10));
    expect(text(outputs[1])).toMatch(/truncated.*200 more characters in 20 outputs/);
    expect(cell.cut).toEqual({ droppedChars: 200, droppedOutputs: 20 });
  });

  it("still finds tslab's error text after the cut or before a note, and a clear_output starts afresh", () => {
    const failed = new CellOutputs(new DisplayRegistry(), 10);
    failed.handle(stream('stdout', 'x'.repeat(50)));
    failed.handle(stream('stderr', 'TypeError: late\n    at f (x:1:1)\n'));
    expect(failed.finish(true)).toContainEqual(
      expect.objectContaining({ output_type: 'error', ename: 'TypeError', evalue: 'late' }),
    );
    const noted = new CellOutputs(new DisplayRegistry(), 0);
    noted.handle(stream('stderr', 'RangeError: real\n'));
    noted.pushNote('[d2l-ts runner: outputs may be missing]\n');
    expect(noted.finish(true)).toEqual([
      expect.objectContaining({ output_type: 'error', ename: 'RangeError', evalue: 'real' }),
      { output_type: 'stream', name: 'stderr', text: '[d2l-ts runner: outputs may be missing]\n' },
    ]);
    const cleared = new CellOutputs(new DisplayRegistry(), 10);
    cleared.handle(stream('stdout', 'x'.repeat(50)));
    cleared.handle({ ...stream('stdout', ''), header: { ...header, msg_type: 'clear_output' }, content: {} });
    cleared.handle(stream('stdout', 'short'));
    expect(cleared.finish(false)).toEqual([{ output_type: 'stream', name: 'stdout', text: 'short' }]);
    expect(cleared.cut).toBeNull();
  });
});
