/**
 * `npm run screenshot`: the README's picture, docs/images/jupyterlab-3.2.png, made as the e2e tests run
 * a lesson: section 3.2 served by the pinned JupyterLab (.ci/jupyter-venv), Restart Kernel and Run All
 * Cells in Debian's headless Chromium, then a screenshot of JupyterLab with the training cell, its code,
 * printed losses and live training plot. Run it again when the lesson changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchChromium, loopbackOnlyContext } from './support/browser';
import { makeJupyterDirs, removeJupyterDirs, startJupyterServer } from './support/jupyter';
import { openNotebook, restartAndRunAll, selectCell } from './support/lab-ui';
import { ARTIFACTS_DIR, PROJECT_ROOT } from './support/paths';
import { readNotebook } from '../../src/runner/notebook';

const NOTEBOOK = 'notebooks/3.2-linear-regression-scratch.ipynb';
const OUT = path.join(PROJECT_ROOT, 'docs/images/jupyterlab-3.2.png');
const LIMIT = 200 * 1024; // bytes: the README's picture stays small
const VIEWPORT = { width: 1100, height: 1000 };

async function main(): Promise<void> {
  // Served from inside the project: the kernel finds d2l in node_modules up the tree.
  const served = path.join(ARTIFACTS_DIR, 'screenshot');
  fs.mkdirSync(served, { recursive: true });
  const file = path.basename(NOTEBOOK);
  fs.copyFileSync(path.join(PROJECT_ROOT, NOTEBOOK), path.join(served, file));
  const training = readNotebook(NOTEBOOK).cells.findIndex(
    (c) => c.cell_type === 'code' && c.source.includes('new d2l.Animator'),
  );
  if (training < 0) throw new Error(`${NOTEBOOK} has no cell drawing with d2l.Animator`);

  const dirs = makeJupyterDirs();
  const server = await startJupyterServer({
    dirs,
    notebookDir: served,
    logFile: path.join(ARTIFACTS_DIR, 'screenshot-server.log'),
  });
  const browser = await launchChromium();
  try {
    const { context } = await loopbackOnlyContext(browser);
    const page = await context.newPage();
    await page.setViewportSize(VIEWPORT);
    await openNotebook(page, server.notebookUrl(file, 'lab'));
    // The file browser folded away: the lesson gets the width.
    await page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current').click();
    await restartAndRunAll(page, 5 * 60_000);
    const cell = page.locator('.jp-Notebook .jp-Cell').nth(training);
    await cell.evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await selectCell(page, training); // the toolbar then shows a code cell's
    await page.waitForTimeout(500); // JupyterLab lays out again after a scroll
    const box = await cell.boundingBox();
    if (box === null) throw new Error('the training cell is not on the page');
    const height = Math.min(Math.ceil(box.y + box.height) + 8, VIEWPORT.height);
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT, clip: { x: 0, y: 0, width: VIEWPORT.width, height } });
  } finally {
    await browser.close();
    await server.stop();
    removeJupyterDirs(dirs);
  }
  const size = fs.statSync(OUT).size;
  console.log(`${path.relative(PROJECT_ROOT, OUT)}: ${Math.round(size / 1024)} KB`);
  if (size > LIMIT) throw new Error(`the picture is over ${LIMIT / 1024} KB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
