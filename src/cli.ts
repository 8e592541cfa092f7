/**
 * d2l-ts command line, behind `npm start`, `npm run notebooks` and `npm run kernel` (see USAGE):
 *   run [paths...] [--out DIR] [--timeout S] [--allow-errors] [-j N] [--kernel NAME] [--max-output N]
 *       [--quiet] [--json]
 *   kernel install|uninstall [--user | --prefix P]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  installKernelSpec,
  KERNEL_NAME,
  kernelSpec,
  kernelsDir,
  uninstallKernelSpec,
  type Target,
} from './kernelspec';
import {
  checkTargets,
  commonFolder,
  DEFAULT_MAX_OUTPUT,
  defaultJobs,
  findNotebooks,
  runNotebooks,
} from './runner';
import { PROJECT_ROOT } from './paths';
import { watchLauncher } from './runner/launcher';
import {
  cutReports,
  failureReport,
  jsonSummary,
  progressLine,
  storedErrorReports,
  summaryTable,
} from './runner/report';

const USAGE = `usage:
  npm run notebooks -- [paths...] [options]
                         execute notebooks (default: notebooks/*.ipynb; folders are searched recursively)
                         and save their outputs
      --out DIR          write executed copies to DIR instead of overwriting the notebooks
      --timeout S        per-cell limit in seconds (default 600; 0 = none): interrupt, then kill if needed
      --allow-errors     keep running after a failing cell and exit 0 (errors are saved and printed either way)
      -j, --jobs N       run N notebooks in parallel, one kernel each (default: one per core, here ${defaultJobs()})
      --kernel NAME      run with the installed kernelspec NAME (or d2l-ts), whatever the notebooks name
      --max-output N     characters of output a cell keeps (default ${DEFAULT_MAX_OUTPUT}; 0 = no limit);
                         the rest is cut, with a note in the notebook and in the summary
      -q, --quiet        no progress lines and no summary table (errors are still printed)
      --json             print a JSON summary on stdout instead of the table
  npm run kernel -- [--user | --prefix P]            register the "${KERNEL_NAME}" kernel with Jupyter
  npm run kernel:uninstall -- [--user | --prefix P]  remove it
(npm start = build d2l, then npm run notebooks; without npm: tsx src/cli.ts run|kernel install|kernel uninstall)`;

class UsageError extends Error {}

type NumberKind = 'positive integer' | 'integer ≥ 0' | 'seconds ≥ 0';
const EXPECTED: Record<NumberKind, string> = {
  'positive integer': 'a positive integer',
  'integer ≥ 0': 'an integer ≥ 0',
  'seconds ≥ 0': 'seconds ≥ 0',
};

function numberOption(name: string, value: string | undefined, fallback: number, kind: NumberKind): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  const valid =
    kind === 'seconds ≥ 0'
      ? Number.isFinite(n) && n >= 0
      : Number.isInteger(n) && n >= (kind === 'positive integer' ? 1 : 0);
  if (!valid) throw new UsageError(`--${name}: expected ${EXPECTED[kind]}, got '${value}'`);
  return n;
}

/** Exit codes after a signal, as shells report them (128 + its number). */
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

