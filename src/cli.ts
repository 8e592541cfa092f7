/** The d2l-ts command line: `run` (the headless notebook runner) and `kernel install|uninstall` (USAGE). */
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
import { DEFAULTS, runNotebooks } from './runner';
import { CHECK_DEFAULTS, readSanitizers, TAGS } from './runner/check';
import { PROJECT_ROOT } from './paths';
import { watchLauncher } from './runner/launcher';
import { parseValue, type Parameters } from './runner/parameters';
import { findNotebooks, shard } from './runner/paths';
import { githubAnnotations, junitXml, notebookReports, progressLine, summaryTable } from './runner/report';

const USAGE = `usage:
  npm run notebooks -- [paths...] [options]
                         execute notebooks (default: notebooks/*.ipynb; folders are searched recursively)
                         and save their outputs
      --out DIR          write executed copies to DIR instead of overwriting the notebooks
      --timeout S        per-cell limit in seconds (default ${DEFAULTS.timeout}; 0 = none): interrupt, then kill if needed
      --allow-errors     keep running after a failing cell and exit 0 (errors are saved and printed either way)
      -j, --jobs N       run N notebooks in parallel, one kernel each (default: one per core, here ${DEFAULTS.jobs})
      --kernel NAME      run with the installed kernelspec NAME (or d2l-ts), whatever the notebooks name
      --max-output N     characters of output a cell keeps (default ${DEFAULTS.maxOutput}; 0 = no limit);
                         the rest is cut, with a note in the notebook and in the summary
      -p, --parameter NAME VALUE
                         papermill's parameters: inject \`const NAME = VALUE;\` after the cell tagged
                         "parameters" (VALUE as JSON, else a string); repeatable
      --parameters FILE  the same from a JSON object in FILE (-p wins)
      --shard I/N        run only the I-th of N shares of the notebooks found (balanced by recorded times)
      --junit FILE       write a JUnit XML report: a test suite per notebook, a test case per code cell
      --record-timing    store nbclient's per-cell timing in cell.metadata.execution
      -q, --quiet        no progress lines and no summary table (errors are still printed)
      --json             print a JSON summary on stdout instead of the table
  (with GITHUB_ACTIONS set, a failing cell is also printed as a GitHub workflow annotation)
  npm run notebooks -- --check [paths...] [options]
                         re-execute the notebooks and compare every output with the saved one, writing
                         nothing; a report per differing cell, exit 1 if any differs (2: usage error)
      --rtol R           relative tolerance for numbers in text and plot data (default ${CHECK_DEFAULTS.rtol})
      --atol A           absolute tolerance (default ${CHECK_DEFAULTS.atol}): a number passes if
                         |new − saved| ≤ atol + rtol·|saved|
      --pixel-tolerance T
                         largest RMS difference of a PNG's pixels, channels 0–255 (default ${CHECK_DEFAULTS.pixelTolerance})
      --sanitize-with FILE
                         nbval's sanitizer file: pairs of 'regex: …' / 'replace: …' lines (in [sections]),
                         applied to saved and new text after the built-in ones (durations, Timer ratios,
                         the backend's name)
      --lax              compare only the cells tagged ${TAGS.checkOutput}
    the run options apply too (-j, --timeout, --kernel, --junit, -p, ...), except --out and --record-timing
    compared: streams joined per name (\\r, \\b applied); data per MIME type: text with its numbers
      within the tolerance and the rest exact, vega-lite specs exact but for their data (tolerance),
      PNGs by pixel RMS; errors by name and message. Ignored: tracebacks, counts, metadata, JPEGs.
    cell tags: ${TAGS.ignoreOutput} (run, compare nothing), ${TAGS.skip} (do not run),
      ${TAGS.checkOutput} (with --lax), ${TAGS.raisesException} (must fail; its error is compared),
      ${TAGS.ignoreImage} (compare all but its PNGs' pixels)
  npm run kernel -- [--user | --prefix P]            register the "${KERNEL_NAME}" kernel with Jupyter
  npm run kernel:uninstall -- [--user | --prefix P]  remove it
(npm start = build d2l, then npm run notebooks; without npm: tsx src/cli.ts run|kernel install|kernel uninstall)`;

class UsageError extends Error {}

type Expected = 'a positive integer' | 'an integer ≥ 0' | 'seconds ≥ 0' | 'a number ≥ 0';

/** `--NAME VALUE` as the number `expected` says, or `fallback` when not given. */
function numberOption(name: string, value: string | undefined, fallback: number, expected: Expected): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  const min = expected === 'a positive integer' ? 1 : 0;
  const real = expected === 'seconds ≥ 0' || expected === 'a number ≥ 0';
  if ((real ? Number.isFinite(n) : Number.isInteger(n)) && n >= min) return n;
  throw new UsageError(`--${name}: expected ${expected}, got '${value}'`);
}

/** Exit codes after a signal, as shells report them (128 + its number). */
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

const shown = (file: string): string => path.relative(process.cwd(), file) || file;

/** Takes the `-p NAME VALUE` pairs out of `args` (parseArgs reads one value per option). */
function takeParameters(args: string[]): Parameters {
  const parameters: Parameters = {};
  let i;
  while ((i = args.findIndex((arg) => arg === '-p' || arg === '--parameter')) >= 0) {
    if (i + 2 >= args.length) throw new UsageError(`${args[i]}: expected NAME VALUE`);
    const [, name, value] = args.splice(i, 3);
    parameters[name] = parseValue(value);
  }
  return parameters;
}

