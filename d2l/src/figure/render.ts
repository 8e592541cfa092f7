/**
 * A vega-lite spec drawn headless: SVG by vega's own renderer, PNG by resvg (optional) at a given
 * pixel density.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { VegaLiteSpec } from './figure';
import { fontsFor } from './fonts';
import { encodePng } from './png';

/**
 * Renders `spec` to SVG synchronously: `plot` must finish within its cell, and vega's `toSVG` is
 * async only because it awaits data loading. With inline data, `run` lays the scene out at once and
 * vega's headless SVG renderer (`renderModule('svg').headless`) draws it; a test checks that this is
 * byte for byte what `toSVG` gives.
 */
export function renderSvg(spec: VegaLiteSpec, width: number, height: number): string {
  // d2l builds the spec as vega-lite's schema says (test/d2l/plot.test.ts validates it against that schema).
  const topLevel = structuredClone(spec) as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(topLevel).spec), { renderer: 'none' });
  try {
    view.run();
    // renderModule(name) returns the module (vega's typings only declare the two-argument setter).
    const svgModule = (vega.renderModule as unknown as (name: string) => { headless: SvgRendererClass })(
      'svg',
    );
    const { left, top } = view.padding() as { left: number; top: number };
    const [x, y] = view.origin();
    return new svgModule.headless(view.loader())
      .initialize(null, width, height, [x + left, y + top], 1)
      .background(view.background())
      .render((view.scenegraph() as unknown as { root: unknown }).root)
      .svg();
  } finally {
    view.finalize();
  }
}

type SvgRendererClass = new (loader: unknown) => SvgRenderer;
interface SvgRenderer {
  initialize(el: null, width: number, height: number, origin: number[], scaleFactor: number): this;
  background(color: unknown): this;
  render(scene: unknown): this;
  svg(): string;
}

interface RenderedImage {
  width: number;
  height: number;
  pixels: Buffer;
}

/** The SVG as PNG at `scale` pixels per px, drawn as with the system's fonts; undefined without resvg. */
export function rasterise(svg: string, scale: number): Buffer | undefined {
  let resvg: { Resvg: new (svg: string, options: object) => { render(): RenderedImage } };
  try {
    resvg = require('@resvg/resvg-js'); // eslint-disable-line @typescript-eslint/no-require-imports
  } catch {
    return undefined;
  }
  const image = new resvg.Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: fontsFor(svg),
  });
  const { width, height, pixels } = image.render();
  return encodePng(width, height, pixels);
}
