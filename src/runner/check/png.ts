/**
 * PNGs compared by their pixels, as pytest-mpl compares images: the RMS of the difference of every
 * channel value (0–255) against a tolerance, so a re-render whose anti-aliasing or font hinting moved a
 * few edge pixels passes and a plot that changed fails. Also where the pixels changed, for the report.
 */
import { PNG } from 'pngjs';

export interface PixelComparison {
  /** RMS of the channel differences (0–255, RGBA, transparent pixels composited on white first). */
  rms: number;
  width: number;
  height: number;
  /** Pixels whose colour changed visibly (some channel by more than CHANGED), and their bounding box. */
  changed: number;
  box: { left: number; top: number; right: number; bottom: number } | null;
}

/** A channel difference that counts as a changed pixel in the report (a quarter of the range). */
const CHANGED = 64;

/** Decodes a base64 PNG to RGBA; throws when it is not one. */
export function decodePng(base64: string): PNG {
  return PNG.sync.read(Buffer.from(base64, 'base64'));
}

/** RGB composited on white (alpha dropped), so a transparent and a white background compare equal. */
function onWhite(png: PNG, i: number, channel: number): number {
  const alpha = png.data[i + 3] / 255;
  return png.data[i + channel] * alpha + 255 * (1 - alpha);
}

/** Compares two decoded images; null when their sizes differ (they are then different pictures). */
export function comparePixels(saved: PNG, image: PNG): PixelComparison | null {
  if (saved.width !== image.width || saved.height !== image.height) return null;
  const { width, height } = saved;
  let sum = 0;
  let changed = 0;
  let box: PixelComparison['box'] = null;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      let worst = 0;
      for (let c = 0; c < 3; c++) {
        const d = onWhite(image, i, c) - onWhite(saved, i, c);
        sum += d * d;
        worst = Math.max(worst, Math.abs(d));
      }
      if (worst > CHANGED) {
        changed++;
        box = box
          ? {
              left: Math.min(box.left, x),
              top: Math.min(box.top, y),
              right: Math.max(box.right, x),
              bottom: Math.max(box.bottom, y),
            }
          : { left: x, top: y, right: x, bottom: y };
      }
    }
  }
  return { rms: Math.sqrt(sum / (width * height * 3)), width, height, changed, box };
}
