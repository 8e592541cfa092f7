/**
 * The headless notebook runner: Node only, the real tslab kernel over the Jupyter wire protocol. Its
 * public API: runNotebook, runNotebooks, their options (DEFAULTS documents each) and results; with
 * `check`, the comparison with the saved outputs (CHECK_DEFAULTS documents its options).
 */
export { DEFAULTS, runNotebook, runNotebooks } from './run';
export type { CellCut, CellFailure, NotebookResult, NotebookStatus, ProgressEvent, RunOptions } from './run';
export { BUILT_IN_SANITIZERS, CHECK_DEFAULTS, parseSanitizers, readSanitizers, TAGS } from './check';
export type { CellMismatch, CheckOptions, Difference, Sanitizer } from './check';
