/**
 * The d2l under test: the workspace package, or another build of it named by D2L_BENCH_MODULE
 * (`npm run bench -- --baseline REF` builds d2l at a git ref to compare against in the same run).
 */
import type * as D2L from 'd2l';

const override = process.env.D2L_BENCH_MODULE;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- chosen at run time
export const d2l: typeof D2L = require(override !== undefined && override !== '' ? override : 'd2l');
