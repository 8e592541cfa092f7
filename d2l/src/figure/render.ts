/**
 * A vega-lite spec drawn headless: SVG by vega's own renderer, PNG by resvg (optional) at a given
 * pixel density.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { fontsFor } from './fonts';
import { encodePng } from './png';

/**
 * Renders `spec` to SVG synchronously: `plot` must finish within its cell, and vega's `toSVG` is
 * async only because it awaits data loading. With inline data, `run` lays the scene out at once and
 * vega's headless SVG renderer (`renderModule('svg').headless`) draws it; a test checks that this is
 * byte for byte what `toSVG` gives.
 */
export function renderSvg(spec: TopLevelSpec, width: number, height: number): string {
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: 'none' });
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

/** Placeholder for a spec's inline data while vega-lite compiles it: a JSON string, as ours are. */
const NO_DATA = '[]';
/** Compiled vega specs by their vega-lite spec without its data, the most recently used last. */
const compiled = new Map<string, vega.Spec>();
const COMPILED_KEPT = 8;

/**
 * The vega spec of `spec`. vega-lite compiles it without its inline data, which it only copies (and
 * which costs it most of the time for a thousand points), and keeps the result for the next figure
 * of the same shape; the data goes into the compiled spec's dataset after. A test checks that this is
 * what compiling the whole spec gives.
 */
export function toVega(spec: TopLevelSpec): vega.Spec {
  const data = (spec as { data?: { values?: unknown } }).data;
  if (data === undefined || typeof data.values !== 'string') return compile(structuredClone(spec)).spec;
  const key = JSON.stringify({ ...spec, data: { ...data, values: NO_DATA } });
  let shape = compiled.get(key);
  if (shape === undefined) {
    shape = compile(JSON.parse(key) as TopLevelSpec).spec;
    if (shape.data?.filter(isPlaceholder).length !== 1) return compile(structuredClone(spec)).spec;
  }
  compiled.delete(key);
  compiled.set(key, shape);
  if (compiled.size > COMPILED_KEPT) compiled.delete(compiled.keys().next().value as string);
  const out = structuredClone(shape);
  const dataset = out.data?.find(isPlaceholder);
  (dataset as { values: unknown }).values = data.values;
  return out;
}

const isPlaceholder = (d: vega.Data): boolean => 'values' in d && (d.values as unknown) === NO_DATA;

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