const shown = (file: string): string => path.relative(process.cwd(), file) || file;

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      timeout: { type: 'string' },
      'allow-errors': { type: 'boolean', default: false },
      jobs: { type: 'string', short: 'j' },
      kernel: { type: 'string' },
      'max-output': { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeout = numberOption('timeout', values.timeout, 600, 'seconds ≥ 0');
  const jobs = numberOption('jobs', values.jobs, defaultJobs(), 'positive integer');
  const maxOutput = numberOption('max-output', values['max-output'], DEFAULT_MAX_OUTPUT, 'integer ≥ 0');
  if (values.kernel !== undefined && values.kernel.trim() === '')
    throw new UsageError('--kernel: expected a name');
  let notebooks: string[];
  if (positionals.length > 0) {
    notebooks = findNotebooks(positionals);
  } else {
    const folder = path.join(PROJECT_ROOT, 'notebooks');
    notebooks = fs.existsSync(folder) ? findNotebooks([folder]).map(shown) : [];
    if (notebooks.length === 0) {
      console.error(`no notebooks in ${shown(folder)}/: nothing to run`);
      return 0;
    }
  }
  if (notebooks.length === 0) throw new UsageError('paths: no .ipynb files found');
  try {
    checkTargets(notebooks, values.out, commonFolder(notebooks)); // before anything runs
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  // Stopped by a signal, or when npm (or whoever started this) is gone: kill the kernels, keep files.
  const controller = new AbortController();
  let exitCode = 0;
  const stop = (why: string, code: number): void => {
    if (exitCode !== 0) process.exit(exitCode); // a second signal: the kernels were killed already
    exitCode = code;
    console.error(`\n${why}: stopping kernels, leaving unfinished notebooks untouched`);
    controller.abort();
  };
  const onSignal = (signal: NodeJS.Signals): void => stop(`interrupted (${signal})`, SIGNAL_EXIT[signal]);
  for (const signal of Object.keys(SIGNAL_EXIT)) process.on(signal, onSignal);
  const unwatch = watchLauncher((who) => stop(`${who} exited`, SIGNAL_EXIT.SIGTERM));

  const started = Date.now();
  let results;
  try {
    results = await runNotebooks(notebooks, {
      out: values.out,
      allowErrors: values['allow-errors'],
      timeout,
      jobs,
      kernel: values.kernel,
      maxOutput,
      signal: controller.signal,
      onProgress: values.quiet ? undefined : (event) => console.error(progressLine(event)),
    });
  } finally {
    unwatch();
    for (const signal of Object.keys(SIGNAL_EXIT)) process.off(signal, onSignal);
  }

  for (const result of results) {
    for (const report of [...storedErrorReports(result), ...cutReports(result), failureReport(result)]) {
      if (report) console.error(`\n${report}`);
    }
  }
  if (values.json) {
    console.log(JSON.stringify(jsonSummary(results, (Date.now() - started) / 1000), null, 2));
  } else if (!values.quiet) {
    console.log(`\n${summaryTable(results)}`);
  }
  if (controller.signal.aborted) return exitCode;
  // Output cut at --max-output is what was asked for; outputs lost on the way are a failure.
  return results.every((r) => r.status === 'ok' && r.cut.every((c) => !c.lost)) ? 0 : 1;
}

function kernel(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { user: { type: 'boolean', default: false }, prefix: { type: 'string' } },
  });
  const [action, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`kernel: unexpected arguments: ${rest.join(' ')}`);
  if (values.user && values.prefix !== undefined)
    throw new UsageError('kernel: give --user or --prefix, not both');
  const target: Target = values.prefix !== undefined ? { prefix: values.prefix } : { user: true };
  if (action === 'install') {
    const dir = installKernelSpec(target);
    console.log(`installed kernelspec ${KERNEL_NAME} in ${dir}`);
    console.log(`  ${kernelSpec().argv.join(' ')}`);
    console.log('In JupyterLab or Notebook, pick the kernel "TypeScript (d2l-ts)".');
    return 0;
  }
  if (action === 'uninstall') {
    const dir = uninstallKernelSpec(target);
    if (dir === null) {
      console.error(`kernelspec ${KERNEL_NAME} is not installed in ${kernelsDir(target)}; nothing removed`);
      return 1;
    }
    console.log(`removed kernelspec ${KERNEL_NAME} from ${dir}`);
    return 0;
  }
  throw new UsageError(`kernel: expected 'install' or 'uninstall', got '${action ?? ''}'`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === 'run') return await run(args);
    if (command === 'kernel') return kernel(args);
    if (command === '--help' || command === '-h' || command === 'help') {
      console.log(USAGE);
      return 0;
    }
    throw new UsageError(command ? `unknown command '${command}'` : 'expected a command');
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`error: ${(error as Error).message}`);
    if (usage) console.error(USAGE);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  // A closed pipe (`| head`, a CI log collector gone) must not turn into a crash mid-run.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
