/** Shared by the runner tests: scratch folders that behave like the project, and the CLI as a process. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';

export const FIXTURES = path.join(__dirname, 'fixtures');

const scratch: string[] = [];

/** Removes the folders made by scratchFolder (call from afterAll). */
export function removeScratchFolders(): void {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A temporary folder holding copies of the fixture notebooks. Kernels resolve modules from the
 * notebook's folder, so it links the project's node_modules as a notebook folder in a clone would see it.
 */
export function scratchFolder(...notebooks: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-runner-test-'));
  scratch.push(dir);
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const name of notebooks) fs.copyFileSync(path.join(FIXTURES, name), path.join(dir, name));
  return dir;
}

export interface CliRun {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `src/cli.ts` in its own Node process (no tsx wrapper process, so its children are the kernels). */
export function cli(args: string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'src', 'cli.ts'), ...args],
    {
      cwd: PROJECT_ROOT,
      env,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, stderr: () => stderr, done };
}

export async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Writes a notebook of code cells (sources) into `dir`, for the given kernelspec; returns its path. */
export function writeNotebook(
  dir: string,
  name: string,
  sources: string[],
  kernelspec: { name: string; language: string } = { name: 'd2l-ts', language: 'typescript' },
): string {
  const file = path.join(dir, name);
  const nb = {
    cells: sources.map((source, i) => ({
      cell_type: 'code',
      id: `cell-${i + 1}`,
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
    metadata: { kernelspec: { ...kernelspec, display_name: kernelspec.name } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
  return file;
}

/** Processes below `pid` (children, grandchildren, ...), from ps. */
export function descendants(pid: number): { pid: number; args: string }[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [p, pp, ...args] = line.trim().split(/\s+/);
      return { pid: Number(p), ppid: Number(pp), args: args.join(' ') };
    });
  const found: { pid: number; args: string }[] = [];
  const walk = (parent: number): void => {
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push({ pid: row.pid, args: row.args });
      walk(row.pid);
    }
  };
  walk(pid);
  return found;
}
