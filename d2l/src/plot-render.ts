/**
 * Renders a vega-lite spec to SVG headless with vega (no canvas), and SVG to PNG with resvg when the
 * optional `@resvg/resvg-js` loads.
 *
 * `plot` must be synchronous: tslab does not await a cell's last expression, so an async `plot` would
 * print `Promise { <pending> }` and could send its figure after the cell has finished. vega's own
 * `view.toSVG()` is async only because it awaits data loading; with inline data the dataflow evaluates
 * in the synchronous part of `view.run()`, after which vega's SVG string renderer draws the scene
 * synchronously. A test pins this path to `view.toSVG()`, byte for byte.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** vega's headless SVG renderer (vega-scenegraph's SVGStringRenderer), which vega's typings omit. */
interface SvgStringRenderer {
  initialize(el: null, width: number, height: number, origin: [number, number], scaleFactor: number): this;
  background(color: unknown): this;
  render(scene: unknown): this;
  svg(): string;
}
type SvgStringRendererClass = new (loader: unknown) => SvgStringRenderer;

/**
 * Compiles `spec` to vega, collecting vega-lite's warnings in `warnings` rather than letting them reach
 * the notebook's stderr.
 */
export function compileToVega(spec: TopLevelSpec, warnings: string[] = []): vega.Spec {
  const collect = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
    return logger;
  };
  const logger = {
    level: () => logger,
    warn: collect,
    info: () => logger,
    debug: () => logger,
    error: (...args: unknown[]) => {
      throw new Error(`plot: vega-lite: ${args.map(String).join(' ')}`);
    },
  };
  // vega tags the data objects it ingests: compile a copy so that the spec stays clean JSON.
  return compile(structuredClone(spec), { logger: logger as never }).spec;
}

function view(spec: TopLevelSpec): vega.View {
  return new vega.View(vega.parse(compileToVega(spec)), { renderer: 'none' });
}

/** Renders `spec` to an SVG string, synchronously. The spec must hold its data inline and a fixed size. */
export function renderSvg(spec: TopLevelSpec, width: number, height: number): string {
  const v = view(spec);
  try {
    v.run();
    const root = (v.scenegraph() as unknown as { root: { items?: unknown[] } }).root;
    if (!root.items?.length) throw new Error('plot: vega did not lay out the figure synchronously');
    const Renderer = (vega as unknown as { SVGStringRenderer: SvgStringRendererClass }).SVGStringRenderer;
    const padding = v.padding() as { left: number; top: number };
    const [ox, oy] = v.origin();
    return new Renderer(v.loader())
      .initialize(null, width, height, [ox + padding.left, oy + padding.top], 1)
      .background(v.background())
      .render(root)
      .svg();
  } finally {
    v.finalize();
  }
}

/** vega's own asynchronous rendering of `spec`, to check `renderSvg` against. */
export async function renderSvgWithVega(spec: TopLevelSpec): Promise<string> {
  const v = view(spec);
  try {
    return await v.toSVG();
  } finally {
    v.finalize();
  }
}

interface Resvg {
  render(): { asPng(): Buffer };
}
interface ResvgModule {
  Resvg: new (svg: string, options: object) => Resvg;
}
let resvg: ResvgModule | null | undefined;

/** Whether PNG output is available (the optional `@resvg/resvg-js` loads on this platform). */
export function pngAvailable(): boolean {
  if (resvg === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional dependency, loaded on demand
      resvg = require('@resvg/resvg-js') as ResvgModule;
    } catch {
      resvg = null;
    }
  }
  return resvg !== null;
}

/**
 * Rasterises `svg` at `scale` times its size (2 for sharp images on high-density screens), drawing
 * text with the system's fonts; undefined when resvg is unavailable.
 */
export function svgToPng(svg: string, scale = 2): Buffer | undefined {
  if (!pngAvailable() || resvg == null) return undefined;
  const options = { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true } };
  return new resvg.Resvg(svg, options).render().asPng();
}
