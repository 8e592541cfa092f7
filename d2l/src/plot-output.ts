/**
 * Where a figure goes: the running tslab cell's output, as one display_data message, and PNG bytes.
 */
import * as path from 'path';
import * as zlib from 'zlib';

/** Shows a MIME bundle in the running cell's output. */
export type Display = (data: Record<string, unknown>, metadata: Record<string, unknown>) => void;

/**
 * The running tslab cell's display, or undefined outside a tslab cell.
 *
 * tslab's public `display` sends one MIME type per message, and a front end would draw each. The
 * whole bundle goes in one message through `lastWriteDisplayData`, which tslab's `jupyter` module sets
 * for the running cell: internal API, so when it is gone we fall back to the public `display.png`. The
 * modules are looked up in `require.cache` to find the copy of tslab the kernel itself loaded.
 */
export function kernelDisplay(): Display | undefined {
  const loaded = (file: string): Array<Record<string, unknown> | undefined> =>
    Object.keys(require.cache)
      .filter((key) => key.endsWith(path.join('tslab', 'dist', file)))
      .map((key) => require.cache[key]?.exports);
  const jupyter = loaded('jupyter.js');
  const write = jupyter.map((j) => j?.lastWriteDisplayData).find((f) => typeof f === 'function');
  if (typeof write === 'function') {
    return (data, metadata) => write({ data, metadata, transient: {} }, false);
  }
  if (jupyter.length === 0 || jupyter.some((j) => j !== undefined && 'lastWriteDisplayData' in j)) {
    return undefined; // no tslab, or no cell running
  }
  const display = loaded('public.js').map((p) => p?.display as { png?: (b: Uint8Array) => void } | undefined);
  const png = display.find((d) => typeof d?.png === 'function');
  return png && ((data) => png.png?.(Buffer.from(String(data['image/png']), 'base64')));
}

/** RGBA pixels as a PNG, deflated at zlib's best compression (about 40 % smaller than resvg's own). */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const rows = Buffer.alloc((4 * width + 1) * height); // each row: filter type 0, then its pixels
  for (let r = 0; r < height; r++)
    rows.set(rgba.subarray(4 * width * r, 4 * width * (r + 1)), r * (4 * width + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = zlib.deflateSync(rows, { level: 9 });
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
