/// <reference lib="dom" />
// Drives JupyterLab 4 and Notebook 7 (built from the same parts) the way a user does: menus, dialogs,
// toolbar buttons and keys. What a run produced is read back from the page (how it rendered) and from
// the file the server saved (what it holds).
import * as fs from 'node:fs';
import type { Page } from 'playwright-core';

export type Ui = 'lab' | 'notebook';
export const KERNEL_DISPLAY_NAME = 'TypeScript (d2l-ts)';

/** Opens a notebook and waits until its kernel (started from metadata.kernelspec) is idle. */
export async function openNotebook(page: Page, url: string, timeoutMs = 120_000): Promise<void> {
  const response = await page.goto(url);
  if (response && !response.ok())
    throw new Error(`${new URL(url).pathname}: HTTP ${response.status()} ${response.statusText()}`);
  await page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: timeoutMs });
  // A missing kernelspec or a kernel that dies at start shows a dialog instead of an idle kernel.
  await page.waitForFunction(
    (name) => {
      if (document.querySelector('.jp-Dialog') !== null) return true;
      const named = Array.from(document.querySelectorAll('.jp-Toolbar-kernelName')).some(
        (e) => (e.textContent ?? '').trim() === name,
      );
      const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
      return named && (indicator === null || indicator.getAttribute('data-status') === 'idle');
    },
    KERNEL_DISPLAY_NAME,
    { timeout: timeoutMs, polling: 250 },
  );
  const dialog = await page
    .locator('.jp-Dialog')
    .first()
    .innerText({ timeout: 100 })
    .catch(() => null);
  if (dialog !== null)
    throw new Error(`the notebook showed a dialog instead of an idle kernel: ${dialog.trim()}`);
  const names = await page.locator('.jp-Toolbar-kernelName').allTextContents();
  if (!names.some((name) => name.trim() === KERNEL_DISPLAY_NAME)) {
    throw new Error(
      `the notebook opened with kernel "${names.join(', ')}", expected "${KERNEL_DISPLAY_NAME}"`,
    );
  }
}

