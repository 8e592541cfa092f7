/** A PNG encoder for RGBA pixels: smaller files than the rasteriser's own. */
import * as zlib from 'zlib';

/**
 * RGBA pixels as a PNG, deflated at zlib's default level. An image of at most 256 colours (a line
 * plot, whose anti-aliasing blends a few colours) is stored as palette indices, one byte a pixel, which
 * halves its size again; others as RGBA (smaller than resvg's own encoding either way). zlib's best
 * level would make the file 10–20 % smaller and take 5–10 times as long, most of a figure's time.
 */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.byteOffset % 4 !== 0) rgba = rgba.slice(); // read as 32-bit pixels below
  const colors = palette(rgba);
  const bytesPerPixel = colors ? 1 : 4;
  const stride = bytesPerPixel * width;
  const rows = Buffer.alloc((stride + 1) * height); // each row: filter type 0, then its pixels
  const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.length / 4);
  for (let r = 0; r < height; r++) {
    const start = r * (stride + 1) + 1;
    if (colors === undefined) rows.set(rgba.subarray(4 * width * r, 4 * width * (r + 1)), start);
    else {
      // Most pixels repeat the one before (the white background): look up only when one changes.
      let [last, index] = [-1, 0];
      for (let c = 0; c < width; c++) {
        const pixel = pixels[r * width + c];
        if (pixel !== last) [last, index] = [pixel, colors.get(pixel) ?? 0];
        rows[start + c] = index;
      }
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colors ? 3 : 6, 0, 0, 0], 8); // 8 bits per channel or index; indexed or RGBA
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = zlib.deflateSync(rows, { level: 6 });
  const entries = [...(colors?.keys() ?? [])].map((pixel) => new Uint8Array(new Uint32Array([pixel]).buffer));
  const rgb = Buffer.from(entries.flatMap(([r, g, b]) => [r, g, b]));
  const alpha = Buffer.from(entries.map((entry) => entry[3]));
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    ...(colors ? [chunk('PLTE', rgb)] : []),
    ...(colors && alpha.some((a) => a < 255) ? [chunk('tRNS', alpha)] : []),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Each colour's palette index (pixels as RGBA read into one number), or undefined past 256 colours. */
function palette(rgba: Uint8Array): Map<number, number> | undefined {
  const colors = new Map<number, number>();
  let last = -1;
  for (const pixel of new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.length / 4)) {
    if (pixel !== last && !colors.has(pixel)) {
      if (colors.size === 256) return undefined;
      colors.set(pixel, colors.size);
    }
    last = pixel;
  }
  return colors;
}

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  return c;
});

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
