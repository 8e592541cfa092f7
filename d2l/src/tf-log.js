// @ts-check
/**
 * TensorFlow's log settings, in one place for d2l, the kernel, the tests and the native installer.
 * libtensorflow reads them from the process's real environment when `@tensorflow/tfjs-node` loads.
 * Plain JavaScript (CommonJS, checked by tsc through JSDoc) so that the kernel's preload loads this very
 * file whether d2l is built or not; d2l's build copies it to dist/ with its declarations.
 */
'use strict';

/**
 * Quiet by default: TensorFlow logs its start-up (absl, oneDNN, CPU features) on stderr, which a
 * notebook, a test log or a terminal would show. oneDNN off also makes its float sums come out as
 * wasm's and cpu's do.
 */
const TF_LOG_DEFAULTS = Object.freeze({ TF_CPP_MIN_LOG_LEVEL: '1', TF_ENABLE_ONEDNN_OPTS: '0' });

/**
 * Sets the defaults in `env` where it has no value of its own (a user's setting wins); returns `env`.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {NodeJS.ProcessEnv}
 */
function quietTensorFlowLog(env = process.env) {
  for (const [name, value] of Object.entries(TF_LOG_DEFAULTS)) env[name] ||= value;
  return env;
}

module.exports = { TF_LOG_DEFAULTS, quietTensorFlowLog };
