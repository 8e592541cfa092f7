/**
 * JSON read and written exactly as Jupyter's nbformat does (Python's `json.loads`, then
 * `json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)`), so a notebook saved by the runner
 * and the same notebook saved by JupyterLab are the same bytes.
 *
 * The differences from JSON.parse / JSON.stringify are all in numbers. Python keeps integers and floats
 * apart and writes floats as `repr` does: `1e-09`, `1.045344e-06`, `1.0`, `-0.0`, `1e+16`, where
 * JavaScript writes `1e-9`, `0.000001045344`, `1`, `0`, `10000000000000000`; and Python's integers have
 * no size limit. So `parseJson` keeps, as a {@link JsonNumber}, every number literal that a JavaScript
 * number would not write back the same; all other numbers become plain numbers.
 */

/** A number literal that a JavaScript number cannot carry: a float with an integral value, or a big int. */
export class JsonNumber {
  /** The literal as Python writes it (see {@link pythonNumber}). */
  readonly text: string;
  constructor(literal: string) {
    this.text = pythonNumber(literal);
  }
  valueOf(): number {
    return Number(this.text);
  }
  toJSON(): number {
    return this.valueOf();
  }
}

const NON_FINITE: Record<string, string> = { NaN: 'NaN', Infinity: 'Infinity', '-Infinity': '-Infinity' };

/**
 * A JSON number literal as Python's json.loads then json.dumps write it: an integer literal stays the
 * same integer (`-0` is `0`); any other literal becomes a float, written as `repr(float)`: the shortest
 * digits that read back the same, in positional notation for exponents from -4 to 15 (with `.0` when
 * integral) and as `d.ddde±XX` otherwise.
 */
export function pythonNumber(literal: string): string {
  if (literal in NON_FINITE) return NON_FINITE[literal];
  if (/^-?\d+$/.test(literal)) return literal === '-0' ? '0' : literal.replace(/^(-?)0+(?=\d)/, '$1');
  const value = Number(literal);
  if (Number.isNaN(value)) throw new SyntaxError(`not a JSON number: ${literal}`);
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (value === 0) return `${sign}0.0`;
  // toExponential() without an argument gives the shortest digits that round-trip, as repr does.
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1; // the value is 0.<digits> × 10^point
  if (point <= -4 || point > 16) {
    const e = point - 1;
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${rest}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** How a JavaScript number reaches Jupyter: as JSON.stringify writes it, read by Python. */
function jsNumber(value: number): string {
  return Number.isFinite(value) ? pythonNumber(JSON.stringify(value)) : 'null';
}

/** JSON.parse, except that number literals JavaScript would change on writing become JsonNumbers. */
export function parseJson(text: string): unknown {
  let at = 0;
  const fail = (what: string): never => {
    const line = text.slice(0, at).split('\n').length;
    throw new SyntaxError(`${what} at line ${line} (offset ${at})`);
  };
  const space = (): void => {
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      at++;
    }
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity/y;

  const value = (): unknown => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const object: Record<string, unknown> = {};
      space();
      if (text[at] === '}') {
        at++;
        return object;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail('expected a string key');
        const key = string();
        space();
        if (text[at] !== ':') fail("expected ':'");
        at++;
        // defineProperty: a key named __proto__ is data, as in JSON.parse.
        Object.defineProperty(object, key, {
          value: value(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        space();
        if (text[at] === ',') at++;
        else if (text[at] === '}') {
          at++;
          return object;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      at++;
      const array: unknown[] = [];
      space();
      if (text[at] === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(value());
        space();
        if (text[at] === ',') at++;
        else if (text[at] === ']') {
          at++;
          return array;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [word, result] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return result;
      }
    }
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (!match) return fail('unexpected character');
    at += match[0].length;
    const literal = match[0];
    const number = Number(literal);
    // A plain number when writing it back gives what Python writes for the literal.
    return Number.isFinite(number) && jsNumber(number) === pythonNumber(literal)
      ? number
      : new JsonNumber(literal);
  };

  /** A string token, unescaped by JSON.parse (fast, and exactly JSON's escapes). */
  const string = (): string => {
    let end = at + 1;
    for (;;) {
      end = text.indexOf('"', end);
      if (end < 0) fail('unterminated string');
      let backslashes = 0;
      while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
      end++;
    }
    const token = text.slice(at, end + 1);
    at = end + 1;
    try {
      return JSON.parse(token) as string;
    } catch {
      return fail('invalid string');
    }
  };

  const result = value();
  space();
  if (at < text.length) fail('unexpected text after the JSON value');
  return result;
}

/** Python's sort_keys order: by code point (JavaScript's sort compares UTF-16 code units). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  }
  return x.length - y.length;
}

/** Only surrogate pairs sort differently by code unit and by code point. */
const SURROGATE = /[\ud800-\udfff]/;

/**
 * json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False) for JSON values, JsonNumbers and JS
 * numbers (written as Jupyter stores what a kernel sends). Like JSON.stringify, it skips undefined and
 * functions in objects and throws on a BigInt.
 */
export function stringifyJson(value: unknown): string {
  const parts: string[] = [];
  const write = (v: unknown, indent: string): boolean => {
    if (v === null) parts.push('null');
    else if (v instanceof JsonNumber) parts.push(v.text);
    else if (typeof v === 'number') parts.push(jsNumber(v));
    else if (typeof v === 'string') parts.push(JSON.stringify(v));
    else if (typeof v === 'boolean') parts.push(v ? 'true' : 'false');
    else if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
    else if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return false;
    else if (Array.isArray(v)) {
      if (v.length === 0) parts.push('[]');
      else {
        const inner = `${indent} `;
        parts.push('[');
        v.forEach((item, i) => {
          parts.push(i === 0 ? `\n${inner}` : `,\n${inner}`);
          if (!write(item, inner)) parts.push('null');
        });
        parts.push(`\n${indent}]`);
      }
    } else {
      const object = v as Record<string, unknown>;
      const keys = Object.keys(object).filter((key) => {
        const item = object[key];
        return item !== undefined && typeof item !== 'function' && typeof item !== 'symbol';
      });
      const sorted = keys.some((key) => SURROGATE.test(key)) ? keys.sort(byCodePoint) : keys.sort();
      if (sorted.length === 0) parts.push('{}');
      else {
        const inner = `${indent} `;
        parts.push('{');
        sorted.forEach((key, i) => {
          parts.push(i === 0 ? `\n${inner}` : `,\n${inner}`, JSON.stringify(key), ': ');
          write(object[key], inner);
        });
        parts.push(`\n${indent}}`);
      }
    }
    return true;
  };
  if (!write(value, '')) throw new TypeError('stringifyJson: nothing to write (undefined or a function)');
  return parts.join('');
}