/** Clicks a top menu, then one of its items (by label; "…" and shortcuts aside). */
export async function chooseMenuItem(page: Page, menu: string, item: RegExp): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${menu}$`) }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: item }).first().click();
}

/**
 * Counts, from now on, the code cells that show the busy prompt `[*]` — which every cell gets the moment
 * Run All queues it — so a wait can tell "not started yet" from "done".
 */
async function watchQueuedPrompts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __d2lQueued: number; __d2lObserver?: MutationObserver };
    w.__d2lObserver?.disconnect();
    w.__d2lQueued = 0;
    const observer = new MutationObserver(() => {
      const queued = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).filter((p) =>
        (p.textContent ?? '').includes('*'),
      ).length;
      w.__d2lQueued = Math.max(w.__d2lQueued, queued);
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    w.__d2lObserver = observer;
  });
}

/** Resolves once some cell was queued and no cell is queued or running any more. */
async function waitForRunToFinish(page: Page, timeoutMs: number): Promise<void> {
  try {
    await page.waitForFunction(
      () =>
        (window as unknown as { __d2lQueued: number }).__d2lQueued > 0 &&
        !Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).some((p) =>
          (p.textContent ?? '').includes('*'),
        ),
      undefined,
      { timeout: timeoutMs, polling: 250 },
    );
  } catch (error) {
    const stuck = await page
      .evaluate(() => {
        const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
        const at = cells.findIndex((cell) =>
          (cell.querySelector('.jp-InputPrompt')?.textContent ?? '').includes('*'),
        );
        return at < 0
          ? 'none running'
          : `cell ${at}: ${(cells[at].querySelector('.cm-content')?.textContent ?? '').slice(0, 80)}`;
      })
      .catch(() => 'unknown');
    throw new Error(`the run did not finish within ${timeoutMs} ms (${stuck}): ${String(error)}`);
  }
}

/** Kernel > Restart Kernel and Run All Cells…, confirmed, then waits until every cell has run. */
export async function restartAndRunAll(page: Page, timeoutMs: number): Promise<void> {
  await watchQueuedPrompts(page);
  await chooseMenuItem(page, 'Kernel', /^Restart Kernel and Run All Cells/);
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await waitForRunToFinish(page, timeoutMs);
}

/** Selects code cell `index` (0-based among all cells) by clicking its prompt. */
export async function selectCell(page: Page, index: number): Promise<void> {
  await page.locator('.jp-Notebook .jp-Cell').nth(index).locator('.jp-InputPrompt').click();
}

/** Runs the selected cell with Shift+Enter (the selection moves on, as for a user). */
export async function runSelectedCell(page: Page): Promise<void> {
  await page.keyboard.press('Shift+Enter');
}

/** Runs cell `index` in place (Ctrl+Enter) and waits until it has finished. */
export async function runCell(page: Page, index: number, timeoutMs = 60_000): Promise<void> {
  await watchQueuedPrompts(page);
  await selectCell(page, index);
  await page.keyboard.press('Control+Enter');
  await waitForRunToFinish(page, timeoutMs);
}

/** The toolbar's Interrupt button (the square). */
export async function clickInterrupt(page: Page): Promise<void> {
  await page.locator('.jp-Toolbar [data-command="notebook:interrupt-kernel"]').first().click();
}

/** The prompt of each cell, `[3]:`, `[*]:` or `[ ]:` (markdown cells: empty). */
export async function prompts(page: Page): Promise<string[]> {
  return page
    .locator('.jp-Notebook .jp-Cell')
    .evaluateAll((cells) =>
      cells.map((cell) => (cell.querySelector('.jp-InputPrompt')?.textContent ?? '').trim()),
    );
}

/** What cell `index` shows: its stdout text and its stderr/error text (JupyterLab shows both as such). */
export async function shownOutputs(page: Page, index: number): Promise<{ stdout: string; errors: string }> {
  return page
    .locator('.jp-Notebook .jp-Cell')
    .nth(index)
    .evaluate((cell) => {
      const text = (mime: string) =>
        Array.from(cell.querySelectorAll(`.jp-OutputArea-output[data-mime-type="${mime}"]`))
          .map((e) => e.textContent ?? '')
          .join('');
      return {
        stdout: text('application/vnd.jupyter.stdout'),
        errors: text('application/vnd.jupyter.stderr'),
      };
    });
}

/** A plot as the page shows it: the vega-lite renderer's canvas and the pixels drawn on it. */
export interface RenderedPlot {
  cell: number;
  /** The renderer that drew it (JupyterLab picks the richest MIME type it knows): vega-lite, or image/…. */
  renderer: string;
  width: number;
  height: number;
  /** Canvas pixels that are neither transparent nor white-ish: axes, grid, marks. */
  inked: number;
  /** Distinct saturated colours among them (series are coloured, axes and grid grey). */
  colours: number;
}

/** Every plot output (vega-lite, vega, PNG or SVG) with how it rendered, once vega has drawn. */
export async function renderedPlots(page: Page): Promise<RenderedPlot[]> {
  // vega-embed renders asynchronously: wait until every vega output holds a canvas or an svg.
  await page
    .waitForFunction(
      () =>
        Array.from(document.querySelectorAll('.jp-RenderedVegaCommon5')).every(
          (output) => output.querySelector('canvas, svg') !== null,
        ),
      undefined,
      { timeout: 30_000, polling: 250 },
    )
    .catch(() => undefined); // reported below as a plot without pixels
  return page.evaluate(() => {
    const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
    const outputs = cells.flatMap((cell, index) =>
      Array.from(
        cell.querySelectorAll('.jp-RenderedVegaCommon5, .jp-OutputArea-output[data-mime-type^="image/"]'),
      ).map((output) => ({ index, output })),
    );
    return outputs.map(({ index, output }) => {
      // JupyterLab's vega5 renderer (vega-lite v3 to v5, vega v5) marks its node by class, not MIME type.
      const renderer = output.classList.contains('jp-RenderedVegaLite')
        ? 'vega-lite'
        : output.classList.contains('jp-RenderedVegaCommon5')
          ? 'vega'
          : (output.getAttribute('data-mime-type') ?? '');
      const canvas = output.querySelector('canvas');
      const image = canvas ?? output.querySelector('img, svg');
      const box = (image ?? output).getBoundingClientRect();
      let inked = 0;
      const colours = new Set<string>();
      let pixels: Uint8ClampedArray | undefined;
      if (canvas) {
        pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      } else if (image instanceof HTMLImageElement && image.naturalWidth > 0) {
        const copy = document.createElement('canvas');
        copy.width = image.naturalWidth;
        copy.height = image.naturalHeight;
        const context = copy.getContext('2d');
        context?.drawImage(image, 0, 0);
        pixels = context?.getImageData(0, 0, copy.width, copy.height).data;
      } else if (image instanceof SVGElement) {
        inked = image.querySelectorAll('path, line, polyline, polygon, rect, circle, ellipse').length;
      }
      for (let i = 0; pixels && i < pixels.length; i += 4) {
        const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
        if (a < 128 || (r > 235 && g > 235 && b > 235)) continue;
        inked++;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colours.add(`${r >> 5},${g >> 5},${b >> 5}`);
      }
      return { cell: index, renderer, width: box.width, height: box.height, inked, colours: colours.size };
    });
  });
}

/** Formulas: MathJax's rendered containers in markdown cells, and any it could not typeset. */
export async function renderedMath(page: Page): Promise<{ formulas: number; errors: number }> {
  // MathJax typesets after the markdown renders; wait for the count to settle.
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const count = await page.locator('.jp-MarkdownCell mjx-container').count();
    if (count === last && count > 0) break;
    last = count;
    await page.waitForTimeout(250);
  }
  return {
    formulas: await page.locator('.jp-MarkdownCell mjx-container').count(),
    errors: await page.locator('.jp-MarkdownCell mjx-merror').count(),
  };
}

/** The language of the code editors (CodeMirror's data-language), for highlighting. */
export async function editorLanguages(page: Page): Promise<string[]> {
  return page
    .locator('.jp-CodeCell .cm-content')
    .evaluateAll((editors) => [...new Set(editors.map((e) => e.getAttribute('data-language') ?? ''))]);
}

/**
 * Ctrl+S in the notebook; resolves once the file at `file` has changed and holds a whole notebook
 * (the same parseable text twice in a row: the server may still be writing when the mtime moves).
 */
export async function saveNotebook(page: Page, file: string): Promise<void> {
  const before = fs.statSync(file).mtimeMs;
  await page
    .locator('.jp-Notebook')
    .first()
    .click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+s');
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${file} was not saved within 30 s of Ctrl+S`);
    await page.waitForTimeout(150);
    if (fs.statSync(file).mtimeMs === before) continue;
    const text = fs.readFileSync(file, 'utf8');
    if (text === last && isJson(text)) return;
    last = text;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A screenshot of the whole notebook: the viewport is made as tall as the notebook first. */
