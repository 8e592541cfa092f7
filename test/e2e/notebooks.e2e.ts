// End to end: our notebooks in Debian's Jupyter Notebook server, driven through its UI by headless
// Chromium; their vega-lite outputs rendered by vega-embed as JupyterLab does; and nbconvert's HTML.
// Needs apt packages (see .ci/run); run with `npm run test:e2e`. Artifacts land in e2e-artifacts/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EXPECTATIONS, selectNotebooks } from './notebooks';
import { launchChromium, loopbackOnlyContext } from './support/browser';
import { findProblems, type NotebookExpectation } from './support/checks';
import {
  makeJupyterDirs,
  nbconvertToHtml,
  removeJupyterDirs,
  startNotebookServer,
  type JupyterDirs,
  type NotebookServer,
} from './support/jupyter';
import { readHtmlCells, readHtmlImages, waitForMathJax } from './support/nbconvert-html';
import {
  closeAndHalt,
  delayKernelOutputs,
  openNotebook,
  readCells,
  readRenderedImages,
  restartAndRunAll,
  saveNotebook,
  screenshotNotebook,
} from './support/notebook-ui';
import {
  ARTIFACTS_DIR,
  CHROMIUM_BIN,
  JUPYTER_NBCONVERT_BIN,
  JUPYTER_NOTEBOOK_BIN,
  PROJECT_ROOT,
} from './support/paths';
import { openVegaPage, renderVegaLite, VEGA_LITE_MIME } from './support/vega-page';

const notebooks = selectNotebooks();
/** Also run with its outputs held back (see delayKernelOutputs), whatever E2E_NOTEBOOKS selects. */
const DELAYED_FIXTURE = EXPECTATIONS.find((row) => row.path === 'test/e2e/fixtures/smoke.ipynb')!;
const FAILING_FIXTURE: NotebookExpectation = { path: 'test/e2e/fixtures/failing-cell.ipynb', lines: [] };
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const slowest = Math.max(...notebooks.map((row) => row.timeoutMs ?? DEFAULT_TIMEOUT_MS));

/** The server serves (and saves into) copies, so a run never rewrites the repository's notebooks. */
const SERVED_DIR = path.join(ARTIFACTS_DIR, 'served');
const SCREENSHOT_DIR = path.join(ARTIFACTS_DIR, 'screenshots');
const HTML_DIR = path.join(ARTIFACTS_DIR, 'html');
/** nbconvert's own fresh copies: the kernel runs in the notebook's folder, which is not the repository's. */
const CONVERTED_DIR = path.join(ARTIFACTS_DIR, 'converted');
/** A notebook's name for its artifacts: `zh-3.1-linear-regression` for notebooks/zh/3.1-linear-regression.ipynb. */
const artifactName = (row: NotebookExpectation) =>
  (row.path.startsWith('notebooks/') ? row.path.slice('notebooks/'.length) : path.basename(row.path))
    .replace(/\.ipynb$/, '')
    .replace(/\//g, '-');
const shotName = (row: NotebookExpectation, kind: string) =>
  path.join(SCREENSHOT_DIR, `${artifactName(row)}.${kind}.png`);

let jupyter: JupyterDirs | undefined;
let server: NotebookServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let blocked: string[] = [];
/** Wall times in seconds, written to e2e-artifacts/timings.json (the machine is shared: indicative only). */
const timings: Array<{ notebook: string; step: string; seconds: number }> = [];
async function timed<T>(notebook: string, step: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    timings.push({ notebook, step, seconds: Math.round(performance.now() - start) / 1000 });
  }
}

