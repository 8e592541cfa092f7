/**
 * A helper thread of `lstsq` (started by gram.ts): adds chunks of rows into its own accumulators in
 * the shared memory until every chunk is claimed, then exits.
 */
import { workerData } from 'node:worker_threads';
import { helperLoop, instantiate, type Layout, type WasmMemory } from './gram-shared';

/** What gram.ts passes to each helper. */
export interface HelperData {
  memory: WasmMemory;
  layout: Layout;
  /** This helper's accumulator index (1, 2, …; the main thread uses 0). */
  thread: number;
}

const { memory, layout, thread } = workerData as HelperData;
helperLoop(instantiate(memory, true), layout, new Int32Array(memory.buffer), thread);
