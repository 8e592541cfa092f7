/**
 * Writing notebooks as a careful editor does: a lock next to the file while a run owns it, read-only
 * files refused, mode and ownership kept, symlinks and hard links left pointing at the new content, and
 * no temporary file left behind (the kernel's watchdog and the next run remove those of a dead run).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { statFields } from './launcher';

/**
 * The temporary file this process writes `file` through, named so that a later run can tell whose.
 * `copy` is the complete copy kept while a hard-linked file is rewritten in place: the kernel's watchdog
 * removes temporary files when the runner dies, but never that one.
 */
export function tempFileFor(file: string, kind: 'tmp' | 'copy' = 'tmp'): string {
  const suffix = kind === 'copy' ? '.copy.tmp' : '.tmp';
  return path.join(path.dirname(file), `.${path.basename(file)}.d2l-ts-${process.pid}${suffix}`);
}

export function lockFileFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.d2l-ts.lock`);
}

/** What a lock file holds. `start` is the process's start time on Linux, to tell a reused pid apart. */
interface LockInfo {
  pid: number;
  start: string | null;
  since: string;
  command: string;
}

/** Linux: the start time of a process in clock ticks since boot (field 22 of /proc/PID/stat). */
const processStart = (pid: number): string | null => statFields(pid)?.[19] ?? null;

function isAlive(pid: number, start: string | null = null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (start === null) return true;
  const now = processStart(pid);
  return now === null || now === start;
}

/**
 * Takes the lock on `file` (refused while another live run holds it; a dead run's lock is taken over)
 * and removes temporary files that dead runs left beside it. Returns the function that releases it.
 */
export function lockFile(file: string): () => void {
  const lock = lockFileFor(file);
  const mine: LockInfo = {
    pid: process.pid,
    start: processStart(process.pid),
    since: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lock, JSON.stringify(mine) + '\n', { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) {
        throw new Error(`${file}: cannot create the lock file ${lock}: ${(error as Error).message}`);
      }
    }
    let holder: LockInfo | null = null;
    try {
      holder = JSON.parse(fs.readFileSync(lock, 'utf8')) as LockInfo;
    } catch {
      // unreadable or half-written: treated as stale below only if it stays so
    }
    if (holder && typeof holder.pid === 'number' && isAlive(holder.pid, holder.start)) {
      throw new Error(
        `${file}: already being run by another d2l-ts runner (pid ${holder.pid}, since ${holder.since}: ` +
          `${holder.command}); wait for it to finish, or write elsewhere with --out`,
      );
    }
    fs.rmSync(lock, { force: true }); // its run is gone
  }
  try {
    removeStaleTempFiles(file);
  } catch (error) {
    fs.rmSync(lock, { force: true });
    throw error;
  }
  return () => {
    try {
      if ((JSON.parse(fs.readFileSync(lock, 'utf8')) as LockInfo).pid === process.pid) fs.rmSync(lock);
    } catch {
      // already gone
    }
  };
}

/** Temporary files of `file` whose writer has died. */
function removeStaleTempFiles(file: string): void {
  const prefix = `.${path.basename(file)}.d2l-ts-`;
  for (const name of fs.readdirSync(path.dirname(file))) {
    const match = name.startsWith(prefix) ? /^(\d+)(?:\.copy)?\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && isAlive(pid)) continue;
    const tmp = path.join(path.dirname(file), name);
    if (!parses(file) && parses(tmp)) {
      // An in-place write (hard-linked file) was cut short: the temporary file is the complete copy.
      throw new Error(
        `${file} is damaged (a run died while writing it); the complete notebook it was writing is ` +
          `in ${tmp}: check it and move it over ${path.basename(file)}`,
      );
    }
    fs.rmSync(tmp, { force: true });
  }
}

function parses(file: string): boolean {
  try {
    JSON.parse(fs.readFileSync(file, 'utf8'));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'; // nothing to damage
  }
}

/** Why `file` may not be overwritten, or null. Mode bits count even for root, as editors do. */
export function readOnlyReason(file: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null; // a new file
  }
  try {
    fs.accessSync(file, fs.constants.W_OK);
  } catch {
    return `${file} is not writable by this user`;
  }
  if ((stat.mode & 0o222) === 0) return `${file} is read-only (mode ${(stat.mode & 0o777).toString(8)})`;
  return null;
}

/** The file a write to `file` lands in: symlinks followed (a new file: its absolute path). */
export function realTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * Replaces the content of `file` with `text` so that readers see the old or the new file, never a mix:
 * through a temporary file (synced, with the old mode and owner) renamed over it. A symlink is followed
 * (the link stays a link). A file with several hard links is rewritten in place instead, so every link
 * sees the new content; the complete temporary copy is kept until that write is done.
 */
export function replaceFile(file: string, text: string): void {
  const target = realTarget(file);
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(target);
  } catch {
    // a new file
  }
  const inPlace = stat !== null && stat.nlink > 1;
  const tmp = tempFileFor(target, inPlace ? 'copy' : 'tmp');
  try {
    writeSynced(tmp, 'w', text, stat);
    if (inPlace) {
      writeSynced(target, 'r+', text, null);
      fs.rmSync(tmp);
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/** Writes `text` to `file` opened as `flags`, cut to its length, with `stat`'s mode and owner, synced. */
function writeSynced(file: string, flags: 'w' | 'r+', text: string, stat: fs.Stats | null): void {
  const fd = fs.openSync(file, flags, stat ? stat.mode & 0o7777 : 0o666);
  try {
    fs.writeFileSync(fd, text);
    fs.ftruncateSync(fd, Buffer.byteLength(text));
    if (stat) keepModeAndOwner(fd, stat);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function keepModeAndOwner(fd: number, stat: fs.Stats): void {
  fs.fchmodSync(fd, stat.mode & 0o7777); // the umask applied at open
  if (stat.uid === process.getuid?.() && stat.gid === process.getgid?.()) return;
  try {
    fs.fchownSync(fd, stat.uid, stat.gid);
  } catch {
    try {
      fs.fchownSync(fd, -1, stat.gid); // an owner may give a file to any of their groups
    } catch {
      // as editors do: the file becomes this user's
    }
  }
}
