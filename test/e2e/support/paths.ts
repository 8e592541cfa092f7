import * as path from 'node:path';

import { PROJECT_ROOT } from '../../../src/paths';

export { PROJECT_ROOT };

/**
 * Screenshots, executed notebook copies and server logs. Inside the project (and gitignored) rather than
 * in /tmp because a tslab kernel resolves `d2l` and `@types/node` from the notebook's folder upwards.
 */
export const ARTIFACTS_DIR = path.join(PROJECT_ROOT, 'e2e-artifacts');

/** The pinned Jupyter of requirements/jupyter.txt, installed into .venv/ by .ci/jupyter-venv. */
export const VENV_BIN = path.join(PROJECT_ROOT, '.venv', 'bin');
export const JUPYTER_LAB_BIN = path.join(VENV_BIN, 'jupyter-lab');
export const JUPYTER_NBCONVERT_BIN = path.join(VENV_BIN, 'jupyter-nbconvert');
/** Debian's Chromium (apt-get install chromium); never a downloaded browser. */
export const CHROMIUM_BIN = '/usr/bin/chromium';
