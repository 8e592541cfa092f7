/// <reference lib="dom" />
// Reads an HTML page written by `jupyter nbconvert --to html` (nbconvert 7's lab template).
import type { Page } from 'playwright-core';
import type { CellOutcome, PlotShown } from './checks';

/**
 * Every code cell of the page. nbconvert --execute stops at the first failing cell, so a page that
 * exists means every cell ran. Error outputs show as stderr, like streams.
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

/** Image outputs (PNG, SVG inline or as <img>) with the pixels they drew once decoded. */
export async function readHtmlPlots(page: Page): Promise<PlotShown[]> {
  return page.evaluate(async () => {
    const SHAPES = 'path, line, polyline, polygon, rect, circle, ellipse';
    const cells = Array.from(document.querySelectorAll('.jp-Notebook-cell'));
    const found: Array<Promise<PlotShown>> = cells.flatMap((cell, index) =>
      // nbconvert 7 marks an inline SVG with data-mime-type, a PNG only with jp-RenderedImage.
      Array.from(
        cell.querySelectorAll(
          '.jp-OutputArea-output[data-mime-type^="image/"], .jp-OutputArea-output.jp-RenderedImage',
        ),
      ).map(async (output) => {
        const renderer =
          output.getAttribute('data-mime-type') ??
          output
            .querySelector('img')
            ?.getAttribute('src')
            ?.match(/^data:(image\/[\w+.-]+)/)?.[1] ??
          'image';
        const element = output.querySelector('img, svg');
        let inked = 0;
        if (element instanceof HTMLImageElement) {
          await element.decode().catch(() => undefined); // a broken image keeps naturalWidth 0
          if (element.naturalWidth > 0) {
            const canvas = document.createElement('canvas');
            canvas.width = element.naturalWidth;
            canvas.height = element.naturalHeight;
            const context = canvas.getContext('2d');
            context?.drawImage(element, 0, 0);
            const pixels = context?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
            for (let i = 0; i < pixels.length; i += 4) {
              const white = pixels[i] > 235 && pixels[i + 1] > 235 && pixels[i + 2] > 235;
              if (pixels[i + 3] >= 128 && !white) inked++;
            }
          }
        } else if (element) {
          inked = element.querySelectorAll(SHAPES).length;
        }
        const box = (element ?? output).getBoundingClientRect();
        return { cell: index, renderer, width: box.width, height: box.height, inked };
      }),
    );
    return Promise.all(found);
  });
}
