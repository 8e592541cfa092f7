/** The pinned Jupyter that `.ci/jupyter-venv` installs into .venv/ (requirements/jupyter.txt). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const VENV_DIR = path.resolve(__dirname, '../..', '.venv');
export const VENV_BIN = path.join(VENV_DIR, 'bin');
export const VENV_PYTHON = path.join(VENV_BIN, 'python');

/** Why tests that need the venv skip, or null when it is there. */
export function venvMissing(): string | null {
  return fs.existsSync(VENV_PYTHON) ? null : `${VENV_PYTHON} is missing: run .ci/jupyter-venv`;
}
