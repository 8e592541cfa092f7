/// <reference lib="dom" />
// Drives the classic Notebook 6 UI the way a user does: menus and dialogs. The `Jupyter` JS API is
// only read (events, cell models), never used to run anything.
import type { Page } from 'playwright-core';
import { INKED_PIXELS, type CellOutcome, type RenderedImage } from './checks';

/** The few parts of Notebook 6's global `Jupyter` object read here. */
interface NbOutputJson {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  traceback?: string[];
}
interface NotebookGlobal {
  Jupyter: {
    notebook: {
      /** Notebook 6's per-request bookkeeping (services/kernels/kernel.js), read to see replies land. */
      kernel: { _msg_callbacks: Record<string, { shell_done: boolean; iopub_done: boolean }> };
      events: { one(event: string, handler: () => void): void };
      get_cells(): Array<{
        cell_type: string;
        input_prompt_number?: number | string | null;
        get_text(): string;
        output_area?: { toJSON(): NbOutputJson[] };
      }>;
    };
  };
}

const KERNEL_IDLE = '#kernel_indicator_icon.kernel_idle_icon';

/** Opens a notebook and waits until its kernel (started from metadata.kernelspec) is idle. */
export async function openNotebook(page: Page, url: string, timeoutMs = 120_000): Promise<void> {
  const response = await page.goto(url);
  if (response && !response.ok())
    throw new Error(`${new URL(url).pathname}: HTTP ${response.status()} ${response.statusText()}`);
  // A missing kernelspec or a kernel that dies at start shows a dialog instead.
  await page.waitForFunction(
    (idle) => document.querySelector(idle) !== null || document.querySelector('.modal-dialog') !== null,
    KERNEL_IDLE,
    { timeout: timeoutMs, polling: 250 },
  );
  const dialog = await page
    .locator('.modal-dialog')
    .first()
    .innerText({ timeout: 100 })
    .catch(() => null);
  if (dialog !== null)
    throw new Error(`the notebook showed a dialog instead of an idle kernel: ${dialog.trim()}`);
  const kernel = (await page.locator('.kernel_indicator_name').textContent())?.trim();
  if (kernel !== 'TypeScript (d2l-ts)') {
    throw new Error(`the notebook opened with kernel "${kernel}", expected "TypeScript (d2l-ts)"`);
  }
}

async function chooseMenuItem(page: Page, menu: string, itemId: string): Promise<void> {
  await page.getByRole('link', { name: menu, exact: true }).click();
  await page.locator(`#${itemId} > a`).click();
}