/** `--parameters FILE`: a JSON object of NAME: VALUE. */
function readParameters(file: string | undefined): Parameters {
  if (file === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--parameters: cannot read ${file} as JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--parameters: ${file} must hold a JSON object of NAME: VALUE`);
  }
  return value as Parameters;
}

/** The --check options, or undefined without --check; throws on a check option without it. */
function checkOptions(values: {
  check?: boolean;
  rtol?: string;
  atol?: string;
  'pixel-tolerance'?: string;
  'sanitize-with'?: string;
  lax?: boolean;
  out?: string;
  'record-timing'?: boolean;
}): Partial<typeof CHECK_DEFAULTS> | undefined {
  const only = ['rtol', 'atol', 'pixel-tolerance', 'sanitize-with', 'lax'] as const;
  if (!values.check) {
    const given = only.find((name) => values[name] !== undefined && values[name] !== false);
    if (given) throw new UsageError(`--${given}: only with --check`);
    return undefined;
  }
  if (values.out !== undefined) throw new UsageError('--check writes nothing: drop --out');
  if (values['record-timing']) throw new UsageError('--check writes nothing: drop --record-timing');
  let sanitizers = CHECK_DEFAULTS.sanitizers;
  if (values['sanitize-with'] !== undefined) {
    try {
      sanitizers = [...sanitizers, ...readSanitizers(values['sanitize-with'])];
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    rtol: numberOption('rtol', values.rtol, CHECK_DEFAULTS.rtol, 'a number ≥ 0'),
    atol: numberOption('atol', values.atol, CHECK_DEFAULTS.atol, 'a number ≥ 0'),
    pixelTolerance: numberOption(
      'pixel-tolerance',
      values['pixel-tolerance'],
      CHECK_DEFAULTS.pixelTolerance,
      'a number ≥ 0',
    ),
    lax: values.lax ?? false,
    sanitizers,
  };
}

async function run(argv: string[]): Promise<number> {
  const args = [...argv];
  const given = takeParameters(args);
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
      parameters: { type: 'string' },
      shard: { type: 'string' },
      junit: { type: 'string' },
      'record-timing': { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      rtol: { type: 'string' },
      atol: { type: 'string' },
      'pixel-tolerance': { type: 'string' },
      'sanitize-with': { type: 'string' },
      lax: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeout = numberOption('timeout', values.timeout, DEFAULTS.timeout, 'seconds ≥ 0');
  const jobs = numberOption('jobs', values.jobs, DEFAULTS.jobs, 'a positive integer');
  const maxOutput = numberOption('max-output', values['max-output'], DEFAULTS.maxOutput, 'an integer ≥ 0');
  const parameters = { ...readParameters(values.parameters), ...given };
  if (values.kernel?.trim() === '') throw new UsageError('--kernel: expected a name');
  const check = checkOptions(values);
  let notebooks: string[];
  if (positionals.length > 0) {
    try {
      notebooks = findNotebooks(positionals);
    } catch (error) {
      throw new UsageError((error as Error).message); // a path that does not exist or is no notebook
    }
  } else {
    const folder = path.join(PROJECT_ROOT, 'notebooks');
    notebooks = fs.existsSync(folder) ? findNotebooks([folder]).map(shown) : [];
    if (notebooks.length === 0) {
      console.error(`no notebooks in ${shown(folder)}/: nothing to run`);
      return 0;
    }
  }
  if (notebooks.length === 0) throw new UsageError('paths: no .ipynb files found');
  if (values.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(values.shard.trim());
    try {
      notebooks = shard(notebooks, Number(match?.[1]), Number(match?.[2])); // throws unless 1 ≤ I ≤ N
    } catch {
      throw new UsageError(`--shard: expected I/N with 1 ≤ I ≤ N, got '${values.shard}'`);
    }
    if (notebooks.length === 0) {
      console.error(`shard ${values.shard}: no notebooks in this shard`);
      return 0;
    }
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
      parameters,
      recordTiming: values['record-timing'],
      check,
      signal: controller.signal,
      onProgress: values.quiet ? undefined : (event) => console.error(progressLine(event)),
    });
  } catch (error) {
    // runNotebooks throws only for bad options (parameters, --out targets), before any kernel starts.
    throw new UsageError((error as Error).message);
  } finally {
    unwatch();
    for (const signal of Object.keys(SIGNAL_EXIT)) process.off(signal, onSignal);
  }

  for (const report of results.flatMap(notebookReports)) console.error(`\n${report}`);
  const differing = results.filter((r) => r.mismatches?.length);
  if (differing.length > 0) {
    const paths = differing.map((r) => r.notebook).join(' ');
    console.error(`\nIf these changes are intended, save the new outputs: npm run notebooks -- ${paths}`);
  }
  // GitHub reads these lines from the log and marks the notebook in the run's summary.
  if (process.env.GITHUB_ACTIONS) for (const line of githubAnnotations(results)) console.log(line);
  if (values.junit !== undefined) {
    fs.mkdirSync(path.dirname(path.resolve(values.junit)), { recursive: true });
    fs.writeFileSync(values.junit, junitXml(results));
  }
  if (values.json) {
    const ok = results.every((r) => r.status === 'ok' && r.cut.length === 0); // finished, outputs whole
    const seconds = (Date.now() - started) / 1000;
    console.log(JSON.stringify({ ok, seconds, notebooks: results }, null, 2));
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
