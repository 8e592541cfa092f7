/** Records running times; defined in section 3.1 (linear regression, vectorisation for speed). */
export class Timer {
  /** Every recorded interval, in seconds. */
  readonly times: number[] = [];
  private tik: number | null = null;

  /** Creates a timer that is already running, like the book's. */
  constructor() {
    this.start();
  }

  /** Starts (or restarts) the clock. */
  start(): void {
    this.tik = performance.now();
  }

  /** Stops the clock, records the interval and returns it in seconds. */
  stop(): number {
    if (this.tik === null) throw new Error('Timer.stop: the timer is not running; call start() first');
    this.times.push((performance.now() - this.tik) / 1000);
    this.tik = null;
    return this.times[this.times.length - 1];
  }

  /** The mean of the recorded intervals, in seconds. */
  avg(): number {
    if (this.times.length === 0) throw new Error('Timer.avg: no time recorded yet; call stop() first');
    return this.sum() / this.times.length;
  }

  /** The total of the recorded intervals, in seconds. */
  sum(): number {
    return this.times.reduce((a, b) => a + b, 0);
  }

  /** The running totals of the recorded intervals, in seconds. */
  cumsum(): number[] {
    let total = 0;
    return this.times.map((t) => (total += t));
  }
}
