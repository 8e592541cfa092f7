/**
 * `Animator`, the book's live training plot (section 3.6 of the edition our chapters follow; d2l-en's
 * `ProgressBoard`), drawn with the figure code of `plot`.
 */
import type { Figure } from './figure/figure';
import { atCellEnd, updatingDisplay } from './figure/display';
import type { UpdatingDisplay } from './figure/display';
import { checkFigsize, figure } from './plot';
import type { PlotOptions } from './plot';

/** At most this many milliseconds between redraws while points come in: a few a second. */
const REDRAW_MS = 250;

/**
 * Plots data as it comes in, in one notebook output that it updates in place. Defined in section 3.6 of
 * the book (softmax regression from scratch); 3.2 and 3.3 plot their training loss with it.
 *
 * Each `add` records a point per series. In a notebook the figure is redrawn at most every 250 ms:
 * such redraws send the vega-lite spec, which the browser draws; when the cell ends, the last state is
 * drawn once more with its PNG, for the saved notebook. Await `add`: a redraw then lets the kernel
 * send it before the loop goes on, so the curve grows while the cell runs. Outside a notebook `add`
 * only records, and `figure()` returns what it would show.
 *
 * @example
 * const animator = new d2l.Animator({ xlabel: 'epoch', ylabel: 'loss', legend: ['train', 'test'] });
 * for (let epoch = 0; epoch < 3; epoch++) await animator.add(epoch + 1, [1 / (epoch + 1), 2 / (epoch + 2)]);
 */
export class Animator {
  /** Each series' points. */
  private readonly X: number[][] = [];
  private readonly Y: number[][] = [];
  private display: UpdatingDisplay | undefined;
  private lastRedraw = -Infinity;
  /** Points added since the output last got a PNG: the state the end of the cell must draw. */
  private undrawn = false;

  /** The options of `plot`; the number of series is the legend's, or that of the first `add`. */
  constructor(private readonly options: PlotOptions = {}) {
    if (options.figsize !== undefined) checkFigsize(options.figsize, 'Animator');
    this.addSeries(options.legend?.length ?? 0);
  }

  /**
   * Adds a point at `x` to each series: `y` holds one value per series (a number for the first only).
   * An undefined value skips its series at this x; NaN leaves a gap in its line.
   */
  add(x: number, y: number | readonly (number | undefined)[]): Promise<void> {
    const ys = typeof y === 'number' ? [y] : y;
    if (!Number.isFinite(x)) throw new Error(`Animator.add: x must be a finite number; got ${x}`);
    if (this.X.length === 0) this.addSeries(ys.length);
    if (ys.length > this.X.length) {
      throw new Error(`Animator.add: y has ${ys.length} values for ${this.X.length} series`);
    }
    ys.forEach((v, i) => {
      if (v === undefined) return;
      if (typeof v !== 'number') throw new Error(`Animator.add: y[${i}] must be a number; got ${v}`);
      this.X[i].push(x);
      this.Y[i].push(v);
    });
    return this.redraw();
  }

  /** The figure of the points added so far. */
  figure(): Figure {
    return figure(this.X, this.Y, this.options);
  }

  private addSeries(count: number): void {
    for (let i = 0; i < count; i++) {
      this.X.push([]);
      this.Y.push([]);
    }
  }

  /** Redraws without the PNG when the last redraw is old enough; the cell's end draws the rest. */
  private redraw(): Promise<void> {
    this.display ??= updatingDisplay();
    if (this.display === undefined) return Promise.resolve();
    atCellEnd(this.final, REDRAW_MS);
    this.undrawn = true;
    const now = performance.now();
    if (now - this.lastRedraw < REDRAW_MS) return Promise.resolve();
    this.lastRedraw = now;
    const fig = this.figure();
    this.display.show(fig.bundle({ png: false }), fig.metadata());
    // A macrotask: the kernel's sends are asynchronous, and a synchronous loop would hold them back.
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** The last state, with its PNG. */
  private readonly final = (): void => {
    if (!this.undrawn || this.display === undefined) return;
    this.undrawn = false;
    const fig = this.figure();
    this.display.show(fig.bundle(), fig.metadata());
  };
}
