// End to end: our notebooks in JupyterLab 4 and Notebook 7 (the pinned venv of requirements/jupyter.txt),
// driven through their UI by Debian's headless Chromium, and through nbconvert 7's HTML.
// Run with `npm run test:e2e` after `.ci/jupyter-venv`; artifacts land in e2e-artifacts/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runNotebook } from '../../src/runner';
import { parseNotebook, serializeNotebook, type Notebook } from '../../src/runner/notebook';
import { EXPECTATIONS, selectNotebooks } from './notebooks';
import { launchChromium, loopbackOnlyContext } from './support/browser';
import {
  findProblems,
  plotCells,
  savedCells,
  type NotebookExpectation,
  type SavedNotebook,
} from './support/checks';
import {
  makeJupyterDirs,
  nbconvertToHtml,
  removeJupyterDirs,
  startJupyterServer,
  type JupyterDirs,
  type JupyterServer,
} from './support/jupyter';
import {
  chooseMenuItem,
  clickInterrupt,
  editorLanguages,
  openNotebook,
  prompts,
  renderedMath,
  renderedPlots,
  restartAndRunAll,
  runCell,
  runSelectedCell,
  saveNotebook,
  screenshotNotebook,
  selectCell,
  shownOutputs,
  type Ui,
} from './support/lab-ui';
import { readHtmlCells, readHtmlPlots } from './support/nbconvert-html';
import {
  ARTIFACTS_DIR,
  CHROMIUM_BIN,
  JUPYTER_LAB_BIN,
  JUPYTER_NBCONVERT_BIN,
  PROJECT_ROOT,
} from './support/paths';
import { openVegaPage, renderVegaLite, VEGA_LITE_MIME } from './support/vega-page';

const notebooks = selectNotebooks();
const FAILING_FIXTURE = 'test/e2e/fixtures/failing-cell.ipynb';
const INTERRUPT_FIXTURE = 'test/e2e/fixtures/interrupt.ipynb';
const COMPLETION_FIXTURE = 'test/e2e/fixtures/completion.ipynb';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const slowest = Math.max(...notebooks.map((row) => row.timeoutMs ?? DEFAULT_TIMEOUT_MS));
/** The committed notebooks a user opens: open-and-save in JupyterLab must leave them byte for byte. */
const COMMITTED = fs
  .readdirSync(path.join(PROJECT_ROOT, 'notebooks'))
  .filter((name) => name.endsWith('.ipynb'))
  .sort()
  .map((name) => path.join('notebooks', name))
  .concat(
    EXPECTATIONS.filter((row) => row.path.startsWith('test/e2e/')).map((row) => row.path),
    [FAILING_FIXTURE, INTERRUPT_FIXTURE],
  );

/**
 * The server serves (and saves into) copies, one folder per use, so a run never rewrites the repository's
 * notebooks. Inside the project: a kernel resolves `d2l` and `@types/node` from the notebook's folder up.
 */
