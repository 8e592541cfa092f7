/**
 * The root package's `postinstall`: `npm install` and `npm ci` end here, so that they give the native
 * backend by themselves. tfjs-node's own installer has run by now (it downloads libtensorflow from
 * Google's storage); where it could not, npm dropped the optional package, and this step takes the
 * route of `npm run native` (TensorFlow's pip wheel), with the tools' output in a log file. It prints
 * one line saying what the notebooks will run on, and never fails the install.
 *
 *   D2L_SKIP_NATIVE=1 npm install   (opt out: no pip download, no build; d2l runs on wasm)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheDir, INSIDE_NATIVE_ROUTE, NativeError, nativeStatus, patchTfjsNode, provision } from './index';

const WASM = 'the notebooks run on wasm (`npm run native` installs it later; see "Backends" in README.md)';

async function postinstall(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.D2L_SKIP_NATIVE) {
    // The opt-out skips the pip-wheel route; a tfjs-node whose own download worked still needs its patch.
    const unpatched = patchTfjsNode();
    if (unpatched !== null) return unpatched;
    const status = nativeStatus();
    if (status.ok) return `${status.detail} loads as backend 'tensorflow' (its own installer downloaded it)`;
    return `D2L_SKIP_NATIVE is set, so TensorFlow's native backend is not installed; ${WASM}`;
  }
  fs.mkdirSync(cacheDir(env), { recursive: true });
  const logFile = path.join(cacheDir(env), 'native-install.log');
  const log = fs.openSync(logFile, 'w');
  try {
    return await provision({ env, output: log });
  } catch (e) {
    const why = e instanceof NativeError ? e.message : String(e);
    const seeLog = fs.statSync(logFile).size > 0 ? `; log: ${logFile}` : '';
    return `TensorFlow's native backend could not be installed (${why}${seeLog}); ${WASM}`;
  } finally {
    fs.closeSync(log);
  }
}

// The route's own `npm install` runs this script again: there it has nothing to do.
if (!process.env[INSIDE_NATIVE_ROUTE]) {
  postinstall(process.env).then(
    (line) => console.error(`native: ${line}`),
    (e: Error) => console.error(`native: ${e.stack}`), // still exit 0: the install itself succeeded
  );
}
