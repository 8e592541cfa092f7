// @ts-check
// The project's one rule for finding tslab, for the kernel (tslab.js), lossless-iopub.js and the
// kernelspec (src/kernelspec.ts). d2l, which cannot load this file, follows the same rule in
// d2l/src/figure/display.ts; test/kernel/host.test.ts checks that the two agree.
'use strict';
const path = require('node:path');

/**
 * The folder of the tslab that runs in `cwd`: tslab switches to a node_modules/tslab found from the
 * working directory (the notebook's folder), else it is this project's. Throws when there is none.
 * @param {string} [cwd]
 * @returns {string}
 */
function findTslab(cwd = process.cwd()) {
  return path.dirname(require.resolve('tslab/package.json', { paths: [cwd, __dirname] }));
}

module.exports = { findTslab };
