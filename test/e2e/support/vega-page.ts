/// <reference lib="dom" />
// Renders saved `application/vnd.vegalite.v5+json` outputs the way JupyterLab's vega5 renderer does
// (vega-embed, canvas renderer, default options) in a blank page whose scripts are the UMD builds
// from node_modules, inlined: no server and no CDN.
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT } from './paths';

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

/** One series of a chart: the marks drawn for it and the canvas pixels in its colour. */
export interface SeriesDrawn {
  name: string;
  /** Mark items with finite coordinates (points of a line, symbols, bars...). */
  items: number;
  color: string | null;
  /** Canvas pixels close to that colour. */
  pixels: number;
}

export interface VegaRender {
  width: number;
  height: number;
  series: SeriesDrawn[];
}

export async function openVegaPage(
  context: BrowserContext,
): Promise<{ page: Page; consoleErrors: string[] }> {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.setContent(
    '<!doctype html><html><head><meta charset="utf-8"><title>vega-lite outputs</title>' +
      '<style>body{font-family:sans-serif;margin:16px} figure{margin:0 0 24px} figcaption{font-size:13px;color:#444}</style>' +
      '</head><body></body></html>',
  );
  for (const pkg of [
    'vega/build/vega.min.js',
    'vega-lite/build/vega-lite.min.js',
    'vega-embed/build/vega-embed.min.js',
  ]) {
    // By path: vega-embed's `exports` map hides its UMD build from require.resolve.
    await page.addScriptTag({ path: path.join(PROJECT_ROOT, 'node_modules', pkg) });
  }
  return { page, consoleErrors };
}

/** The parts of vega's runtime objects read here (vega-embed is loaded as a global in the page). */
interface SceneNode {
  marktype?: string;
  name?: string;
  items?: SceneNode[];
  datum?: Record<string, unknown>;
  x?: number;
  y?: number;
  stroke?: string;
  fill?: string;
}
interface VegaGlobals {
  vegaEmbed(
    element: HTMLElement,
    spec: unknown,
    options: Record<string, unknown>,
  ): Promise<{
    view: { scenegraph(): { root: SceneNode }; scale(name: string): { domain(): unknown[] } | undefined };
  }>;
}
interface UnitSpec {
  data?: { values?: Array<Record<string, unknown>> | string };
  encoding?: Record<string, { field?: string; datum?: unknown; value?: unknown } | undefined>;
  layer?: UnitSpec[];
}

/**
 * Embeds one vega-lite spec under a caption and reports, for every series the spec asks for, what the
 * view drew. A series is a value of the colour (or stroke / strokeDash) field of a unit or layer, or the
 * layer itself when it has no such field (d2l.plot without a legend: one layer per series).
 */
export async function renderVegaLite(page: Page, spec: unknown, caption: string): Promise<VegaRender> {
  return page.evaluate(
    async ([spec, caption]) => {
      const figure = document.createElement('figure');
      const chart = document.createElement('div');
      const label = document.createElement('figcaption');
      label.textContent = caption;
      figure.append(label, chart);
      document.body.append(figure);
      // JupyterLab's renderer: vega-embed defaults (canvas, actions menu, default style).
      const { view } = await (window as unknown as VegaGlobals).vegaEmbed(chart, spec, {
        actions: true,
        defaultStyle: true,
      });

      // The series the spec asks for, and for each unit (vega-lite names a unit's marks
      // `[layer_i_]marks`) how to tell which series an item belongs to.
      type Unit = { markName: string; field?: string; label: string };
      const units: Unit[] = [];
      const expected = new Set<string>();
      const walk = (
        node: UnitSpec,
        prefix: string,
        data: Array<Record<string, unknown>>,
        encoding: UnitSpec['encoding'],
      ) => {
        const values = node.data?.values;
        const rows = Array.isArray(values) ? values : data; // d2l.plot's data is one JSON string
        const enc = { ...encoding, ...node.encoding };
        if (Array.isArray(node.layer)) {
          node.layer.forEach((child, i) => walk(child, `${prefix}layer_${i}_`, rows, enc));
          return;
        }
        const markName = `${prefix}marks`;
        const channel = [enc.color, enc.stroke, enc.strokeDash].find(
          (c) => c?.field || c?.datum !== undefined,
        );
        const field = channel?.field;
        if (field) {
          // From the data, or when a transform computes the field, from the colour scale's domain.
          const inData = rows.filter((row) => field in row).map((row) => String(row[field]));
          const names = inData.length > 0 ? inData : (view.scale('color')?.domain() ?? []).map(String);
          names.forEach((name) => expected.add(name));
          units.push({ markName, field, label: markName });
        } else {
          const label = String(channel?.datum ?? markName);
          expected.add(label);
          units.push({ markName, label });
        }
      };
      walk(spec as UnitSpec, '', [], {});

      // What the scenegraph holds: leaf marks by name.
      const marks = new Map<string, SceneNode[]>();
      const visit = (mark: SceneNode) => {
        if (mark.marktype === 'group') {
          for (const group of mark.items ?? []) for (const child of group.items ?? []) visit(child);
        } else if (mark.name) {
          marks.set(mark.name, [...(marks.get(mark.name) ?? []), mark]);
        }
      };
      visit(view.scenegraph().root);

      // Items drawn per series, with the first one's colour.
      const drawn = new Map<string, { items: number; color: string | null }>();
      for (const unit of units) {
        for (const mark of marks.get(unit.markName) ?? []) {
          for (const item of mark.items ?? []) {
            if (!Number.isFinite(item.x) || !Number.isFinite(item.y)) continue;
            const name = unit.field ? String(item.datum?.[unit.field]) : unit.label;
            const entry = drawn.get(name) ?? { items: 0, color: item.stroke ?? item.fill ?? null };
            entry.items++;
            drawn.set(name, entry);
          }
        }
      }

      const canvas = chart.querySelector('canvas');
      const pixels = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
      const countPixels = (color: string | null): number => {
        if (!pixels || !probe || !color) return 0;
        probe.clearRect(0, 0, 1, 1);
        probe.fillStyle = color;
        probe.fillRect(0, 0, 1, 1);
        const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
        let count = 0;
        for (let i = 0; i < pixels.length; i += 4) {
          const near =
            Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 60;
          if (near && pixels[i + 3] > 128) count++;
        }
        return count;
      };
      const series = [...expected].map((name) => {
        const { items = 0, color = null } = drawn.get(name) ?? {};
        return { name, items, color, pixels: countPixels(color) };
      });
      const box = (canvas ?? chart).getBoundingClientRect();
      return { width: box.width, height: box.height, series };
    },
    [spec, caption] as const,
  );
}
