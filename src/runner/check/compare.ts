/**
 * A cell's new outputs against its saved ones, with nbval's rules as the base: streams joined per name
 * (`\r` and `\b` applied), data compared per MIME type, errors by name and message; tracebacks,
 * execution counts and metadata ignored. Beyond nbval: numbers within a tolerance, vega-lite specs
 * with tolerant data, PNGs by their pixels. Text is sanitized on both sides first.
 */
import { applyCarriageReturns, type Output } from '../outputs';
import { CHECK_DEFAULTS, type CheckOptions, TAGS } from './defaults';
import { comparePixels, decodePng } from './png';
import { sanitize } from './sanitize';
import { compareSpecs } from './spec';
import { textDiff } from './textdiff';

/** One way a cell's outputs differ: a heading, and the lines that show it (a diff, a list). */
export interface Difference {
  what: string;
  lines: string[];
}

/** A cell's outputs as compared: streams joined per name; the other outputs in order. */
type Normal =
  | { kind: 'stream'; name: string; text: string }
  | { kind: 'error'; ename: string; evalue: string }
  | { kind: 'data'; result: boolean; data: Record<string, unknown> };

/** nbval's handling of backspace: each `\b` erases the character before it on its line. */
export function applyBackspaces(text: string): string {
  let before;
  do {
    before = text;
    // eslint-disable-next-line no-control-regex
    text = text.replace(/[^\n\x08]\x08/g, '');
  } while (text !== before);
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x08/g, '');
}

/** Streams joined per name (at the first one's place, as nbval's coalesce_streams); others in order. */
export function normalize(outputs: readonly Output[]): Normal[] {
  const normal: Normal[] = [];
  const streams = new Map<string, { kind: 'stream'; name: string; text: string }>();
  for (const output of outputs) {
    if (output.output_type === 'stream') {
      const stream = streams.get(output.name);
      if (stream) stream.text += output.text;
      else {
        const joined = { kind: 'stream' as const, name: output.name, text: output.text };
        streams.set(output.name, joined);
        normal.push(joined);
      }
    } else if (output.output_type === 'error') {
      normal.push({ kind: 'error', ename: output.ename, evalue: output.evalue });
    } else {
      normal.push({ kind: 'data', result: output.output_type === 'execute_result', data: output.data });
    }
  }
  for (const stream of streams.values()) stream.text = applyBackspaces(applyCarriageReturns(stream.text));
  return normal;
}

const isSpec = (mime: string): boolean => /^application\/vnd\.vega(lite)?\.v\d+\+json$/.test(mime);
const isJson = (mime: string): boolean => /^application\/(.*\+)?json$/.test(mime);
const asText = (value: unknown): string =>
  typeof value === 'string' ? value : Array.isArray(value) ? value.join('') : JSON.stringify(value, null, 1);

/** An output's text for a report, its first lines (base64 never: images by their MIME type). */
function describe(output: Normal): string[] {
  if (output.kind === 'stream') return excerpt(output.text.replace(/\n$/, '').split('\n'));
  if (output.kind === 'error') return [`${output.ename}: ${output.evalue}`];
  return Object.entries(output.data).map(([mime, value]) => {
    if (mime.startsWith('image/') && mime !== 'image/svg+xml') return `${mime} (a picture)`;
    if (isSpec(mime)) return `${mime} (a plot)`;
    const text = isJson(mime) ? JSON.stringify(value) : asText(value).split('\n')[0];
    return `${mime}: ${text.length > 100 ? `${text.slice(0, 99)}…` : text}`;
  });
}

function excerpt(lines: string[], max = 8): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max), `… (${lines.length - max} more lines)`];
}

/** stdout, stderr, error, the cell's result (Out[n]), or its n-th display (counted with the result). */
const label = (output: Normal, index: number): string =>
  output.kind === 'stream'
    ? output.name
    : output.kind === 'error'
      ? 'error'
      : output.result
        ? 'result'
        : `display ${index + 1}`;

function compareBundle(
  saved: Record<string, unknown>,
  data: Record<string, unknown>,
  where: string,
  options: CheckOptions,
  ignoreImages: boolean,
): Difference[] {
  const differences: Difference[] = [];
  for (const mime of new Set([...Object.keys(saved), ...Object.keys(data)])) {
    const what = `${where} ${mime}`;
    if (!(mime in data)) {
      differences.push({ what: `${what}: missing (the saved output has it)`, lines: [] });
      continue;
    }
    if (!(mime in saved)) {
      differences.push({ what: `${what}: new (the saved output has no ${mime})`, lines: [] });
      continue;
    }
    const [a, b] = [saved[mime], data[mime]];
    if (mime === 'image/png') {
      if (ignoreImages) continue;
      const difference = compareImages(String(a), String(b), what, options.pixelTolerance);
      if (difference) differences.push(difference);
    } else if (mime.startsWith('image/') && mime !== 'image/svg+xml') {
      continue; // JPEG and other raster formats: not decoded here, skipped as nbval skips them
    } else if (isSpec(mime)) {
      const lines = compareSpecs(a, b, options);
      if (lines.length > 0) differences.push({ what: `${what}: the plot's spec differs`, lines });
    } else {
      const text = (v: unknown): string =>
        sanitize(isJson(mime) ? JSON.stringify(v, null, 1) : asText(v), options.sanitizers);
      const diff = textDiff(text(a), text(b), options);
      if (diff) differences.push(textDifference(what, diff, options));
    }
  }
  return differences;
}

