// @ts-check
/* global console */
// IPython's `post_execute` event, which matplotlib uses to draw a cell's figures when it ends: the
// functions in the set at `Symbol.for('d2l-ts.postExecute')` run once when the running cell ends, before
// its execute_reply, so that what they send belongs to that cell (d2l.Animator draws its final figure
// there). tslab has no such event; execute.js calls `run` when a cell's execution settles.
'use strict';

/** @type {Set<() => void>} */
const hooks = new Set();
Reflect.set(globalThis, Symbol.for('d2l-ts.postExecute'), hooks);

/** Runs and forgets the hooks the ending cell added; a failing hook is reported, the others still run. */
function run() {
  const due = [...hooks];
  hooks.clear();
  for (const hook of due) {
    try {
      hook();
    } catch (e) {
      console.error('post_execute hook failed:', e);
    }
  }
}

module.exports = { run };
