/// <reference lib="dom" />
// Reads an HTML page written by `jupyter nbconvert --to html` (nbconvert 6's lab template).
import type { Page } from 'playwright-core';
import { INKED_PIXELS, type CellOutcome, type RenderedImage } from './checks';

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

/** PNG outputs (nbconvert's HTML draws no vega-lite), with their laid-out size. */
export async function readHtmlImages(page: Page): Promise<RenderedImage[]> {
  return page.evaluate(async (inkedSource) => {
    const inked = new Function(`return ${inkedSource}`)() as (img: HTMLImageElement) => number;
    const cells = Array.from(document.querySelectorAll('.jp-Notebook-cell'));
    const found = cells.flatMap((cell, index) =>
      Array.from(cell.querySelectorAll<HTMLImageElement>('[data-mime-type="image/png"] img')).map(
        async (img) => {
          await img.decode().catch(() => undefined); // a broken image keeps naturalWidth 0
          const box = img.getBoundingClientRect();
          return { cell: index, width: box.width, height: box.height, inked: inked(img) };
        },
      ),
    );
    return Promise.all(found);
  }, INKED_PIXELS);
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
