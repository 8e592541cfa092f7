/**
 * d2l-ts command line, behind `npm start`, `npm run notebooks` and `npm run kernel` (see USAGE):
 *   run [paths...] [--out DIR] [--timeout S] [--allow-errors] [-j N] [--quiet] [--json]
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
  PROJECT_ROOT,
  uninstallKernelSpec,
  type Target,
} from './kernelspec';
import { findNotebooks, runNotebooks } from './runner';
import { failureReport, jsonSummary, progressLine, storedErrorReports, summaryTable } from './runner/report';

const USAGE = `usage:
  npm run notebooks -- [paths...] [options]
                         execute notebooks (default: notebooks/*.ipynb) and save their outputs
      --out DIR          write executed copies to DIR instead of overwriting the notebooks
      --timeout S        per-cell limit in seconds (default 600; 0 = none): interrupt, then kill if needed
      --allow-errors     keep running after a failing cell and exit 0 (errors are saved and printed either way)
      -j, --jobs N       run N notebooks in parallel, one kernel each (default 1)
      -q, --quiet        no progress lines and no summary table (errors are still printed)
      --json             print a JSON summary on stdout instead of the table
  npm run kernel -- [--user | --prefix P]            register the "${KERNEL_NAME}" kernel with Jupyter
  npm run kernel:uninstall -- [--user | --prefix P]  remove it
(npm start = build d2l, then npm run notebooks; without npm: tsx src/cli.ts run|kernel install|kernel uninstall)`;

class UsageError extends Error {}

function numberOption(name: string, value: string | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const valid = integer ? Number.isInteger(n) && n >= 1 : Number.isFinite(n) && n >= 0;
  if (!valid) {
    throw new UsageError(
      `--${name}: expected ${integer ? 'a positive integer' : 'seconds ≥ 0'}, got '${value}'`,
    );
  }
  return n;
}

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
      quiet: { type: 'boolean', short: 'q', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const timeout = numberOption('timeout', values.timeout, 600, false);
  const jobs = numberOption('jobs', values.jobs, 1, true);
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

  const controller = new AbortController();
  let interrupts = 0;
  const stop = (): void => {
    if (++interrupts > 1) process.exit(130); // kernels were already killed by the first one
    console.error('\ninterrupted: stopping kernels, leaving unfinished notebooks untouched');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const started = Date.now();
  const results = await runNotebooks(notebooks, {
    out: values.out,
    allowErrors: values['allow-errors'],
    timeout,
    jobs,
    signal: controller.signal,
    onProgress: values.quiet ? undefined : (event) => console.error(progressLine(event)),
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);

  for (const result of results) {
    for (const report of [...storedErrorReports(result), failureReport(result)]) {
      if (report) console.error(`\n${report}`);
    }
  }
  if (values.json) {
    console.log(JSON.stringify(jsonSummary(results, (Date.now() - started) / 1000), null, 2));
  } else if (!values.quiet) {
    console.log(`\n${summaryTable(results)}`);
  }
  if (controller.signal.aborted) return 130;
  return results.every((r) => r.status === 'ok') ? 0 : 1;
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
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
