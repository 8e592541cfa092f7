/**
 * Sanitizers: regex replacements applied to saved and new text alike before they are compared. A file in
 * nbval's format (`--sanitize-with FILE`, read by Python's configparser there): sections, each with a
 * `regex:` and a `replace:` line; `#` and `;` start comments. Python's group references in the
 * replacement (`\1`, `\g<1>`, `\g<name>`) work too.
 */
import * as fs from 'node:fs';

export interface Sanitizer {
  regex: RegExp;
  replace: string;
}

/**
 * What is never reproducible here, replaced on both sides before any comparison: durations (d2l's
 * Timer lines, in English and Chinese), the speed ratio the Timer lines print, and the backend's name
 * (`backend: tensorflow` on native, `backend: wasm` on wasm).
 */
export const BUILT_IN_SANITIZERS: readonly Sanitizer[] = [
  { regex: /\d+(?:\.\d+)?(?:e[-+]?\d+)? ?(?:sec|s|ms|µs|us|ns|min|秒|毫秒)(?![\w])/g, replace: '<duration>' },
  { regex: /\d+(?:\.\d+)?(?:×| ?倍)/g, replace: '<ratio>×' },
  {
    regex: /(backend:? *|后端[：:] *)(?:tensorflow|wasm|cpu|webgl)\b/g,
    replace: '$1<backend>',
  },
  { regex: /\b(?:tensorflow|wasm|cpu|webgl)( *(?:backend|后端))/g, replace: '<backend>$1' },
];

export function sanitize(text: string, sanitizers: readonly Sanitizer[]): string {
  return sanitizers.reduce((t, s) => t.replace(s.regex, s.replace), text);
}

/** Python's `re.sub` replacement syntax in JavaScript's: `\1` and `\g<1>` → `$1`, `\g<name>` → `$<name>`. */
function replacement(python: string): string {
  return python
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>|\\(\d+)/g, (_, a: string | undefined, b: string | undefined) => `$${a ?? b}`)
    .replace(/\\g<(\w+)>/g, '$<$1>')
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\\\/g, '\\');
}

/** Parses nbval's sanitizer format; throws naming the file and line on anything else. */
export function parseSanitizers(text: string, file = 'sanitizers'): Sanitizer[] {
  const sanitizers: Sanitizer[] = [];
  let pending: { regex: RegExp; line: number } | null = null;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (/^\[.*\]$/.test(line)) {
      if (pending) throw new Error(`${file}:${pending.line}: regex without a replace line`);
      return;
    }
    const pair = /^(regex|replace)\s*[:=]\s?(.*)$/.exec(raw.trimStart());
    if (!pair) throw new Error(`${file}:${i + 1}: expected 'regex: …' or 'replace: …', got '${line}'`);
    const [, key, value] = pair;
    if (key === 'regex') {
      if (pending) throw new Error(`${file}:${pending.line}: regex without a replace line`);
      try {
        pending = { regex: new RegExp(value.trimEnd(), 'g'), line: i + 1 };
      } catch (error) {
        throw new Error(`${file}:${i + 1}: invalid regex (${(error as Error).message})`);
      }
    } else {
      if (!pending) throw new Error(`${file}:${i + 1}: replace without a regex line before it`);
      sanitizers.push({ regex: pending.regex, replace: replacement(value.trimEnd()) });
      pending = null;
    }
  });
  if (pending) throw new Error(`${file}:${(pending as { line: number }).line}: regex without a replace line`);
  return sanitizers;
}

export function readSanitizers(file: string): Sanitizer[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `--sanitize-with: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  return parseSanitizers(text, file);
}
