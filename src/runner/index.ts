/**
 * The headless notebook runner: Node only, the real tslab kernel over the Jupyter wire protocol. Its
 * public API: runNotebook, runNotebooks, their options (DEFAULTS documents each) and results.
 */
export { DEFAULTS, runNotebook, runNotebooks } from './run';
export type { CellCut, CellFailure, NotebookResult, NotebookStatus, ProgressEvent, RunOptions } from './run';
