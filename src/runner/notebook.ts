/**
 * nbformat 4 notebooks: read, and write byte-for-byte as Jupyter's nbformat.write does (Python's JSON
 * numbers and sorted keys, from ./nbjson; multi-line strings split into lines, trailing newline), so
 * re-running a notebook and saving it from JupyterLab produce the same diff. Writes go through
 * replaceFile (files.ts).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { replaceFile } from './files';
import { parseJson, stringifyJson } from './nbjson';
import type { Output } from './outputs';
import type { JsonObject } from './wire';

export interface Cell {
  cell_type: 'code' | 'markdown' | 'raw';
  id?: string;
  metadata: JsonObject;
  source: string;
  outputs?: Output[];
  execution_count?: number | null;
  [key: string]: unknown;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: JsonObject;
  cells: Cell[];
}

const joined = (value: unknown): string => (Array.isArray(value) ? value.join('') : String(value ?? ''));

export function parseNotebook(text: string, file: string): Notebook {
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (error) {
    throw new Error(`${file}: not a notebook (invalid JSON: ${(error as Error).message})`);
  }
  const nb = raw as Notebook;
  if (typeof raw !== 'object' || raw === null || nb.nbformat !== 4 || !Array.isArray(nb.cells)) {
    throw new Error(`${file}: expected an nbformat 4 notebook (nbformat: 4 and a cells list)`);
  }
  for (const cell of nb.cells) {
    cell.source = joined(cell.source);
    cell.metadata ??= {};
    for (const output of cell.outputs ?? []) {
      if (output.output_type === 'stream') output.text = joined(output.text);
      if (output.output_type === 'display_data' || output.output_type === 'execute_result') {
        output.data = mapBundle(output.data, (mime, value) =>
          // Multi-line strings are stored as lists of lines (JSON data is stored as it is).
          Array.isArray(value) && !/^application\/(.*\+)?json$/.test(mime) ? value.join('') : value,
        );
      }
    }
  }
  nb.metadata ??= {};
  return nb;
}

export function readNotebook(file: string): Notebook {
  return parseNotebook(fs.readFileSync(file, 'utf8'), file);
}

/** Python's str.splitlines(keepends=True), whose line breaks include some control characters. */
export function splitLines(text: string): string[] {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .match(/[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]|$)/g)!
      .filter((line) => line !== '')
  );
}

/** A MIME bundle with each value mapped. */
function mapBundle(data: JsonObject, map: (mime: string, value: unknown) => unknown): JsonObject {
  return Object.fromEntries(Object.entries(data ?? {}).map(([mime, value]) => [mime, map(mime, value)]));
}

/** The file text nbformat.write would produce. */
export function serializeNotebook(nb: Notebook): string {
  const metadata = { ...nb.metadata };
  for (const key of ['orig_nbformat', 'orig_nbformat_minor', 'signature']) delete metadata[key];
  const cells = nb.cells.map((cell) => {
    const { trusted: _trusted, ...cellMetadata } = cell.metadata;
    void _trusted;
    const out: JsonObject = { ...cell, metadata: cellMetadata, source: splitLines(cell.source) };
    if (cell.outputs) {
      out.outputs = cell.outputs.map((output) => {
        if (output.output_type === 'stream') return { ...output, text: splitLines(output.text) };
        if (output.output_type === 'display_data' || output.output_type === 'execute_result') {
          // nbformat.v4.rwbase._split_mimebundle: text/*, SVG and JavaScript become lists of lines.
          const lines = (mime: string): boolean =>
            mime.startsWith('text/') || mime === 'image/svg+xml' || mime === 'application/javascript';
          return {
            ...output,
            data: mapBundle(output.data, (mime, value) =>
              typeof value === 'string' && lines(mime) ? splitLines(value) : value,
            ),
          };
        }
        return output;
      });
    }
    return out;
  });
  return stringifyJson({ ...nb, metadata, cells }) + '\n';
}

/** Writes via a temporary file and a rename (see replaceFile): readers see the old or new file. */
export function writeNotebookAtomic(file: string, nb: Notebook): void {
  replaceFile(file, serializeNotebook(nb));
}

/** nbformat ≥ 4.5 requires cell ids; nbformat adds random ones the same way. */
export function ensureCellIds(nb: Notebook): void {
  if (nb.nbformat_minor < 5) return;
  for (const cell of nb.cells) cell.id ??= randomBytes(4).toString('hex');
}
