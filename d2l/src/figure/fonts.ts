/**
 * The fonts resvg needs for an SVG. resvg-js builds a new font database on every render, and loading
 * all the system's fonts costs 35–110 ms a figure here (most of a figure's PNG); the few files of the
 * families the SVG names cost about 1 ms. The system's font files are indexed by family once per
 * process (their `name` tables only), and a figure loads the files of the families it uses.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** resvg-js's font options. */
export interface FontOptions {
  loadSystemFonts: boolean;
  fontFiles?: string[];
}

const SYSTEM: FontOptions = { loadSystemFonts: true };
const GENERIC = new Set(['serif', 'sans-serif', 'monospace', 'cursive', 'fantasy', 'system-ui']);
// Characters every Latin font the figures name (DejaVu Sans, Helvetica, Arial) has: ASCII, Latin-1
// and the minus sign vega writes for negative numbers. Any other character might be missing from the
// font and drawn from another one, which resvg picks among all the fonts it loaded.
const COVERED = /^[\u0020-\u007e\u00a0-\u00ff\u2212]*$/;

/**
 * The font options that draw `svg` exactly as the system's fonts do: the files of the first installed
 * family of each `font-family` list, when every text element names its fonts and uses only characters
 * those fonts have; otherwise all the system's fonts.
 */
export function fontsFor(svg: string): FontOptions {
  const texts = [...svg.matchAll(/<text\b([^>]*)>([\s\S]*?)<\/text>/g)];
  if (texts.length === 0) return { loadSystemFonts: false };
  const files = new Set<string>();
  for (const [, attributes, content] of texts) {
    const list = /\bfont-family="([^"]*)"/.exec(attributes)?.[1];
    if (list === undefined || !COVERED.test(decode(content.replace(/<[^>]*>/g, '')))) return SYSTEM;
    const found = firstInstalled(decode(list));
    if (found === undefined) return SYSTEM;
    for (const file of found) files.add(file);
  }
  return { loadSystemFonts: false, fontFiles: [...files] };
}

/** The files of the first family in a CSS font list that is installed; undefined at a generic one. */
function firstInstalled(list: string): string[] | undefined {
  for (const name of list.split(',').map((f) => f.trim().replace(/^["']|["']$/g, ''))) {
    if (GENERIC.has(name.toLowerCase())) return undefined;
    const files = fontIndex().get(name.toLowerCase());
    if (files !== undefined) return files;
  }
  return undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string): string =>
  s.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(\w+));/gi, (m, hex?: string, dec?: string, name?: string) =>
    name !== undefined ? (ENTITIES[name] ?? m) : String.fromCodePoint(hex ? parseInt(hex, 16) : Number(dec)),
  );

let index: Map<string, string[]> | undefined;

/** Lower-cased family names (any language) to the font files holding a face of that family. */
export function fontIndex(): Map<string, string[]> {
  if (index !== undefined) return index;
  index = new Map();
  for (const file of fontFiles()) {
    let families: Set<string>;
    try {
      families = familiesOf(file);
    } catch {
      continue; // not a font we can read: resvg would skip it too
    }
    for (const family of families) {
      const files = index.get(family) ?? [];
      if (!files.includes(file)) index.set(family, [...files, file]);
    }
  }
  return index;
}

/**
 * The directories resvg's font database (fontdb) loads on this platform. On Linux it also reads the
 * folders fontconfig lists; a family found only there is not indexed here, and such a figure loads
 * all the system's fonts as before.
 */
function fontDirs(): string[] {
  const home = os.homedir();
  if (process.platform === 'darwin') {
    return [
      '/Library/Fonts',
      '/System/Library/Fonts',
      '/Network/Library/Fonts',
      path.join(home, 'Library/Fonts'),
    ];
  }
  if (process.platform === 'win32') {
    const windows = process.env.SYSTEMROOT ?? 'C:\\Windows';
    const local = process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local');
    return [path.join(windows, 'Fonts'), path.join(local, 'Microsoft', 'Windows', 'Fonts')];
  }
  const data = process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share');
  return ['/usr/share/fonts', '/usr/local/share/fonts', path.join(home, '.fonts'), path.join(data, 'fonts')];
}

function fontFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const file = path.join(dir, e.name);
      // Linked folders count too (depth-limited, so a link loop ends).
      const isDir = e.isDirectory() || (e.isSymbolicLink() && isDirectory(file));
      if (isDir && depth < 8) walk(file, depth + 1);
      else if (/\.(ttf|otf|ttc|otc)$/i.test(e.name)) out.push(file);
    }
  };
  for (const dir of fontDirs()) walk(dir, 0);
  return out;
}

const isDirectory = (file: string): boolean =>
  fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** The family names (name IDs 1 and 16) of every face in a TrueType/OpenType file or collection. */
function familiesOf(file: string): Set<string> {
  const fd = fs.openSync(file, 'r');
  try {
    const read = (at: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      if (fs.readSync(fd, buf, 0, length, at) !== length) throw new Error(`${file}: truncated`);
      return buf;
    };
    const head = read(0, 12);
    const collection = head.toString('latin1', 0, 4) === 'ttcf';
    const offsets = collection ? read(12, 4 * head.readUInt32BE(8)) : Buffer.alloc(4);
    const faces = Array.from({ length: offsets.length / 4 }, (_, i) => offsets.readUInt32BE(4 * i));
    const families = new Set<string>();
    for (const face of faces) {
      const numTables = read(face + 4, 2).readUInt16BE(0);
      const tables = read(face + 12, 16 * numTables);
      for (let t = 0; t < numTables; t++) {
        if (tables.toString('latin1', 16 * t, 16 * t + 4) !== 'name') continue;
        const name = read(tables.readUInt32BE(16 * t + 8), tables.readUInt32BE(16 * t + 12));
        const [count, strings] = [name.readUInt16BE(2), name.readUInt16BE(4)];
        for (let r = 0; r < count; r++) {
          const at = 6 + 12 * r;
          const [platform, nameId] = [name.readUInt16BE(at), name.readUInt16BE(at + 6)];
          if (nameId !== 1 && nameId !== 16) continue;
          const start = strings + name.readUInt16BE(at + 10);
          const bytes = name.subarray(start, start + name.readUInt16BE(at + 8));
          const text = platform === 1 ? bytes.toString('latin1') : utf16be(bytes);
          families.add(text.toLowerCase());
        }
      }
    }
    return families;
  } finally {
    fs.closeSync(fd);
  }
}

const utf16be = (bytes: Buffer): string => {
  const swapped = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return swapped.swap16().toString('utf16le');
};
