/**
 * Text compared with a numeric tolerance (pytest-doctestplus's FLOAT_CMP): every number literal in a
 * line is compared by value, the text around the numbers exactly, except that the width of a run of
 * spaces is free (tfjs pads numbers to align a tensor's columns, so a wider number moves its padding).
 */

export interface Tolerance {
  /** Relative tolerance: |new − saved| ≤ atol + rtol·|saved| (numpy.isclose). */
  rtol: number;
  /** Absolute tolerance, for numbers near zero. */
  atol: number;
}

/** A number literal in a line: where it is, and its value. */
export interface NumberToken {
  start: number;
  end: number;
  value: number;
}

// A sign belongs to the number unless a word character or a digit comes before it (`3.4-2`, `x-1`).
const NUMBER =
  /(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])|(?<=[^\w.]|^)(?:NaN|-?Infinity)(?!\w)/g;

/** The line with each number replaced by `#` and each run of spaces by one space, and its numbers. */
export function tokenize(line: string): { skeleton: string; numbers: NumberToken[] } {
  const numbers: NumberToken[] = [];
  for (const match of line.matchAll(NUMBER)) {
    const start = match.index ?? 0;
    numbers.push({ start, end: start + match[0].length, value: Number(match[0]) });
  }
  let skeleton = '';
  let at = 0;
  for (const n of numbers) {
    skeleton += `${line.slice(at, n.start)}#`;
    at = n.end;
  }
  skeleton += line.slice(at);
  return { skeleton: skeleton.replace(/ +/g, ' '), numbers };
}

/** Whether `value` is within the tolerance of `saved` (NaN equals NaN: both print the same). */
export function close(saved: number, value: number, { rtol, atol }: Tolerance): boolean {
  if (Number.isNaN(saved) || Number.isNaN(value)) return Number.isNaN(saved) && Number.isNaN(value);
  if (saved === value) return true; // also equal infinities
  return Math.abs(value - saved) <= atol + rtol * Math.abs(saved);
}

/**
 * Compares two lines. `equal` when the text around the numbers is the same and each number is within
 * the tolerance; `outside` lists the numbers of the new line that are not (when the text around them is
 * the same, so numbers pair up one to one; otherwise it is empty and `sameText` is false).
 */
export function compareLine(
  saved: string,
  line: string,
  tolerance: Tolerance,
): { equal: boolean; sameText: boolean; outside: NumberToken[] } {
  if (saved === line) return { equal: true, sameText: true, outside: [] };
  const a = tokenize(saved);
  const b = tokenize(line);
  if (a.skeleton !== b.skeleton) return { equal: false, sameText: false, outside: [] };
  const outside = b.numbers.filter((n, i) => !close(a.numbers[i].value, n.value, tolerance));
  return { equal: outside.length === 0, sameText: true, outside };
}

/** A line under `line` with `^` under each of `tokens` (for the `?` lines of a diff, as difflib's ndiff). */
export function caretLine(tokens: readonly NumberToken[]): string {
  let marks = '';
  for (const t of tokens) marks = marks.padEnd(t.start) + '^'.repeat(t.end - t.start);
  return marks;
}
