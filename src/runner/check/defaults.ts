/** The check's options and their defaults, documented once (as DEFAULTS documents a run's). */
import { BUILT_IN_SANITIZERS, type Sanitizer } from './sanitize';

/** The cell tags the check reads (nbval's, and one of its own for pictures). */
export const TAGS = {
  /** Run the cell, compare nothing of its outputs. */
  ignoreOutput: 'nbval-ignore-output',
  /** Do not run the cell at all (its saved outputs stay as they are). */
  skip: 'nbval-skip',
  /** With `lax`, compare this cell's outputs (the others are not). */
  checkOutput: 'nbval-check-output',
  /** The cell must fail: its error is compared by name and message, and the run goes on. */
  raisesException: 'raises-exception',
  /** Compare everything but the pixels of the cell's PNGs (e.g. a plot of timings). */
  ignoreImage: 'check-ignore-image',
} as const;

export interface CheckOptions {
  /** Relative tolerance for numbers in text and in plot data: |new − saved| ≤ atol + rtol·|saved|. */
  rtol: number;
  /** Absolute tolerance for numbers in text and in plot data. */
  atol: number;
  /** Largest RMS of the pixel difference (channel values 0–255) for a PNG to pass. */
  pixelTolerance: number;
  /** nbval's --nbval-lax: compare only the cells tagged nbval-check-output. */
  lax: boolean;
  /** Applied to saved and new text alike before comparing (BUILT_IN_SANITIZERS, then a user's). */
  sanitizers: readonly Sanitizer[];
}

/**
 * The defaults, chosen by measurement: the committed notebooks re-executed on the native, wasm and cpu
 * backends against their saved outputs (see the README's runner section and the report of issue 25).
 */
export const CHECK_DEFAULTS: CheckOptions = {
  // Measured (re-executions on tensorflow, wasm and cpu vs the saved outputs): printed numbers differ
  // by ≤ 1.4e-7 relative (float32's last bit), plot data by one unit of their last digit, PNGs by an
  // RMS ≤ 0.41. rtol keeps 4 significant digits fixed, with a margin for other CPUs' summation order;
  // atol is numpy.isclose's.
  rtol: 1e-4,
  atol: 1e-8,
  pixelTolerance: 2,
  lax: false,
  sanitizers: BUILT_IN_SANITIZERS,
};
