/// <reference lib="dom" />
// Reads an HTML page written by `jupyter nbconvert --to html` (nbconvert 6's lab template).
import type { Page } from 'playwright-core';
import type { CellOutcome, RenderedSvg } from './checks';

/**
 * Every code cell of the page. nbconvert --execute stops at the first failing cell, so a page that
 * exists means every cell ran; tslab never sends execute_input, so there are no prompt numbers to check.
 */
export async function readHtmlCells(page: Page): Promise<CellOutcome[]> {
  return page.evaluate(() => {
    const cells = Array.from(document.querySelectorAll('.jp-Notebook-cell'));
    const texts = (cell: Element, selector: string) =>
      Array.from(cell.querySelectorAll(`.jp-OutputArea-output${selector}`))
        .map((output) => output.textContent ?? '')
        .join('');
    return cells.flatMap((cell, index) =>
      cell.classList.contains('jp-CodeCell')
        ? [
            {
              index,
              source: cell.querySelector('.jp-InputArea-editor')?.textContent ?? '',
              ran: true,
              text: texts(cell, '[data-mime-type="text/plain"]'),
              errors: texts(cell, '[data-mime-type="application/vnd.jupyter.stderr"]'),
            },
          ]
        : [],
    );
  });
}

/** SVG outputs, inline (nbconvert's own template) or as base64 <img> (nbconvert 7.7+, our template). */
export async function readHtmlSvgs(page: Page): Promise<RenderedSvg[]> {
  return page.evaluate(async () => {
    const SHAPES = 'path, line, polyline, polygon, rect, circle, ellipse';
    const cells = Array.from(document.querySelectorAll('.jp-Notebook-cell'));
    const found: Array<Promise<RenderedSvg>> = cells.flatMap((cell, index) =>
      Array.from(
        cell.querySelectorAll('[data-mime-type="image/svg+xml"] svg, [data-mime-type="image/svg+xml"] img'),
      ).map(async (element) => {
        let shapes: number;
        if (element instanceof HTMLImageElement) {
          await element.decode().catch(() => undefined); // a broken image keeps naturalWidth 0
          const base64 = element.src.match(/^data:image\/svg\+xml;base64,(.*)$/)?.[1];
          const svg = base64 ? new DOMParser().parseFromString(atob(base64), 'image/svg+xml') : null;
          shapes = element.naturalWidth > 0 && svg ? svg.querySelectorAll(SHAPES).length : 0;
        } else {
          shapes = element.querySelectorAll(SHAPES).length;
        }
        const box = element.getBoundingClientRect();
        return { cell: index, width: box.width, height: box.height, shapes };
      }),
    );
    return Promise.all(found);
  });
}

/** Lets MathJax (loaded from Debian's files) finish, so its "Loading..." box is not in the screenshot. */
export async function waitForMathJax(page: Page): Promise<void> {
  await page
    .waitForFunction(
      () => {
        const message = document.getElementById('MathJax_Message');
        return !message || message.style.display === 'none' || (message.textContent ?? '') === '';
      },
      undefined,
      { timeout: 20_000 },
    )
    .catch(() => undefined); // cosmetic only: a slow MathJax must not fail the test
}