export async function screenshotNotebook(page: Page, file: string): Promise<void> {
  const viewport = page.viewportSize() ?? { width: 1200, height: 900 };
  const height = await page.evaluate(() => {
    const notebook =
      document.querySelector('.jp-WindowedPanel-outer') ?? document.querySelector('.jp-Notebook');
    const chrome = window.innerHeight - (notebook?.clientHeight ?? 0);
    return chrome + (notebook?.scrollHeight ?? document.body.scrollHeight);
  });
  await page.setViewportSize({ width: viewport.width, height: Math.min(Math.max(height, 600), 16_000) });
  await page.evaluate(() => {
    const notebook =
      document.querySelector('.jp-WindowedPanel-outer') ?? document.querySelector('.jp-Notebook');
    notebook?.scrollTo(0, 0);
  });
  await page.waitForTimeout(500); // JupyterLab lays out again on resize
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
}

/**
 * Runs cell `index` in place and counts the different drawings its vega-lite output showed while the
 * cell was running (the canvas sampled every 100 ms), then waits for the cell to finish.
 */
export async function drawingsWhileRunning(page: Page, index: number, timeoutMs = 60_000): Promise<number> {
  await selectCell(page, index);
  const watching = page.evaluate(
    async ({ index, timeoutMs }) => {
      const cell = () => document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
      const running = () => (cell().querySelector('.jp-InputPrompt')?.textContent ?? '').includes('*');
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const start = Date.now();
      while (!running() && Date.now() - start < 10_000) await sleep(10);
      const seen = new Set<string>();
      while (running() && Date.now() - start < timeoutMs) {
        const canvas = cell().querySelector('.jp-RenderedVegaLite canvas');
        if (canvas instanceof HTMLCanvasElement) seen.add(canvas.toDataURL());
        await sleep(100);
      }
      return seen.size;
    },
    { index, timeoutMs },
  );
  await page.keyboard.press('Control+Enter');
  const drawings = await watching;
  await page.waitForFunction(
    (i) =>
      /\[\d+\]/.test(
        document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelector('.jp-InputPrompt')?.textContent ??
          '',
      ),
    index,
    { timeout: timeoutMs },
  );
  return drawings;
}
