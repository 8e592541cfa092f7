/**
 * Noticing that whoever started the runner has gone. `npm run notebooks` starts it through a chain
 * (npm → sh → tsx → node); a SIGTERM sent to npm alone kills npm and sh, but tsx and the runner live on
 * unless the runner watches the chain itself. Linux reads the chain from /proc; elsewhere only the
 * direct parent is watched.
 */
import * as fs from 'node:fs';

interface Link {
  pid: number;
  parent: number;
  command: string;
}

/**
 * Linux: the fields of /proc/PID/stat after the command (so proc(5)'s field N is at N - 3), or null.
 * files.ts reads a lock holder's start time here too.
 */
export function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // gone, or not Linux
  }
}

function readLink(pid: number): Link | null {
  const fields = statFields(pid);
  try {
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return fields && { pid, parent: Number(fields[1]), command };
  } catch {
    return null;
  }
}

const isNpm = (command: string): boolean => /(^|[/\s])(npm|npx)(-cli\.js)?(\s|$)/.test(command);

/**
 * The processes this one depends on, nearest first: up to the nearest npm (or npx) when there is one
 * within a few levels, else the direct parent alone.
 */
function launcherChain(): Link[] {
  const chain: Link[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 6 && pid > 1; depth++) {
    const link = readLink(pid);
    if (!link) break;
    chain.push(link);
    if (isNpm(link.command)) return chain;
    pid = link.parent;
  }
  return chain.slice(0, 1);
}

/**
 * Calls `onGone` (once) when a process of the launcher chain exits: seen as a change of parent anywhere
 * along it, checked every `intervalMs`. Returns the function that stops watching.
 */
export function watchLauncher(onGone: (who: string) => void, intervalMs = 200): () => void {
  const chain = launcherChain();
  const parents = [process.ppid, ...chain.map((link) => link.parent)];
  const check = (): void => {
    for (let i = 0; i < chain.length; i++) {
      const current = i === 0 ? process.ppid : readLink(chain[i - 1].pid)?.parent;
      if (current !== parents[i]) {
        clearInterval(timer);
        const gone = chain[i];
        onGone(`${gone.command.split(' ').slice(0, 3).join(' ')} (pid ${gone.pid})`);
        return;
      }
    }
  };
  const timer = setInterval(check, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
