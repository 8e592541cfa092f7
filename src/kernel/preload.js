// @ts-check
// The d2l-ts kernel: tslab 1.0.22 made to answer as a first-class Jupyter kernel (ipykernel's
// behaviour) without forking it. The kernelspec preloads this file (node --require) into tslab, for
// Jupyter and the runner alike. What to change when tslab changes is in this folder, one patch a file:
// - queued-sends.js  zeromq sends queued per socket (tslab's unawaited sends kill the kernel under load)
// - executor.js      a cell's diagnostics, thrown value and last expression kept for its replies
// - execute.js       the execute queue: errors as Jupyter errors, execute_input and execute_result,
//                    only requests queued behind a failure aborted (tracebacks.js: the error's text)
// - kernel-info.js   a complete language_info; history_request answered
// - comm-info.js     comm_info_request answered with a comm_info_reply
// - types.js         only the @types packages the project names type-loaded (a faster start)
// - converter.js     one language service compiles each cell for its own cost; warmed after the first reply
// - shell.js         requests answered before tslab sees them (used by the three above)
// - host.js          the host object d2l displays its figures by (a bundle, an updated output, a
//                    cell-end hook), published only when every patch is installed
// The runner adds exit-with-parent.js and lossless-iopub.js to the kernels it starts.
// Plain JavaScript because the kernel runs without tsx; tsc checks it (// @ts-check, JSDoc types).
'use strict';

// Node ≥ 22.8 keeps V8's compiled code of the modules a kernel loads (TypeScript, TensorFlow.js, vega)
// in a disk cache, checked against each file's content: every kernel after the first starts and runs
// its first import about 0.3 s sooner. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
/** @type {{ enableCompileCache?: () => unknown }} */ (require('node:module')).enableCompileCache?.();

// TensorFlow's start-up log kept off the kernel's stderr (which Jupyter shows in the server's terminal)
// for notebooks that import @tensorflow/tfjs-node without d2l: the settings d2l uses, from their one
// plain-JavaScript module (loadable whether d2l is built or not).
require('../../d2l/src/tf-log').quietTensorFlowLog();

const tslab = require('./tslab');

const PATCHES = [
  require('./queued-sends'),
  require('./shell'),
  require('./converter'), // before executor.js, which wraps its createExecutor
  require('./executor'),
  require('./execute'),
  require('./kernel-info'),
  require('./comm-info'),
  require('./types'),
  require('./host'), // last: published only with execute.js installed, which feeds it
];

/** The tslab internals the patches need but that this tslab lacks (an upgrade moved them). */
const missing = PATCHES.flatMap((patch) => patch.needs).filter((name) => tslab.internal(name) === undefined);

if (missing.length === 0) {
  for (const patch of PATCHES) patch.install(tslab);
} else {
  // Patching half of tslab would leave it inconsistent: only the zeromq fix, which needs none of it.
  require('./queued-sends').install(tslab);
  process.emitWarning(
    `d2l-ts kernel: tslab ${tslab.version} lacks ${missing.join(', ')}; ` +
      'errors stay stderr text and tslab aborts requests after an error',
  );
}

module.exports = { missing, tslabDir: tslab.dir };
