/**
 * The `d2l-ts` Jupyter kernelspec: this project's tslab run by this Node, written where Jupyter looks
 * for kernels, without Python (what `jupyter kernelspec install` would do).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from './paths';
import { findTslab } from './kernel/find-tslab';

export const KERNEL_NAME = 'd2l-ts';
export const DISPLAY_NAME = 'TypeScript (d2l-ts)';
export const LANGUAGE = 'typescript';

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal' | 'message';
  metadata: { [key: string]: unknown };
}

/** Absolute path of the tslab launcher that runs in `root` (src/kernel/find-tslab.js's rule): this project's. */
export function tslabBin(root: string = PROJECT_ROOT): string {
  let dir: string;
  try {
    dir = findTslab(root);
  } catch {
    throw new Error(`tslab is not installed under ${root}: run \`npm install\` first`);
  }
  return path.join(dir, 'bin', 'tslab');
}

/** Preloaded into tslab: the patches of src/kernel/ that make it answer as ipykernel does. */
export const KERNEL_PRELOAD = path.join(PROJECT_ROOT, 'src', 'kernel', 'preload.js');

/**
 * V8's young generation at its full 16 MB from the start rather than grown from 1 MB: building the
 * kernel's TypeScript program keeps most of what it allocates, and in a small young generation that is
 * copied and promoted early, garbage the old generation then keeps. Measured over 3.2 (bench/kernel-cells.ts,
 * 3 pairs): 0.7–0.8× the scavenging time and 30 MB less resident memory at the end.
 */
export const KERNEL_V8_FLAGS = ['--min-semi-space-size=16'];

/**
 * The kernelspec: absolute paths to the running Node and to the project's tslab, so it needs neither a
 * global tslab nor a PATH change. tslab interrupts on SIGINT, hence `interrupt_mode: signal`.
 */
export function kernelSpec(root: string = PROJECT_ROOT): KernelSpec {
  return {
    argv: [
      process.execPath,
      ...KERNEL_V8_FLAGS,
      '--require',
      KERNEL_PRELOAD,
      tslabBin(root),
      'kernel',
      '--config-path',
      '{connection_file}',
    ],
    display_name: DISPLAY_NAME,
    language: LANGUAGE,
    interrupt_mode: 'signal',
    metadata: { debugger: false },
  };
}

export interface Environment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

const here = (): Environment => ({ env: process.env, platform: process.platform, home: os.homedir() });

/** jupyter_core.paths.jupyter_data_dir(): JUPYTER_DATA_DIR, else the platform's per-user default. */
export function jupyterDataDir({ env, platform, home }: Environment = here()): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (platform === 'win32') {
    return env.APPDATA
      ? path.join(env.APPDATA, 'jupyter')
      : path.join(env.JUPYTER_CONFIG_DIR ?? path.join(home, '.jupyter'), 'data');
  }
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** Where to install: the per-user data dir (like `--user`) or `<prefix>/share/jupyter` (`--prefix`). */
export type Target = { user: true } | { prefix: string };

export function kernelsDir(target: Target, environment: Environment = here()): string {
  if ('prefix' in target) {
    if (!target.prefix) throw new Error('prefix: expected a directory path, got an empty string');
    return path.join(path.resolve(target.prefix), 'share', 'jupyter', 'kernels');
  }
  return path.join(jupyterDataDir(environment), 'kernels');
}

/** The logos Jupyter shows for the kernel (its launcher tile, the kernel picker): SVG and two PNGs. */
export const LOGO_DIR = path.join(PROJECT_ROOT, 'src', 'kernel-logo');
export const LOGO_FILES = ['logo-svg.svg', 'logo-32x32.png', 'logo-64x64.png'] as const;

/**
 * Writes <kernels dir>/d2l-ts/kernel.json and the logos (replacing older ones) and returns that
 * directory. kernel.json goes last, via a rename, so Jupyter never sees a half-written spec.
 */
export function installKernelSpec(
  target: Target = { user: true },
  environment: Environment = here(),
): string {
  const dir = path.join(kernelsDir(target, environment), KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  for (const logo of LOGO_FILES) fs.copyFileSync(path.join(LOGO_DIR, logo), path.join(dir, logo));
  const file = path.join(dir, 'kernel.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(kernelSpec(), null, 1) + '\n');
  fs.renameSync(tmp, file);
  return dir;
}

/** Removes the d2l-ts kernelspec; returns the removed directory, or null when none was installed. */
export function uninstallKernelSpec(
  target: Target = { user: true },
  environment: Environment = here(),
): string | null {
  const dir = path.join(kernelsDir(target, environment), KERNEL_NAME);
  if (!fs.existsSync(path.join(dir, 'kernel.json'))) return null;
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}
