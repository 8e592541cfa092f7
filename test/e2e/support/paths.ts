import * as path from 'node:path';

/** The project root (this file lives in test/e2e/support). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Screenshots, executed notebook copies and server logs. Inside the project (and gitignored) rather than
 * in /tmp because a tslab kernel resolves `d2l` and `@types/node` from the notebook's folder upwards.
 */
export const ARTIFACTS_DIR = path.join(PROJECT_ROOT, 'e2e-artifacts');

export const JUPYTER_NOTEBOOK_BIN = '/usr/bin/jupyter-notebook';
export const JUPYTER_NBCONVERT_BIN = '/usr/bin/jupyter-nbconvert';
export const CHROMIUM_BIN = '/usr/bin/chromium';
