/**
 * Renders the kernel's logo (src/kernel-logo/logo-svg.svg, shapes only, no fonts) to the 32×32 and
 * 64×64 PNGs Jupyter's launcher shows: `npx tsx src/logo.ts` after editing the SVG. test/kernel/kernelspec.test.ts
 * fails when the committed PNGs are not this rendering.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOGO_DIR } from './kernelspec';

/** The PNG of the SVG logo at `size`×`size` pixels. Needs the optional @resvg/resvg-js. */
export function renderLogo(size: number): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const svg = fs.readFileSync(path.join(LOGO_DIR, 'logo-svg.svg'));
  return new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } })
    .render()
    .asPng();
}

if (require.main === module) {
  for (const size of [32, 64]) {
    const file = path.join(LOGO_DIR, `logo-${size}x${size}.png`);
    fs.writeFileSync(file, renderLogo(size));
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