beforeAll(async () => {
  const missing = [JUPYTER_NOTEBOOK_BIN, JUPYTER_NBCONVERT_BIN, CHROMIUM_BIN].filter(
    (bin) => !fs.existsSync(bin),
  );
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(', ')}: apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbclient chromium`,
    );
  }
  fs.rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
  for (const dir of [SCREENSHOT_DIR, HTML_DIR]) fs.mkdirSync(dir, { recursive: true });
  for (const row of [...notebooks, FAILING_FIXTURE, DELAYED_FIXTURE]) copyNotebook(row, SERVED_DIR);
  for (const row of notebooks) copyNotebook(row, CONVERTED_DIR);

  jupyter = makeJupyterDirs();
  server = await startNotebookServer({
    dirs: jupyter,
    notebookDir: SERVED_DIR,
    logFile: path.join(ARTIFACTS_DIR, 'jupyter-notebook.log'),
  });
  browser = await launchChromium();
  ({ context, blocked } = await loopbackOnlyContext(browser));
}, 120_000);

afterAll(async () => {
  // Each step on its own, so one failing still lets the others shut down.
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  if (jupyter) removeJupyterDirs(jupyter);
  fs.writeFileSync(path.join(ARTIFACTS_DIR, 'timings.json'), JSON.stringify(timings, null, 2) + '\n');
  if (blocked.length > 0)
    fs.writeFileSync(path.join(ARTIFACTS_DIR, 'blocked-requests.txt'), blocked.join('\n') + '\n');
}, 60_000);

function copyNotebook(row: NotebookExpectation, toDir: string): void {
  fs.mkdirSync(path.dirname(path.join(toDir, row.path)), { recursive: true });
  fs.copyFileSync(path.join(PROJECT_ROOT, row.path), path.join(toDir, row.path));
}

function ready(): { server: NotebookServer; context: BrowserContext } {
  if (!server || !context) throw new Error('the Jupyter server or the browser did not start (see beforeAll)');
  return { server, context };
}

/** Opens a served notebook, restarts its kernel, runs all cells, saves it and screenshots it. */
async function runInNotebookUi(
  row: NotebookExpectation,
  prepare?: (page: Page) => Promise<void>,
): Promise<string[]> {
  const { server, context } = ready();
  const page = await context.newPage();
  try {
    await prepare?.(page);
    await timed(row.path, 'open notebook, kernel idle', () =>
      openNotebook(page, server.notebookUrl(row.path)),
    );
    await timed(row.path, 'restart kernel and run all', () =>
      restartAndRunAll(page, row.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    );
    const problems = findProblems(row, await readCells(page), await readRenderedImages(page));
    await saveNotebook(page);
    await screenshotNotebook(page, shotName(row, 'notebook'));
    await closeAndHalt(page);
    await waitUntil(
      async () => !(await server.sessionPaths()).includes(row.path),
      30_000,
      `${row.path}: kernel still running after Close and Halt`,
    );
    return problems;
  } catch (error) {
    await screenshotNotebook(page, shotName(row, 'notebook')).catch(() => undefined);
    throw error;
  } finally {
    await page.close();
  }
}

async function waitUntil(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  failure: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the classic Jupyter Notebook UI, restart and run all', () => {
  test.each(notebooks)(
    '$path runs without errors, prints what it should and shows its plots',
    async (row) => {
      expect(await runInNotebookUi(row)).toEqual([]);
    },
    slowest + 180_000,
  );

  test('a failing cell is caught: its stderr error and the cells it stopped', async () => {
    const problems = await runInNotebookUi(FAILING_FIXTURE);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^cell 2 \(throw new Error.*\) printed an error:\n[\s\S]*deliberate failure/);
    expect(problems[1]).toBe("cell 3 (console.log('never printed');) did not run");
  }, 180_000);

  test("outputs that reach the browser after their cell's reply are still waited for", async () => {
    expect(await runInNotebookUi(DELAYED_FIXTURE, (page) => delayKernelOutputs(page, 1_000))).toEqual([]);
  }, 180_000);
});

describe('vega-lite outputs rendered with vega-embed, as in JupyterLab', () => {
  test('every series of every saved vega-lite output drew', async () => {
    const { context } = ready();
    const { page, consoleErrors } = await openVegaPage(context);
    try {
      const problems: string[] = [];
      for (const row of notebooks) {
        // The copies the server saved after the UI run above.
        const saved = JSON.parse(fs.readFileSync(path.join(SERVED_DIR, row.path), 'utf8')) as {
          cells: Array<{ outputs?: Array<{ data?: Record<string, unknown> }> }>;
        };
        const specs = saved.cells.flatMap((cell, index) =>
          (cell.outputs ?? []).flatMap((output) =>
            output.data?.[VEGA_LITE_MIME] ? [{ index, spec: output.data[VEGA_LITE_MIME] }] : [],
          ),
        );
        if (row.plots !== undefined && specs.length !== row.plots) {
          problems.push(
            `${row.path}: expected ${row.plots} vega-lite output(s), the saved notebook has ${specs.length}`,
          );
        }
        for (const { index, spec } of specs) {
          const where = `${row.path} cell ${index}`;
          const render = await renderVegaLite(page, spec, where);
          if (!(render.width > 0 && render.height > 0))
            problems.push(`${where}: chart is ${render.width}x${render.height}`);
          if (render.series.length === 0) problems.push(`${where}: no series found in the spec`);
          for (const series of render.series) {
            if (series.items === 0) problems.push(`${where}: series "${series.name}" has no marks`);
            else if (series.pixels === 0)
              problems.push(`${where}: series "${series.name}" (${series.color}) left no pixels`);
          }
        }
      }
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'vega-lite-outputs.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(consoleErrors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('jupyter nbconvert --to html --execute with our kernel', () => {
  let nbconvertDirs: JupyterDirs | undefined;
  // Separate Jupyter dirs: after a failure nbconvert's clean-up kills every kernel started under them.
  beforeAll(() => {
    nbconvertDirs = makeJupyterDirs();
  });
  afterAll(() => {
    if (nbconvertDirs) removeJupyterDirs(nbconvertDirs);
  });

  test.each(notebooks)(
    '$path converts, and the page shows its output and plots',
    async (row) => {
      const { context } = ready();
      const dirs = nbconvertDirs;
      if (!dirs) throw new Error('no Jupyter dirs for nbconvert');
      const html = await timed(row.path, 'nbconvert --execute to html', () =>
        nbconvertToHtml({
          dirs,
          notebook: path.join(CONVERTED_DIR, row.path),
          outputDir: path.join(HTML_DIR, path.dirname(row.path)),
          logFile: path.join(HTML_DIR, `${artifactName(row)}.log`),
          timeoutMs: row.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        }),
      );
      const page = await context.newPage();
      try {
        await page.goto(pathToFileURL(html).href);
        await waitForMathJax(page);
        const problems = findProblems(row, await readHtmlCells(page), await readHtmlImages(page));
        await page.screenshot({ path: shotName(row, 'nbconvert'), fullPage: true });
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    },
    slowest + 180_000,
  );
});
