// @ts-check
/* global console */
// The d2l-ts kernel's host object: the one seam between the kernel and the libraries its cells load
// (d2l shows its figures by it). A small versioned object at `globalThis[Symbol.for('d2l-ts.kernel')]`:
// - display(data, metadata, displayId?)  one display_data holding the whole MIME bundle (tslab's
//                                        public `display` sends one MIME type per message)
// - update(displayId, data, metadata)    update_display_data for the output shown with that id
// - atCellEnd(fn)                        IPython's `post_execute` event, by which matplotlib draws a
//                                        cell's figures: `fn` runs once when the running cell ends,
//                                        before its execute_reply, so what it sends belongs to that cell
// - version                              what a library checks before it uses the rest
// The outputs go through the sender tslab hands the running cell (the last cell's once it ended, as
// tslab's own `display` does); execute.js says when a cell starts and ends. The preload publishes the
// object only when execute.js is installed: without it, no hook would ever run, and d2l falls back to
// tslab's public API and its own timer. d2l/src/figure/display.ts reads it by the same key
// (test/kernel/host.test.ts checks that the two agree).
'use strict';

const KEY = Symbol.for('d2l-ts.kernel');
const VERSION = 1;

/** @typedef {import('./wire').JsonObject} JsonObject */
/**
 * @typedef {object} Host
 * @property {number} version
 * @property {(data: JsonObject, metadata: JsonObject, displayId?: string) => void} display
 *   (before the first cell, nothing is sent)
 * @property {(displayId: string, data: JsonObject, metadata: JsonObject) => void} update
 * @property {(fn: () => void) => void} atCellEnd
 */

/** The running cell's sender, or the last cell's once it ended; null before the first. */
/** @type {import('./tslab').WriteDisplayData | null} */
let write = null;

/** @type {Set<() => void>} */
const hooks = new Set();

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
});

/**
 * A cell starts: its outputs go by `writeDisplayData` (execute.js).
 * @param {import('./tslab').WriteDisplayData} writeDisplayData
 */
function cellStarted(writeDisplayData) {
  write = writeDisplayData;
}

/** The running cell's execution settled (execute.js): runs and forgets its hooks; a failing hook is reported, the others still run. */
function cellEnded() {
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

/** The host object needs nothing of tslab itself, only execute.js, which is installed before it. */
/** @type {string[]} */
const needs = [];

/** Publishes the host object (the preload, once every patch is installed). */
function install() {
  Reflect.set(globalThis, KEY, host);
}

module.exports = { KEY, VERSION, host, needs, install, cellStarted, cellEnded };
