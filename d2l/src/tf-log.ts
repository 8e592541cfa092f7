/**
 * TensorFlow's log settings, in one place for d2l, the kernel, the tests and the native installer.
 * libtensorflow reads them from the process's real environment when `@tensorflow/tfjs-node` loads.
 */

/**
 * Quiet by default: TensorFlow logs its start-up (absl, oneDNN, CPU features) on stderr, which a
 * notebook, a test log or a terminal would show. oneDNN off also makes its float sums come out as
 * wasm's and cpu's do.
 */
export const TF_LOG_DEFAULTS = { TF_CPP_MIN_LOG_LEVEL: '1', TF_ENABLE_ONEDNN_OPTS: '0' } as const;

/** Sets the defaults in `env` where it has no value of its own (a user's setting wins); returns `env`. */
export function quietTensorFlowLog(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  for (const [name, value] of Object.entries(TF_LOG_DEFAULTS)) env[name] ||= value;
  return env;
}