const SERVED_DIR = path.join(ARTIFACTS_DIR, 'served');
const SCREENSHOT_DIR = path.join(ARTIFACTS_DIR, 'screenshots');
const HTML_DIR = path.join(ARTIFACTS_DIR, 'html');
const served = (use: string, file: string) => path.join(use, file);
/** A notebook's name for its artifacts: `zh-3.1-linear-regression` for notebooks/zh/3.1-linear-regression.ipynb. */
const artifactName = (file: string) =>
  (file.startsWith('notebooks/') ? file.slice('notebooks/'.length) : path.basename(file))
    .replace(/\.ipynb$/, '')
    .replace(/\//g, '-');
const shotName = (use: string, file: string, kind: string) =>
  path.join(SCREENSHOT_DIR, `${use}.${artifactName(file)}.${kind}.png`);

let jupyter: JupyterDirs | undefined;
let server: JupyterServer | undefined;
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

function copyInto(use: string, file: string): string {
  const to = path.join(SERVED_DIR, served(use, file));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(path.join(PROJECT_ROOT, file), to);
  return to;
}

beforeAll(async () => {
  const missing = [JUPYTER_LAB_BIN, JUPYTER_NBCONVERT_BIN, CHROMIUM_BIN].filter((bin) => !fs.existsSync(bin));
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: run .ci/jupyter-venv, and apt-get install -y chromium`);
  }
  fs.rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
  for (const dir of [SERVED_DIR, SCREENSHOT_DIR, HTML_DIR]) fs.mkdirSync(dir, { recursive: true });
  jupyter = makeJupyterDirs();
  server = await startJupyterServer({
    dirs: jupyter,
    notebookDir: SERVED_DIR,
    logFile: path.join(ARTIFACTS_DIR, 'jupyter-server.log'),
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

function ready(): { server: JupyterServer; context: BrowserContext } {
  if (!server || !context) throw new Error('the Jupyter server or the browser did not start (see beforeAll)');
  return { server, context };
}

const readSaved = (file: string): SavedNotebook => JSON.parse(fs.readFileSync(file, 'utf8')) as SavedNotebook;

/**
 * Opens the served copy `use/file` in `ui`, does `work` on the page and shuts the kernel down, with a
 * screenshot either way.
 */
async function withNotebook<T>(
  ui: Ui,
  use: string,
  file: string,
  work: (page: Page, saved: string) => Promise<T>,
): Promise<T> {
  const { server, context } = ready();
  const saved = copyInto(use, file);
  const page = await context.newPage();
  try {
    await timed(`${use}/${file}`, 'open, kernel idle', () =>
      openNotebook(page, server.notebookUrl(served(use, file), ui)),
    );
    const result = await work(page, saved);
    await screenshotNotebook(page, shotName(use, file, ui));
    return result;
  } catch (error) {
    await screenshotNotebook(page, shotName(use, file, ui)).catch(() => undefined);
    throw error;
  } finally {
    await page.close();
    await server.shutdownKernels(served(use, file)).catch(() => undefined);
  }
}

/** Restart and Run All, then Save; the problems found in the page and in the saved file. */
async function runAllAndSave(
  ui: Ui,
  use: string,
  row: NotebookExpectation,
): Promise<{ problems: string[]; saved: string }> {
  return withNotebook(ui, use, row.path, async (page, saved) => {
    const problems: string[] = [];
    const languages = await editorLanguages(page);
    if (languages.join() !== 'typescript')
      problems.push(`code cells edited as ${languages.join(', ')}, not typescript`);
    await timed(`${use}/${row.path}`, 'restart kernel and run all', () =>
      restartAndRunAll(page, row.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    );
    const plots = await renderedPlots(page);
    const math = await renderedMath(page);
    await saveNotebook(page, saved);
    const nb = readSaved(saved);
    problems.push(...findProblems(row, savedCells(nb), plots, plotCells(nb), /^vega-lite$/));
    for (const plot of plots) {
      if (plot.colours === 0) problems.push(`the plot in cell ${plot.cell} has no coloured marks`);
    }
    const hasMath = nb.cells.some(
      (cell) => cell.cell_type === 'markdown' && /\$/.test([cell.source].flat().join('')),
    );
    if (hasMath && math.formulas === 0) problems.push('the markdown has formulas, but none rendered');
    if (math.errors > 0) problems.push(`${math.errors} formula(s) failed to typeset`);
    return { problems, saved };
  });
}

/**
 * JupyterLab's saved notebook and the runner's for the same notebook, as compared: digits in printed
 * text masked (timings differ from run to run), and the PNG that JupyterLab's vega renderer adds to a
 * vega-lite bundle that had none dropped (only a browser renders vega-lite to pixels).
 */
function comparable(saved: Notebook, runner: Notebook): [string, string] {
  saved.cells.forEach((cell, i) =>
    cell.outputs?.forEach((output, j) => {
      const ours = runner.cells[i]?.outputs?.[j];
      if (output.output_type !== 'display_data' || ours?.output_type !== 'display_data') return;
      const vegaLite = Object.keys(output.data).some((mime) => mime.startsWith('application/vnd.vegalite'));
      if (vegaLite && !('image/png' in ours.data)) delete output.data['image/png'];
    }),
  );
  for (const nb of [saved, runner]) {
    for (const cell of nb.cells) {
      for (const output of cell.outputs ?? []) {
        if (output.output_type === 'stream') output.text = output.text.replace(/\d+/g, '#');
      }
    }
  }
  return [serializeNotebook(saved), serializeNotebook(runner)];
}

describe.each(['lab', 'notebook'] as const)('%s: Restart Kernel and Run All', (ui) => {
  test.each(notebooks)(
    '$path runs without errors, prints what it should and shows its plots and formulas',
    async (row) => {
      const { problems, saved } = await runAllAndSave(ui, ui, row);
      expect(problems).toEqual([]);
      if (ui !== 'lab') return;
      // The file JupyterLab saved is the one the runner writes for the same run (timings aside).
      const out = path.join(ARTIFACTS_DIR, 'runner', path.dirname(row.path));
      const result = await timed(row.path, 'runner', () =>
        runNotebook(copyInto('runner-input', row.path), { out }),
      );
      expect(result.status).toBe('ok');
      const ours = parseNotebook(fs.readFileSync(result.written!, 'utf8'), result.written!);
      const theirs = parseNotebook(fs.readFileSync(saved, 'utf8'), saved);
      const [lab, runner] = comparable(theirs, ours);
      expect(lab).toBe(runner);
    },
    2 * slowest + 180_000,
  );
});

describe('lab: errors, interrupts and saving', () => {
  test('a failing cell shows a Jupyter error from the cell; the cells queued behind it are aborted, and run later', async () => {
    await withNotebook('lab', 'lab-errors', FAILING_FIXTURE, async (page, saved) => {
      await restartAndRunAll(page, 120_000);
      expect(await prompts(page)).toEqual(['', '[1]:', '[2]:', '[ ]:']);
      const shown = await shownOutputs(page, 2);
      expect(shown.errors).toMatch(/deliberate failure for the e2e suite/);
      // Run on its own right after the error, the aborted cell runs (no 200 ms window drops it).
      await runCell(page, 3);
      expect((await shownOutputs(page, 3)).stdout).toBe('after the failing cell\n');
      await saveNotebook(page, saved);
      const error = readSaved(saved).cells[2].outputs?.find((o) => o.output_type === 'error');
      expect(error).toMatchObject({ ename: 'Error', evalue: 'deliberate failure for the e2e suite' });
      expect(error?.traceback?.[0]).toBe('Error: deliberate failure for the e2e suite');
      expect(error?.traceback?.join('\n')).not.toMatch(/node:|evalmachine|tslab[\\/]dist/);
      expect(error?.traceback?.[error.traceback.length - 1]).toMatch(/Cell In\[2\]/);
    });
  }, 180_000);

  test('Interrupt stops a busy loop and a pending await; a cell run at once afterwards runs', async () => {
    await withNotebook('lab', 'lab-interrupt', INTERRUPT_FIXTURE, async (page, saved) => {
      for (const stuck of [1, 2]) {
        await selectCell(page, stuck);
        await runSelectedCell(page);
        await page.waitForFunction(
          (i) =>
            (
              document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelector('.jp-InputPrompt')
                ?.textContent ?? ''
            ).includes('*'),
          stuck,
        );
        await page.waitForTimeout(1000);
        const started = Date.now();
        await clickInterrupt(page);
        if (stuck === 2) {
          // Straight after the interrupt, without waiting: the next cell must not be dropped.
          await runSelectedCell(page);
        }
        await page.waitForFunction(
          (i) =>
            /\[\d+\]/.test(
              document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelector('.jp-InputPrompt')
                ?.textContent ?? '',
            ),
          stuck,
          { timeout: 10_000 },
        );
        timings.push({
          notebook: INTERRUPT_FIXTURE,
          step: `interrupt cell ${stuck}`,
          seconds: (Date.now() - started) / 1000,
        });
        expect((await shownOutputs(page, stuck)).errors).not.toBe('');
      }
      await page.waitForFunction(
        () =>
          /\[\d+\]/.test(
            document.querySelectorAll('.jp-Notebook .jp-Cell')[3].querySelector('.jp-InputPrompt')
              ?.textContent ?? '',
          ),
        undefined,
        { timeout: 10_000 },
      );
      expect((await shownOutputs(page, 3)).stdout).toBe('the kernel still runs cells\n');
      await saveNotebook(page, saved);
      const cells = readSaved(saved).cells;
      for (const stuck of [1, 2]) expect(cells[stuck].outputs?.map((o) => o.output_type)).toEqual(['error']);
    });
  }, 120_000);

  test.each(COMMITTED)(
    '%s: open and save changes no byte',
    async (file) => {
      await withNotebook('lab', 'lab-open-save', file, async (page, saved) => {
        await saveNotebook(page, saved);
        expect(fs.readFileSync(saved, 'utf8')).toBe(fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8'));
      });
    },
    120_000,
  );
});

describe('lab: what the kernel answers as you type', () => {
  test("a cell's last value shows as Out[n]; Tab completes d2l.syn; the contextual help shows the doc comment", async () => {
    await withNotebook('lab', 'lab-completion', COMPLETION_FIXTURE, async (page) => {
      const cell = (index: number) => page.locator('.jp-Notebook .jp-Cell').nth(index);
      await runCell(page, 1);
      // JupyterLab marks an execute_result's output area; its prompt is Out[n]'s `[n]:`.
      const shown = await cell(1).evaluate((element) => {
        const result = element.querySelector('.jp-OutputArea-executeResult');
        const child = result?.closest('.jp-OutputArea-child') ?? result;
        const text = (selector: string) => child?.querySelector(selector)?.textContent?.trim();
        return { prompt: text('.jp-OutputPrompt'), value: text('.jp-OutputArea-output') };
      });
      expect(shown).toEqual({ prompt: '[1]:', value: '42' });

      const editor = cell(2).locator('.cm-content');
      await editor.click();
      await page.keyboard.type('d2l.syn');
      await page.keyboard.press('Tab');
      // JupyterLab lists the kernel's matches (one here); Enter takes it.
      const item = page.locator('.jp-Completer:not(.lm-mod-hidden) .jp-Completer-item');
      await item.first().waitFor({ timeout: 30_000 });
      expect(await item.allInnerTexts()).toEqual(['synthetic_data']);
      await page.screenshot({ path: shotName('lab-completion', COMPLETION_FIXTURE, 'tab-completion') });
      await page.keyboard.press('Enter');
      expect(await editor.innerText()).toBe('d2l.synthetic_data');

      await chooseMenuItem(page, 'Help', /^Show Contextual Help/);
      await editor.click();
      await page.keyboard.press('End');
      await page.keyboard.type('(');
      await page.keyboard.press('Backspace');
      const help = page.locator('.jp-Inspector-content');
      await page.waitForFunction(
        () =>
          (document.querySelector('.jp-Inspector-content')?.textContent ?? '').includes(
            'Generates y = Xw + b + noise',
          ),
        undefined,
        { timeout: 10_000 },
      );
      const text = await help.innerText();
      expect(text).toMatch(/function synthetic_data\(w: [\w.]*Tensor1D, b: number, num_examples: number\)/);
      expect(text).toContain('@param num_examples');
      await page.screenshot({ path: shotName('lab-completion', COMPLETION_FIXTURE, 'contextual-help') });
    });
  }, 180_000);
});

describe('vega-lite outputs as saved by JupyterLab, every series drawn', () => {
  test('every series of every saved vega-lite output drew', async () => {
    const { context } = ready();
    const { page, consoleErrors } = await openVegaPage(context);
    try {
      const problems: string[] = [];
      for (const row of notebooks) {
        const file = path.join(SERVED_DIR, served('lab', row.path));
        if (!fs.existsSync(file)) continue; // its JupyterLab run failed, and said so
        const saved = readSaved(file);
        const specs = saved.cells.flatMap((cell, index) =>
          (cell.outputs ?? []).flatMap((output) =>
            output.data?.[VEGA_LITE_MIME] ? [{ index, spec: output.data[VEGA_LITE_MIME] }] : [],
          ),
        );
        for (const { index, spec } of specs) {
          const where = `${row.path} cell ${index}`;
          const render = await renderVegaLite(page, spec, where);
          if (render.series.length === 0) problems.push(`${where}: no series found in the spec`);
          for (const series of render.series) {
            if (series.items === 0) problems.push(`${where}: series "${series.name}" has no marks`);
            else if (series.pixels === 0)
              problems.push(`${where}: series "${series.name}" (${series.color}) left no pixels`);
          }
        }
      }
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'vega-lite-series.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(consoleErrors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('jupyter nbconvert 7 --to html --execute', () => {
  let nbconvertDirs: JupyterDirs | undefined;
  // Separate Jupyter dirs: after a failure nbconvert's clean-up kills every kernel started under them.
  beforeAll(() => {
    nbconvertDirs = makeJupyterDirs();
  });
  afterAll(() => {
    if (nbconvertDirs) removeJupyterDirs(nbconvertDirs);
  });
  const convert = (file: string, timeoutMs: number) => {
    if (!nbconvertDirs) throw new Error('no Jupyter dirs for nbconvert');
    return nbconvertToHtml({
      dirs: nbconvertDirs,
      notebook: copyInto('nbconvert', file),
      outputDir: path.join(HTML_DIR, path.dirname(file)),
      logFile: path.join(HTML_DIR, `${artifactName(file)}.log`),
      timeoutMs,
    });
  };

  test.each(notebooks)(
    '$path converts, and the page shows its output and plots',
    async (row) => {
      const { context } = ready();
      const html = await timed(row.path, 'nbconvert --execute to html', () =>
        convert(row.path, row.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      );
      const page = await context.newPage();
      try {
        await page.goto(pathToFileURL(html).href);
        const plots = await readHtmlPlots(page);
        // nbconvert's HTML shows a plot as its image (PNG or SVG; it has no vega renderer).
        const problems = findProblems(
          { ...row, plots: undefined, minPlots: undefined },
          await readHtmlCells(page),
          plots,
          plots.map((plot) => plot.cell),
          /^image\//,
        );
        if (row.minPlots !== undefined && plots.length < row.minPlots)
          problems.push(`expected at least ${row.minPlots} plot image(s), the page has ${plots.length}`);
        if (row.plots !== undefined && plots.length !== row.plots)
          problems.push(`expected ${row.plots} plot image(s), the page has ${plots.length}`);
        await page.screenshot({ path: shotName('nbconvert', row.path, 'html'), fullPage: true });
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    },
    slowest + 180_000,
  );

  test('a failing cell stops it with the error the cell raised', async () => {
    await expect(convert(FAILING_FIXTURE, 120_000)).rejects.toThrow(/deliberate failure for the e2e suite/);
  }, 180_000);
});
