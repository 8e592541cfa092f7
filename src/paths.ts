import * as path from 'node:path';

/** The project's root folder (this file lives in src/): for tooling, tests and the bench. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
