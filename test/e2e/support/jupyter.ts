import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { installKernelspec } from './kernelspec';
import { JUPYTER_LAB_BIN, JUPYTER_NBCONVERT_BIN, VENV_BIN } from './paths';

/** Throwaway Jupyter data/config/runtime dirs holding our kernelspec, so the user's own setup is untouched. */
export interface JupyterDirs {
  root: string;
  env: NodeJS.ProcessEnv;
  runtimeDir: string;
}

export function makeJupyterDirs(): JupyterDirs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-e2e-jupyter-'));
  const dataDir = path.join(root, 'data');
  const configDir = path.join(root, 'config');
  const runtimeDir = path.join(root, 'runtime');
  for (const dir of [dataDir, configDir, runtimeDir]) fs.mkdirSync(dir, { recursive: true });
  installKernelspec(dataDir);
  // No news pop-up (it asks to fetch jupyter.org's feed) over the notebook being tested.
  fs.mkdirSync(path.join(configDir, 'labconfig'));
  fs.writeFileSync(
    path.join(configDir, 'labconfig', 'page_config.json'),
    JSON.stringify({ disabledExtensions: { '@jupyterlab/apputils-extension:announcements': true } }),
  );
  // The kernel answers a complete_request in 0.3-3 s (tslab rebuilds TypeScript's checker for each one;
  // the machine the suite runs on is shared): JupyterLab's default 1 s would drop the answer.
  const completer = path.join(root, 'lab-settings', '@jupyterlab', 'completer-extension');
  fs.mkdirSync(completer, { recursive: true });
  fs.writeFileSync(
    path.join(completer, 'manager.jupyterlab-settings'),
    JSON.stringify({ providerTimeout: 15_000 }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_DATA_DIR: dataDir,
    JUPYTER_CONFIG_DIR: configDir,
    JUPYTER_RUNTIME_DIR: runtimeDir,
    // Replaces any JUPYTER_PATH of the user's, so only our data dir and the venv's are searched.
    JUPYTER_PATH: dataDir,
    JUPYTERLAB_SETTINGS_DIR: path.join(root, 'lab-settings'),
    JUPYTERLAB_WORKSPACES_DIR: path.join(root, 'lab-workspaces'),
    // The venv first, as if activated: the server and nbconvert find their own Python tools.
    PATH: `${VENV_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    VIRTUAL_ENV: path.dirname(VENV_BIN),
  };
  return { root, env, runtimeDir };
}

/** Kills kernels still alive after their server or nbconvert went away (found by our private runtime dir). */
export function killStrayKernels(dirs: JupyterDirs): number[] {
  const killed: number[] = [];
  if (!fs.existsSync('/proc')) return killed;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (!cmdline.includes(dirs.runtimeDir)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      // already exited
    }
  }
  return killed;
}

export function removeJupyterDirs(dirs: JupyterDirs): void {
  killStrayKernels(dirs);
  fs.rmSync(dirs.root, { recursive: true, force: true });
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface JupyterServer {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  token: string;
  notebookDir: string;
  /** URL of a notebook (path relative to notebookDir) in JupyterLab or Notebook 7, token included. */
  notebookUrl(relativePath: string, ui: 'lab' | 'notebook'): string;
  /** Paths (relative to notebookDir) of the notebooks that have a running kernel. */
  sessionPaths(): Promise<string[]>;
  /** Shuts down the kernel of the notebook at `relativePath` (so kernels do not pile up). */
  shutdownKernels(relativePath: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts JupyterLab's server (which also serves Notebook 7) from the venv, on loopback with a random
 * port and token, serving `notebookDir`, and resolves once its REST API answers.
 */
export async function startJupyterServer(options: {
  dirs: JupyterDirs;
  notebookDir: string;
  logFile: string;
  startTimeoutMs?: number;
}): Promise<JupyterServer> {
  const { dirs, notebookDir, logFile, startTimeoutMs = 60_000 } = options;
  const port = await freeLoopbackPort();
  const token = randomBytes(24).toString('hex');
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = [
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    `--ServerApp.root_dir=${notebookDir}`,
    // Nothing from the network: no update check, no news.
    '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
    '--LabApp.news_url=None',
  ];
  // The server refuses to run as root without this; CI containers run as root.
  if (process.getuid?.() === 0) args.push('--allow-root');

  const log = fs.openSync(logFile, 'w');
  // Same process group as jest (not detached), so a Ctrl-C in the terminal reaches the server too.
  // The token goes through the environment, not argv, to keep it out of `ps`.
  const child = spawn(JUPYTER_LAB_BIN, args, {
    env: { ...dirs.env, JUPYTER_TOKEN: token },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const encoded = (relativePath: string) => relativePath.split(path.sep).map(encodeURIComponent).join('/');

  const server: JupyterServer = {
    baseUrl,
    token,
    notebookDir,
    // `reset`: JupyterLab would otherwise reopen every notebook an earlier page had open.
    notebookUrl: (relativePath, ui) =>
      ui === 'lab'
        ? `${baseUrl}/lab/tree/${encoded(relativePath)}?reset&token=${token}`
        : `${baseUrl}/notebooks/${encoded(relativePath)}?token=${token}`,
    sessionPaths: async () => {
      const response = await fetch(`${baseUrl}/api/sessions`, {
        headers: { Authorization: `token ${token}` },
      });
      if (!response.ok) throw new Error(`GET /api/sessions: HTTP ${response.status}`);
      const sessions = (await response.json()) as Array<{ path: string }>;
      return sessions.map((session) => session.path);
    },
    shutdownKernels: async (relativePath) => {
      const headers = { Authorization: `token ${token}` };
      const sessions = (await (await fetch(`${baseUrl}/api/sessions`, { headers })).json()) as Array<{
        id: string;
        path: string;
      }>;
      const wanted = relativePath.split(path.sep).join('/');
      for (const session of sessions.filter((s) => s.path === wanted)) {
        await fetch(`${baseUrl}/api/sessions/${session.id}`, { method: 'DELETE', headers });
      }
    },
    stop: async () => {
      if (!exited(child)) {
        // The REST shutdown stops the kernels first; SIGTERM and SIGKILL are the fallbacks.
        await fetch(`${baseUrl}/api/shutdown`, {
          method: 'POST',
          headers: { Authorization: `token ${token}` },
        }).catch(() => undefined);
        if (!(await waitForExit(child, 10_000))) {
          child.kill('SIGTERM');
          if (!(await waitForExit(child, 5_000))) child.kill('SIGKILL');
          await waitForExit(child, 5_000);
        }
      }
      killStrayKernels(dirs);
    },
  };

  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, sleep(250).then(() => undefined)]);
    if (failed) throw new Error(`cannot start ${JUPYTER_LAB_BIN}: ${failed.message}`);
    if (exited(child)) {
      throw new Error(`jupyter-lab exited with code ${child.exitCode} during start-up:\n${tail(logFile)}`);
    }
    const ready = await fetch(`${baseUrl}/api/status`, { headers: { Authorization: `token ${token}` } })
      .then((response) => response.ok)
      .catch(() => false);
    if (ready) return server;
  }
  await server.stop();
  throw new Error(`jupyter-lab did not answer on ${baseUrl} within ${startTimeoutMs} ms:\n${tail(logFile)}`);
}

/**
 * `jupyter nbconvert --to html --execute` on one notebook; the kernel comes from the notebook's
 * metadata.kernelspec, as for a user. Resolves with the HTML file's path; rejects with the log on failure.
 * Give it its own JupyterDirs: on failure it kills every kernel started under them.
 */
export async function nbconvertToHtml(options: {
  dirs: JupyterDirs;
  notebook: string;
  outputDir: string;
  logFile: string;
  timeoutMs: number;
}): Promise<string> {
  const { dirs, notebook, outputDir, logFile, timeoutMs } = options;
  const args = [
    '--to',
    'html',
    '--execute',
    `--ExecutePreprocessor.timeout=${Math.ceil(timeoutMs / 1000)}`,
    `--output-dir=${outputDir}`,
    notebook,
  ];
  const log = fs.openSync(logFile, 'w');
  const child = spawn(JUPYTER_NBCONVERT_BIN, args, { env: dirs.env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const outcome = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, error: new Error(`timed out after ${timeoutMs} ms`) });
    }, timeoutMs + 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, error });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
  if (outcome.code !== 0) {
    killStrayKernels(dirs);
    const why = outcome.error ? outcome.error.message : `exit code ${outcome.code}`;
    throw new Error(
      `jupyter nbconvert --execute ${path.basename(notebook)} failed (${why}):\n${tail(logFile)}`,
    );
  }
  return path.join(outputDir, path.basename(notebook).replace(/\.ipynb$/, '.html'));
}
