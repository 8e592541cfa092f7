/** A figure: its vega-lite spec, and its SVG, PNG and notebook MIME bundle rendered on first use. */
import * as fs from 'fs';
import * as path from 'path';
import { rasterise, renderSvg } from './render';

/**
 * A vega-lite v5 spec, as `Figure#spec` holds it: a JSON object. d2l-ts's own name for it, so that a
 * notebook's program need not load vega-lite's declarations (0.5 MB, a tenth of the first cell's
 * type-check); `spec as TopLevelSpec` (`import type { TopLevelSpec } from 'vega-lite'`) gives its full
 * type. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * const spec: d2l.VegaLiteSpec = d2l.figure([0, 1], [1, 0]).spec;
 * console.log(spec.$schema); // https://vega.github.io/schema/vega-lite/v5.json
 */
export interface VegaLiteSpec {
  /** The schema's URL; the rest is vega-lite's (a layered spec with its data inline). */
  readonly $schema?: string;
}

/**
 * A figure: its vega-lite spec, and its SVG and PNG rendered on first use; what `figure` returns, and
 * `plot` outside a notebook. d2l-ts's own (the book has no counterpart).
 *
 * @example
 * const fig = d2l.figure([0, 1, 2], [0, 1, 4]);
 * console.log(fig.width, fig.height, fig.svg.length); // 350 250 …
 */
export class Figure {
  private rendered: { svg?: string; png?: Buffer | null } = {};

  constructor(
    /** The vega-lite v5 spec, with its data inline. */
    readonly spec: VegaLiteSpec,
    /** The width in px. */
    readonly width: number,
    /** The height in px. */
    readonly height: number,
  ) {}

  /** The figure as SVG. */
  get svg(): string {
    return (this.rendered.svg ??= renderSvg(this.spec, this.width, this.height));
  }

  /** The figure as PNG at 2 pixels per px, or undefined when the optional `@resvg/resvg-js` is missing. */
  get png(): Buffer | undefined {
    if (this.rendered.png === undefined) this.rendered.png = rasterise(this.svg, 2) ?? null;
    return this.rendered.png ?? undefined;
  }

  /**
   * The MIME bundle `plot` displays in a notebook. Without `png` it holds only what a browser draws
   * itself (the vega-lite spec and text), which costs no rendering here.
   */
  bundle({ png = true }: { png?: boolean } = {}): Record<string, unknown> {
    const image = png ? this.png : undefined;
    return {
      'application/vnd.vegalite.v5+json': this.spec,
      ...(image === undefined ? {} : { 'image/png': image.toString('base64') }),
      'text/plain': `<Figure ${this.width}×${this.height}>`,
    };
  }

  /** The display metadata: the 2× PNG is shown at the figure's size. */
  metadata(): Record<string, unknown> {
    return { 'image/png': { width: this.width, height: this.height } };
  }

  /** Writes the figure to `file`, as `.png`, `.svg` or `.json` (the vega-lite spec) by its extension. */
  save(file: string): void {
    const ext = path.extname(file).toLowerCase();
    const png = ext === '.png' ? this.png : undefined;
    if (ext === '.png' && png === undefined) throw new Error('Figure.save: PNG needs @resvg/resvg-js');
    const data = { '.png': png, '.svg': this.svg, '.json': JSON.stringify(this.spec) }[ext];
    if (data === undefined)
      throw new Error(`Figure.save: file must end in .png, .svg or .json; got '${file}'`);
    fs.writeFileSync(file, data);
  }
}
