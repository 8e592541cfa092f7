/**
 * Which kernel runs a notebook: the d2l-ts kernel (built in, no installation needed) for TypeScript
 * notebooks, or with `--kernel NAME` any kernelspec installed where Jupyter looks for them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jupyterDataDir, KERNEL_NAME, kernelSpec } from '../kernelspec';
import type { Notebook } from './notebook';

export interface KernelChoice {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

/** Kernel names of notebooks the d2l-ts kernel runs without being asked. */
const TYPESCRIPT_KERNELS = new Set([KERNEL_NAME, 'tslab']);

/** jupyter_core.paths.jupyter_path('kernels') on Linux and macOS: JUPYTER_PATH, the user's, the system's. */
function kernelSearchPath(): string[] {
  const dirs = [
    ...(process.env.JUPYTER_PATH ?? '').split(path.delimiter).filter(Boolean),
    jupyterDataDir(),
    '/usr/local/share/jupyter',
    '/usr/share/jupyter',
  ];
  return [...new Set(dirs.map((dir) => path.join(dir, 'kernels')))];
}

/**
 * The kernel for `nb`: `name` when given (an installed kernelspec, or d2l-ts), else the d2l-ts kernel,
 * which refuses notebooks written for another language.
 */
export function chooseKernel(nb: Notebook, file: string, name?: string): KernelChoice {
  if (name === undefined) {
    const spec = (nb.metadata.kernelspec ?? {}) as { name?: unknown; language?: unknown };
    const wanted = typeof spec.name === 'string' ? spec.name : undefined;
    if (wanted !== undefined && !TYPESCRIPT_KERNELS.has(wanted) && spec.language !== 'typescript') {
      throw new Error(
        `${file}: uses kernel '${wanted}'; this runner runs TypeScript notebooks on ${KERNEL_NAME} ` +
          `(tslab) unless told otherwise: --kernel ${KERNEL_NAME} runs it as TypeScript, ` +
          `--kernel ${wanted} with that kernel if it is installed`,
      );
    }
    return { name: KERNEL_NAME, argv: kernelSpec().argv };
  }
  if (name === KERNEL_NAME) return { name, argv: kernelSpec().argv };
  const searched = kernelSearchPath();
  for (const dir of searched) {
    const specFile = path.join(dir, name, 'kernel.json');
    if (!fs.existsSync(specFile)) continue;
    const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as { argv?: unknown; env?: unknown };
    if (!Array.isArray(spec.argv) || spec.argv.length === 0) {
      throw new Error(`--kernel ${name}: ${specFile} has no argv`);
    }
    const resources = path.dirname(specFile);
    return {
      name,
      argv: spec.argv.map((arg) => String(arg).replace('{resource_dir}', resources)),
      env: spec.env && typeof spec.env === 'object' ? (spec.env as Record<string, string>) : undefined,
    };
  }
  throw new Error(`--kernel ${name}: no such kernelspec in ${searched.join(', ')} (nor built in)`);
}
