import * as os from 'node:os';
import { installKernelSpec } from '../../../src/kernelspec';

/**
 * Writes the project's `d2l-ts` kernelspec into a throwaway Jupyter data dir, exactly as
 * `npm run kernel` writes it into a user's, and returns its folder.
 */
export function installKernelspec(jupyterDataDir: string): string {
  return installKernelSpec(
    { user: true },
    { env: { JUPYTER_DATA_DIR: jupyterDataDir }, platform: process.platform, home: os.homedir() },
  );
}
