/**
 * The d2l-ts kernel as d2l meets it, for the tests and the bench: the real host object
 * (src/kernel/host.js) published on globalThis, with a cell running whose outputs are kept here
 * instead of sent; `endCell` is what execute.js does when a cell's execution settles.
 */
import * as host from '../../src/kernel/host';

/** A display_data (or, with `update`, update_display_data) message's content. */
export interface Output {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
  update: boolean;
}

export interface FakeKernel {
  /** Every output sent since the kernel started. */
  readonly outputs: Output[];
  /** Ends the running cell (its cell-end hooks run) and starts the next. */
  endCell(): void;
  /** A shell request reaches the kernel (any but execute: the idle tasks wait longer). */
  request(): void;
  /** Withdraws the host object: d2l is outside a kernel again. */
  close(): void;
}

/** Publishes the host object; `onOutput` sees each output as it is sent. */
export function fakeKernel(onOutput: (output: Output) => void = () => {}): FakeKernel {
  const outputs: Output[] = [];
  const shell: (() => undefined)[] = [];
  host.install(undefined, { intercept: (fn) => void shell.push(fn) });
  host.cellStarted((msg, update) => {
    const output = { ...(msg as Omit<Output, 'update'>), update };
    outputs.push(output);
    onOutput(output);
  });
  return {
    outputs,
    endCell: host.cellEnded,
    request: () => shell.forEach((fn) => fn()),
    close: () => void Reflect.deleteProperty(globalThis, host.KEY),
  };
}
