/**
 * files.ts without a kernel: locks, careful writes (mode, symlinks, hard links), stale temporary files,
 * read-only notebooks.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lockFile, lockFileFor, readOnlyReason, replaceFile, tempFileFor } from '../../src/runner/files';
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