/** Resolves when the notebook fires a Jupyter event (registered now, before the action that causes it). */
function nextEvent(page: Page, event: string, timeoutMs: number): Promise<void> {
  return page.evaluate(
    ([name, ms]) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${name} within ${ms} ms`)), ms);
        (window as unknown as NotebookGlobal).Jupyter.notebook.events.one(name, () => {
          clearTimeout(timer);
          resolve();
        });
      }),
    [event, timeoutMs] as const,
  );
}

/**
 * Kernel > Restart & Clear Output (confirmed in its dialog), then Cell > Run All, then waits until no
 * cell is queued or running and the kernel is idle again.
 */
export async function restartAndRunAll(page: Page, timeoutMs: number): Promise<void> {
  const ready = nextEvent(page, 'kernel_ready.Kernel', 120_000);
  await chooseMenuItem(page, 'Kernel', 'restart_clear_output');
  await page.locator('.modal-footer button', { hasText: 'Restart and Clear All Outputs' }).click();
  await ready;
  await page.waitForSelector('.modal', { state: 'detached' });
  await page.waitForSelector(KERNEL_IDLE);

  // Run All marks every code cell `.running` synchronously; a cell loses the mark when its execute_reply
  // comes on the shell channel (aborted cells too). Its outputs come on iopub, which the server relays
  // separately, so the reply can overtake them: a cell is done only once iopub has also said `idle` for
  // its request, which the notebook records per request as `iopub_done`. (Waiting for the kernel
  // indicator alone lost the last cell's plot when its reply overtook its `busy`.)
  await chooseMenuItem(page, 'Cell', 'run_all_cells');
  try {
    await page.waitForFunction(
      (idle) =>
        document.querySelector('.code_cell.running') === null &&
        document.querySelector(idle) !== null &&
        Object.values((window as unknown as NotebookGlobal).Jupyter.notebook.kernel._msg_callbacks).every(
          (request) => request.shell_done && request.iopub_done,
        ),
      KERNEL_IDLE,
      { timeout: timeoutMs, polling: 250 },
    );
  } catch (error) {
    const stuck = await page
      .evaluate(() => {
        const cells = (window as unknown as NotebookGlobal).Jupyter.notebook.get_cells();
        const running = Array.from(document.querySelectorAll('#notebook-container > .cell')).findIndex(
          (cell) => cell.classList.contains('running'),
        );
        return running < 0
          ? 'no cell running, kernel busy'
          : `cell ${running}: ${cells[running].get_text().slice(0, 80)}`;
      })
      .catch(() => 'unknown');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`run all did not finish within ${timeoutMs} ms (${stuck}): ${reason}`);
  }
}

/** File > Save and Checkpoint, resolved once the server has written the file. */
export async function saveNotebook(page: Page): Promise<void> {
  const saved = nextEvent(page, 'notebook_saved.Notebook', 30_000);
  await chooseMenuItem(page, 'File', 'save_checkpoint');
  await saved;
}

/**
 * File > Close and Halt: the notebook shuts its kernel down (so kernels do not pile up across notebooks),
 * then tries to close its window, which a browser only allows for windows a script opened.
 */
export async function closeAndHalt(page: Page): Promise<void> {
  await chooseMenuItem(page, 'File', 'close_and_halt');
}

/** Every code cell's outcome, from the notebook's own cell models (the outputs it would save). */
export async function readCells(page: Page): Promise<CellOutcome[]> {
  return page.evaluate(() => {
    const join = (text: string | string[] | undefined) =>
      Array.isArray(text) ? text.join('') : (text ?? '');
    const cells = (window as unknown as NotebookGlobal).Jupyter.notebook.get_cells();
    return cells.flatMap((cell, index) => {
      if (cell.cell_type !== 'code') return [];
      const outputs = cell.output_area?.toJSON() ?? [];
      const text = outputs
        .map((output) => {
          if (output.output_type === 'stream' && output.name === 'stdout') return join(output.text);
          const plain = output.data?.['text/plain'];
          return typeof plain === 'string' || Array.isArray(plain) ? join(plain as string | string[]) : '';
        })
        .join('');
      const errors = outputs
        .map((output) => {
          if (output.output_type === 'stream' && output.name === 'stderr') return join(output.text);
          if (output.output_type === 'error') return (output.traceback ?? []).join('\n');
          return '';
        })
        .join('');
      return [
        { index, source: cell.get_text(), ran: typeof cell.input_prompt_number === 'number', text, errors },
      ];
    });
  });
}

/** Every PNG image in an output area (the classic Notebook draws no vega-lite), with its laid-out size. */
export async function readRenderedImages(page: Page): Promise<RenderedImage[]> {
  return page.evaluate(async (inkedSource) => {
    const inked = new Function(`return ${inkedSource}`)() as (img: HTMLImageElement) => number;
    const cells = Array.from(document.querySelectorAll('#notebook-container > .cell'));
    const found = cells.flatMap((cell, index) =>
      Array.from(cell.querySelectorAll<HTMLImageElement>('.output_png img')).map(async (img) => {
        await img.decode().catch(() => undefined); // a broken image keeps naturalWidth 0
        const box = img.getBoundingClientRect();
        return { cell: index, width: box.width, height: box.height, inked: inked(img) };
      }),
    );
    return Promise.all(found);
  }, INKED_PIXELS);
}

/**
 * A screenshot of the whole notebook. Notebook 6 scrolls inside #site rather than the page, so the
 * viewport is first made as tall as the notebook.
 */
export async function screenshotNotebook(page: Page, file: string): Promise<void> {
  const viewport = page.viewportSize() ?? { width: 1200, height: 900 };
  const height = await page.evaluate(() => {
    const header = document.querySelector<HTMLElement>('#header')?.offsetHeight ?? 0;
    const site = document.querySelector('#site')?.scrollHeight ?? document.body.scrollHeight;
    return header + site;
  });
  await page.setViewportSize({ width: viewport.width, height: Math.min(Math.max(height, 600), 20_000) });
  await page.waitForTimeout(300); // the notebook re-lays out #site on resize
  await page.screenshot({ path: file, fullPage: true });
  await page.setViewportSize(viewport);
}

/**
 * Makes `page`'s kernel connection deliver everything but shell replies `delayMs` late, in order. The
 * Notebook server relays the kernel's shell and iopub channels independently, so an execute_reply
 * can reach the browser before that cell's outputs; this makes it happen every time.
 */
export async function delayKernelOutputs(page: Page, delayMs: number): Promise<void> {
  await page.routeWebSocket(/\/api\/kernels\/[^/]+\/channels/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      // Notebook 6 sends JSON text frames, binary ones only for messages with buffers (never shell replies).
      const channel =
        typeof message === 'string' ? (JSON.parse(message) as { channel?: string }).channel : undefined;
      if (channel === 'shell') ws.send(message);
      else setTimeout(() => ws.send(message), delayMs);
    });
  });
}
