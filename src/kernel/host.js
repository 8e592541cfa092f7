// @ts-check
/* global console, performance, setTimeout */
// The d2l-ts kernel's host object: the one seam between the kernel and the libraries its cells load
// (d2l shows its figures by it). A small versioned object at `globalThis[Symbol.for('d2l-ts.kernel')]`:
// - display(data, metadata, displayId?)  one display_data holding the whole MIME bundle (tslab's
//                                        public `display` sends one MIME type per message)
// - update(displayId, data, metadata)    update_display_data for the output shown with that id
// - atCellEnd(fn)                        IPython's `post_execute` event, by which matplotlib draws a
//                                        cell's figures: `fn` runs once when the running cell ends,
//                                        before its execute_reply, so what it sends belongs to that cell
// - whenIdle(fn)                         `fn` runs once the kernel has been idle (no cell running, no
//                                        request) for IDLE_MS, each such function in its own idle
//                                        moment: work that makes a later cell faster (d2l warms its
//                                        figure code, converter.js renews its kept program) done while
//                                        the learner reads, not in a cell's time
//                                        (optional: a library checks that it is there);
//                                        D2L_KERNEL_IDLE=0 turns idle tasks off, to compare
// - version                              what a library checks before it uses the rest
// The outputs go through the sender tslab hands the running cell (the last cell's once it ended, as
// tslab's own `display` does); execute.js says when a cell starts and ends. The preload publishes the
// object only when execute.js is installed: without it, no hook would ever run, and d2l falls back to
// tslab's public API and its own timer. d2l/src/figure/display.ts reads it by the same key
// (test/kernel/host.test.ts checks that the two agree).
'use strict';

const KEY = Symbol.for('d2l-ts.kernel');
const VERSION = 1;

/**
 * How long the kernel must be idle before an idle task runs: longer than the pause between cells that
 * a client runs one after the other (nbclient, the runner: milliseconds), shorter than a learner reads.
 */
const IDLE_MS = 1000;

/** @typedef {import('./wire').JsonObject} JsonObject */
/**
 * @typedef {object} Host
 * @property {number} version
 * @property {(data: JsonObject, metadata: JsonObject, displayId?: string) => void} display
 *   (before the first cell, nothing is sent)
 * @property {(displayId: string, data: JsonObject, metadata: JsonObject) => void} update
 * @property {(fn: () => void) => void} atCellEnd
 * @property {(fn: () => void) => void} whenIdle
 */

/** The running cell's sender, or the last cell's once it ended; null before the first. */
/** @type {import('./tslab').WriteDisplayData | null} */
let write = null;

/** @type {Set<() => void>} */
const hooks = new Set();

/** The functions waiting for an idle moment, in order. */
/** @type {(() => void)[]} */
const idleTasks = [];
/** Whether a cell is running (from cellStarted to cellEnded). */
let cellRunning = false;
/** When the kernel last did something (a cell ended, a request came): performance.now(). */
let lastActive = performance.now();
/** @type {NodeJS.Timeout | null} */
let idleTimer = null;

/** Something happened in the kernel: the idle tasks wait IDLE_MS more. */
function active() {
  lastActive = performance.now();
  scheduleIdle();
}

function scheduleIdle() {
  if (idleTimer !== null || idleTasks.length === 0 || cellRunning) return;
  const wait = Math.max(0, lastActive + IDLE_MS - performance.now());
  idleTimer = setTimeout(runIdle, wait);
  idleTimer.unref(); // an idle task never keeps the process alive
}

/** Runs the next idle task if the kernel is still idle, then waits for the next idle moment. */
function runIdle() {
  idleTimer = null;
  if (cellRunning) return; // cellEnded schedules again
  if (performance.now() - lastActive < IDLE_MS) return scheduleIdle();
  const task = /** @type {() => void} */ (idleTasks.shift());
  try {
    task();
  } catch (e) {
    console.error('d2l-ts kernel: an idle task failed:', e);
  }
  // The next one after a turn of the event loop: a request that came meanwhile goes first.
  lastActive = performance.now() - IDLE_MS;
  if (idleTasks.length > 0) {
    idleTimer = setTimeout(runIdle, 1);
    idleTimer.unref();
  }
}

/**
 * @param {JsonObject} data
 * @param {JsonObject} metadata
 * @param {string | undefined} displayId
 * @param {boolean} update
 */
function send(data, metadata, displayId, update) {
  write?.({ data, metadata, transient: displayId === undefined ? {} : { display_id: displayId } }, update);
}

/** @type {Readonly<Host>} */
const host = Object.freeze({
  version: VERSION,
  display: (data, metadata, displayId) => send(data, metadata, displayId, false),
  update: (displayId, data, metadata) => send(data, metadata, displayId, true),
  atCellEnd: (fn) => void hooks.add(fn),
  whenIdle: (fn) => {
    if (process.env.D2L_KERNEL_IDLE === '0') return; // off, to compare side by side
    idleTasks.push(fn);
    scheduleIdle();
  },
});

/**
 * A cell starts: its outputs go by `writeDisplayData` (execute.js).
 * @param {import('./tslab').WriteDisplayData} writeDisplayData
 */
function cellStarted(writeDisplayData) {
  write = writeDisplayData;
  cellRunning = true;
}

/** The running cell's execution settled (execute.js): runs and forgets its hooks; a failing hook is reported, the others still run. */
function cellEnded() {
  cellRunning = false;
  active();
  const due = [...hooks];
  hooks.clear();
  for (const hook of due) {
    try {
      hook();
    } catch (e) {
      console.error('d2l-ts kernel: a cell-end hook failed:', e);
    }
  }
}

/**
 * The host object needs nothing of tslab itself, only execute.js and shell.js, which are installed
 * before it.
 */
/** @type {string[]} */
const needs = [];

/**
 * Publishes the host object (the preload, once every patch is installed); with `shell` (the preload's
 * shell.js), every request counts as activity for the idle tasks.
 * @param {unknown} [_tslab]
 * @param {{ intercept: (fn: () => undefined) => void }} [shell]
 */
function install(_tslab, shell = require('./shell')) {
  shell.intercept(() => {
    active();
    return undefined;
  });
  Reflect.set(globalThis, KEY, host);
}

module.exports = { KEY, VERSION, IDLE_MS, host, needs, install, cellStarted, cellEnded };
