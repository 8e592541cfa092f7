/**
 * Vega-lite (and vega) outputs compared as specs rather than as text: everything exactly (marks,
 * encodings, titles, scale types, sizes), except the data, whose numbers are compared with the numeric
 * tolerance. Data are the values under `data` and `datasets` (inline, or a JSON string of them) and the
 * scale domains, which d2l's plots compute from the data.
 */
import { JsonNumber } from '../nbjson';
import { close, tokenize, type Tolerance } from './numbers';

/** Differences listed per spec at most; the rest is counted. */
const MAX_DIFFERENCES = 12;
/** Numbers outside the tolerance shown per data string. */
const MAX_NUMBERS = 5;

const TOLERANT_KEYS = new Set(['data', 'datasets', 'domain']);

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

const numberOf = (value: unknown): number | null =>
  typeof value === 'number' ? value : value instanceof JsonNumber ? value.valueOf() : null;

/**
 * One unit of a number literal's last digit (`0.0001538` → 1e-7, `154` → 1). Plot data are rounded
 * when the plot is made (d2l stores 4 significant digits, or steps of the axis), so a value within the
 * tolerance can still round the other way: plot data may differ by this much more.
 */
export function lastDigit(literal: string): number {
  const match = /^[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(literal);
  if (!match) return 0;
  return 10 ** (Number(match[3] ?? 0) - (match[2]?.length ?? 0));
}

/** The numbers of a data string outside the tolerance, or a reason the text around them differs. */
function compareDataString(saved: string, text: string, tolerance: Tolerance): string | null {
  if (saved === text) return null;
  const a = tokenize(saved);
  const b = tokenize(text);
  if (a.skeleton !== b.skeleton || a.numbers.length !== b.numbers.length) {
    return `${a.numbers.length} numbers → ${b.numbers.length}, or the text around them changed`;
  }
  const outside = b.numbers
    .map((n, i) => ({ i, saved: a.numbers[i], value: n.value }))
    .filter(({ saved: s, value }) => {
      const unit = lastDigit(saved.slice(s.start, s.end));
      return !close(s.value, value, { ...tolerance, atol: tolerance.atol + unit });
    })
    .map(({ saved: s, value }) => ({ saved: s.value, value }));
  if (outside.length === 0) return null;
  const listed = outside.slice(0, MAX_NUMBERS).map((n) => `${n.saved} → ${n.value}`);
  const more = outside.length > MAX_NUMBERS ? ', …' : '';
  return `${outside.length} of ${b.numbers.length} numbers outside the tolerance: ${listed.join(', ')}${more}`;
}

/** Lines naming each difference by its JSON path, `saved → new`; empty when the specs match. */
export function compareSpecs(saved: unknown, spec: unknown, tolerance: Tolerance): string[] {
  const found: string[] = [];
  const walk = (a: unknown, b: unknown, path: string, tolerant: boolean): void => {
    const [x, y] = [numberOf(a), numberOf(b)];
    if (x !== null && y !== null) {
      if (tolerant ? !close(x, y, tolerance) : x !== y) found.push(`${path}: ${x} → ${y}`);
      return;
    }
    if (typeof a === 'string' && typeof b === 'string') {
      const why = tolerant ? compareDataString(a, b, tolerance) : a === b ? null : `${show(a)} → ${show(b)}`;
      if (why) found.push(`${path}: ${why}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) found.push(`${path}: ${a.length} items → ${b.length}`);
      else a.forEach((item, i) => walk(item, b[i], `${path}/${i}`, tolerant));
      return;
    }
    const isObject = (v: unknown): v is Record<string, unknown> =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber);
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        const at = `${path}/${key}`;
        if (!(key in b)) found.push(`${at}: missing (was ${show(a[key])})`);
        else if (!(key in a)) found.push(`${at}: new (${show(b[key])})`);
        else walk(a[key], b[key], at, tolerant || TOLERANT_KEYS.has(key));
      }
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) found.push(`${path || '/'}: ${show(a)} → ${show(b)}`);
  };
  walk(saved, spec, '', false);
  if (found.length <= MAX_DIFFERENCES) return found;
  return [...found.slice(0, MAX_DIFFERENCES), `… ${found.length - MAX_DIFFERENCES} more differences`];
}
