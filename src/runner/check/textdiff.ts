/**
 * Text compared line by line with the numeric tolerance, and a unified diff of what differs: lines
 * whose numbers are all within the tolerance count as equal, and under a changed line whose text is the
 * same a `?` line (difflib's ndiff mark) puts `^` under each number outside the tolerance.
 */
import { diffArrays } from 'diff';
import { caretLine, compareLine, type Tolerance } from './numbers';

/** Lines of context around each change, as `diff -u`. */
const CONTEXT = 2;
/** Diff lines printed per output at most; the rest is counted. */
const MAX_LINES = 40;

type Op = { mark: ' ' | '-' | '+' | '?'; text: string; savedLine: number; newLine: number };

/** A unified diff of `saved` → `text` (`--- saved`, `+++ new`, @@ hunks), or null when they match. */
export function textDiff(saved: string, text: string, tolerance: Tolerance): string[] | null {
  if (saved === text) return null;
  // A final newline ends the last line, it does not start an empty one.
  const lines = (t: string): string[] => (t.endsWith('\n') ? t.slice(0, -1) : t).split('\n');
  const a = lines(saved);
  const b = lines(text);
  const changes = diffArrays(a, b, { comparator: (x, y) => compareLine(x, y, tolerance).equal });
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  let removed: Op[] = [];
  for (const change of changes) {
    if (change.removed) {
      removed = change.value.map((line) => ({ mark: '-', text: line, savedLine: i++, newLine: j }));
      ops.push(...removed);
      continue;
    }
    if (change.added) {
      change.value.forEach((line, k) => {
        ops.push({ mark: '+', text: line, savedLine: i, newLine: j++ });
        const before = removed[k];
        const outside = before ? compareLine(before.text, line, tolerance).outside : [];
        if (outside.length > 0) ops.push({ mark: '?', text: caretLine(outside), savedLine: i, newLine: j });
      });
    } else {
      for (let k = 0; k < change.count; k++)
        ops.push({ mark: ' ', text: a[i], savedLine: i++, newLine: j++ });
    }
    removed = [];
  }
  const changed = ops.map((op, k) => (op.mark !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) {
    if (saved.endsWith('\n') === text.endsWith('\n')) return null; // equal within the tolerance
    return [`the ${saved.endsWith('\n') ? 'new' : 'saved'} text does not end with a newline`];
  }
  // Hunks: runs of changes with CONTEXT lines around them, merged when their context touches.
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const last = hunks[hunks.length - 1];
    if (last && k - CONTEXT <= last[1] + CONTEXT + 1) last[1] = k;
    else hunks.push([k, k]);
  }
  const out = ['--- saved', '+++ new'];
  for (const [first, last] of hunks) {
    const slice = ops.slice(Math.max(0, first - CONTEXT), Math.min(ops.length, last + CONTEXT + 1));
    const count = (mark: '-' | '+'): number =>
      slice.filter((op) => op.mark === ' ' || op.mark === mark).length;
    const start = (line: number, n: number): number => (n === 0 ? line : line + 1);
    const [s, n] = [slice[0].savedLine, slice[0].newLine];
    out.push(`@@ -${start(s, count('-'))},${count('-')} +${start(n, count('+'))},${count('+')} @@`);
    out.push(...slice.map((op) => `${op.mark}${op.text}`));
  }
  if (out.length <= MAX_LINES) return out;
  return [...out.slice(0, MAX_LINES), `… (${out.length - MAX_LINES} more diff lines)`];
}
