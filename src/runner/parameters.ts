/**
 * Parameters as papermill injects them, in TypeScript: a new cell tagged `injected-parameters` right
 * after the cell tagged `parameters` (or first, saying so, when there is none), declaring each as a
 * `const`. tslab lets a later cell declare a `const` again, and the later one wins, so the notebook's
 * own defaults need no change. A run with parameters replaces the injected cell of an earlier one.
 */
import { randomBytes } from 'node:crypto';
import type { Cell, Notebook } from './notebook';

export type Parameters = Record<string, unknown>;

/** `-p NAME VALUE`: the value as JSON when it parses (1, true, [1, 2], "x"), else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Words a `const` may not be named (ECMAScript's reserved words and strict mode's). */
const RESERVED = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends ' +
    'false finally for function if implements import in instanceof interface let new null package ' +
    'private protected public return static super switch this throw true try typeof var void while ' +
    'with yield arguments eval'
  ).split(' '),
);

/** Throws, naming the parameter, when one cannot be written as `const NAME = VALUE;`. */
export function checkParameters(parameters: Parameters): void {
  for (const [name, value] of Object.entries(parameters)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name) || RESERVED.has(name)) {
      throw new Error(`parameters: '${name}' is not a valid TypeScript name for a const`);
    }
    let literal: string | undefined;
    try {
      literal = JSON.stringify(value);
    } catch {
      // a cycle or a BigInt
    }
    if (literal === undefined) throw new Error(`parameters: ${name} has no JSON value (got ${typeof value})`);
  }
}

const hasTag = (cell: Cell, tag: string): boolean =>
  Array.isArray(cell.metadata.tags) && cell.metadata.tags.includes(tag);

/** Puts the `injected-parameters` cell into `nb` (replacing an earlier one); nothing when empty. */
export function injectParameters(nb: Notebook, parameters: Parameters): void {
  const names = Object.keys(parameters);
  if (names.length === 0) return;
  checkParameters(parameters);
  nb.cells = nb.cells.filter((cell) => !hasTag(cell, 'injected-parameters'));
  const at = nb.cells.findIndex((cell) => hasTag(cell, 'parameters'));
  const note = at < 0 ? ' (no cell is tagged "parameters", so they come first)' : '';
  const source = [
    `// Parameters injected by the d2l-ts runner${note}`,
    ...names.map((name) => `const ${name} = ${JSON.stringify(parameters[name])};`),
  ].join('\n');
  const cell: Cell = {
    cell_type: 'code',
    execution_count: null,
    metadata: { tags: ['injected-parameters'] },
    outputs: [],
    source,
  };
  if (nb.nbformat_minor >= 5) cell.id = randomBytes(4).toString('hex');
  nb.cells.splice(at + 1, 0, cell);
}