/** A text diff under its heading, which says what its `^` marks mean when it has them. */
function textDifference(what: string, diff: string[], { rtol, atol }: CheckOptions): Difference {
  const marks = diff.some((line) => line.startsWith('?'));
  const note = marks ? ` (^: numbers outside the tolerance, rtol ${rtol}, atol ${atol})` : '';
  return { what: `${what} differs${note}`, lines: diff };
}

function compareImages(saved: string, image: string, what: string, tolerance: number): Difference | null {
  if (saved === image) return null;
  let result;
  try {
    result = comparePixels(decodePng(saved), decodePng(image));
  } catch (error) {
    return { what: `${what}: not a readable PNG (${(error as Error).message})`, lines: [] };
  }
  if (result === null) {
    const size = (b64: string): string => {
      const png = decodePng(b64);
      return `${png.width}×${png.height}`;
    };
    return { what: `${what}: the picture's size changed, ${size(saved)} → ${size(image)} pixels`, lines: [] };
  }
  if (result.rms <= tolerance) return null;
  const { box, width, height, changed } = result;
  const share = ((100 * changed) / (width * height)).toFixed(changed * 1000 < width * height ? 2 : 1);
  const where = box
    ? `${share}% of the ${width}×${height} pixels changed visibly, all within x ${box.left}–${box.right}, ` +
      `y ${box.top}–${box.bottom} (pixels from the top left)`
    : `no pixel changed visibly: a faint change spread over the ${width}×${height} pixels`;
  return {
    what: `${what}: the picture changed: pixel RMS ${result.rms.toFixed(2)} > tolerance ${tolerance}`,
    lines: [where],
  };
}

/** How one cell's outputs differ from the saved ones (empty: they match). */
export function compareOutputs(
  saved: readonly Output[],
  outputs: readonly Output[],
  tags: readonly string[] = [],
  options: CheckOptions = CHECK_DEFAULTS,
): Difference[] {
  const a = normalize(saved);
  const b = normalize(outputs);
  const differences: Difference[] = [];
  const ignoreImages = tags.includes(TAGS.ignoreImage);
  // Streams pair by name, the other outputs in order: an extra display shifts nothing else.
  const others = (list: Normal[]): Normal[] => list.filter((o) => o.kind !== 'stream');
  const [otherA, otherB] = [others(a), others(b)];
  const pairs: [Normal | undefined, Normal | undefined, number][] = [];
  for (const name of ['stdout', 'stderr']) {
    const find = (list: Normal[]): Normal | undefined =>
      list.find((o) => o.kind === 'stream' && o.name === name);
    if (find(a) || find(b)) pairs.push([find(a), find(b), 0]);
  }
  for (let i = 0; i < Math.max(otherA.length, otherB.length); i++) pairs.push([otherA[i], otherB[i], i]);

  for (const [x, y, i] of pairs) {
    if (!y) {
      differences.push({ what: `${label(x!, i)}: missing (the saved notebook has it)`, lines: describe(x!) });
    } else if (!x) {
      differences.push({
        what: `${label(y, i)}: new (the saved notebook does not have it)`,
        lines: describe(y),
      });
    } else if (x.kind === 'stream' && y.kind === 'stream') {
      const diff = textDiff(
        sanitize(x.text, options.sanitizers),
        sanitize(y.text, options.sanitizers),
        options,
      );
      if (diff) differences.push(textDifference(x.name, diff, options));
    } else if (x.kind === 'error' && y.kind === 'error') {
      const text = (e: typeof x): string => sanitize(`${e.ename}: ${e.evalue}`, options.sanitizers);
      const diff = textDiff(text(x), text(y), options);
      if (diff) differences.push(textDifference('error (name and message)', diff, options));
    } else if (x.kind === 'data' && y.kind === 'data') {
      differences.push(...compareBundle(x.data, y.data, label(x, i), options, ignoreImages));
    } else {
      differences.push({
        what: `${label(x, i)}: was ${x.kind === 'error' ? 'an error' : 'a display'}, now ${y.kind === 'error' ? 'an error' : 'a display'}`,
        lines: [...describe(x).map((l) => `-${l}`), ...describe(y).map((l) => `+${l}`)],
      });
    }
  }
  return differences;
}
