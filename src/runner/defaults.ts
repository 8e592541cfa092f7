/** The runner's options and their defaults, documented once. */
import * as os from 'node:os';
import type { Parameters } from './parameters';

/**
 * Every option of a run with its default, for the library, the CLI and KernelClient alike. Times are
 * in seconds.
 */
export const DEFAULTS = {
  /** Keep going after a failing cell (its error is stored either way). */
  allowErrors: false,
  /** Per-cell limit until the reply (0: none); past it the cell is interrupted (SIGINT). */
  timeout: 600,
  /** Between the interrupt of a timed-out cell and killing the kernel. */
  interruptGrace: 5,
  /** For the kernel to start and answer. */
  startTimeout: 60,
  /** How long a cell's trailing outputs may keep the runner waiting for its `idle`, from the last one. */
  outputWait: 10,
  /** Characters of output a cell keeps, as text or MIME data (0: no limit); past it, cut with a note. */
  maxOutput: 10_000_000,
  /** Notebooks run at once, one kernel each: as many as the machine has cores. */
  jobs: os.availableParallelism(),
  /** papermill's parameters: injected as `const` declarations after the cell tagged `parameters`. */
  parameters: {} as Parameters,
  /** Store nbclient's per-cell timing (cell.metadata.execution); off, so reruns change nothing else. */
  recordTiming: false,
};
