import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from './paths';

/**
 * Writes the project's `d2l-ts` kernelspec into a Jupyter data dir and returns its folder.
 *
 * A stand-in with the shared kernelspec decisions (name, display name, language, signal interrupts,
 * absolute node and project-local tslab) until src/kernelspec.ts lands. Then the body becomes
 *   return installKernelSpec({ user: true }, { env: { JUPYTER_DATA_DIR: jupyterDataDir },
 *     platform: process.platform, home: os.homedir() });
 * or, closer still to a user, running the CLI's `kernel install` with JUPYTER_DATA_DIR set.
 */
export function installKernelspec(jupyterDataDir: string): string {
  const dir = path.join(jupyterDataDir, 'kernels', 'd2l-ts');
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    argv: [
      process.execPath,
      path.join(PROJECT_ROOT, 'node_modules', 'tslab', 'bin', 'tslab'),
      'kernel',
      '--config-path',
      '{connection_file}',
    ],
    display_name: 'TypeScript (d2l-ts)',
    language: 'typescript',
    interrupt_mode: 'signal',
  };
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
  return dir;
}
