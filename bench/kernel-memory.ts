/**
 * What the d2l-ts kernel's resident memory is after the 3.2 lesson: `tsx bench/kernel-memory.ts`.
 * Runs notebooks/3.2-… in a fresh kernel (the runner's KernelClient, as the bench does), then prints
 * the kernel's /proc/PID/smaps grouped by mapping (libtensorflow's text, the anonymous memory, node
 * itself, ...), and, from a cell after a full GC, process.memoryUsage(), V8's heap spaces and the
 * packages loaded (is the wasm backend there, more than one tfjs-core?). `--parts` then measures the
 * two halves alone, each in a fresh node: the libraries running the lesson without TypeScript
 * (tfjs-node, d2l, a plot, the training loop with an Animator), and TypeScript alone (tslab's converter
 * fed the lesson's cells, converted and checked but not run). Not a benchmark: one run, for the
 * breakdown in issue 28. (A V8 heap snapshot of the kernel did not finish in 20 minutes on the busy
 * 2-core machine, hence the parts measured apart.)
 */
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { kernelSpec } from '../src/kernelspec';
import { KernelClient } from '../src/runner/kernel';
import type { Message } from '../src/runner/wire';
import { LESSON_NOTEBOOK, procStatusMB, typescriptLesson } from './kernel-lesson';

interface Mapping {
  name: string;
  rss: number;
  privateKB: number;
}

/** /proc/PID/smaps: resident kB by mapping (file basename, [heap], [anon], ...), largest first. */
export function smapsByMapping(text: string): Mapping[] {
  const by = new Map<string, Mapping>();
  let current: Mapping | undefined;
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (header) {
      const file = header[1].trim();
      const name = file === '' ? '[anon]' : file.startsWith('[') ? file : path.basename(file);
      current = by.get(name) ?? { name, rss: 0, privateKB: 0 };
      by.set(name, current);
      continue;
    }
    const field = /^(Rss|Private_Clean|Private_Dirty):\s+(\d+) kB/.exec(line);
    if (field && current) {
      if (field[1] === 'Rss') current.rss += Number(field[2]);
      else current.privateKB += Number(field[2]);
    }
  }
  return [...by.values()].sort((a, b) => b.rss - a.rss);
}

/** What the cell prints: packages loaded, process.memoryUsage() and heap spaces after a full GC. */
const INSPECT = `{
  const v8 = require('v8');
  v8.setFlagsFromString('--expose-gc');
  require('vm').runInNewContext('gc')();
  const packages = new Map<string, number>();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file.split('node_modules/').slice(-2).join('node_modules/'));
    const key = m ? m[1] + (file.includes('/node_modules/' + m[1] + '/node_modules/') ? ' (nested)' : '') : '(project)';
    packages.set(key, (packages.get(key) ?? 0) + 1);
  }
  const copies = Object.keys(require.cache).filter((f) => /tfjs-core\\/dist\\/(tf-core\\.node\\.js|index\\.js)$/.test(f));
  const mb = (x: number) => Math.round(x / 2 ** 20);
  const usage = Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)]));
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s: { space_name: string; space_used_size: number }) => [s.space_name, mb(s.space_used_size)]));
  console.log(JSON.stringify({ usage, spaces, packages: Object.fromEntries([...packages].sort()), tfjsCoreCopies: copies, backend: tf.getBackend() }));
}`;

async function main(): Promise<void> {
  const kernel = await KernelClient.start({ argv: kernelSpec().argv, cwd: path.dirname(LESSON_NOTEBOOK) });
  const run = async (code: string): Promise<string> => {
    const out: string[] = [];
    const outcome = await kernel.execute(code, {
      timeout: 300,
      onIopub: (m: Message) => {
        const c = m.content as { text?: string; ename?: string; evalue?: string };
        if (m.header.msg_type === 'stream') out.push(String(c.text));
        if (m.header.msg_type === 'error') out.push(`${c.ename}: ${c.evalue}`);
      },
    });
    if (outcome.status !== 'ok') throw new Error(`cell ended ${outcome.status}: ${out.join('')}\n${code}`);
    return out.join('');
  };
  try {
    const mb = (): string => `${procStatusMB(kernel.pid, 'VmRSS').toFixed(0)} MB`;
    console.log(`after kernel_info_reply: ${mb()}`);
    for (const [i, cell] of typescriptLesson().entries()) {
      await run(cell.code);
      if (i === 0) console.log(`after the first cell: ${mb()}`);
    }
    console.log(`after the lesson: VmRSS ${mb()}, VmHWM ${procStatusMB(kernel.pid, 'VmHWM').toFixed(0)} MB`);
    const mappings = smapsByMapping(fs.readFileSync(`/proc/${kernel.pid}/smaps`, 'utf8'));
    console.log('\nsmaps, resident MB by mapping (private MB):');
    for (const m of mappings.slice(0, 25)) {
      console.log(
        `  ${(m.rss / 1024).toFixed(1).padStart(7)} (${(m.privateKB / 1024).toFixed(1)})  ${m.name}`,
      );
    }
    const total = mappings.reduce((s, m) => s + m.rss, 0);
    console.log(`  total ${(total / 1024).toFixed(0)} MB`);
    console.log('\nfrom a cell, after a full GC:');
    console.log((await run(INSPECT)).trim());
    console.log(`after the GC: ${mb()}`);
  } finally {
    await kernel.shutdown();
  }
}

/** Stages of one fresh node, printed as it goes: VmRSS, its anonymous part, V8's heap after a full GC. */
const STAGE = `
const v8 = require('v8'); v8.setFlagsFromString('--expose-gc'); const gc = require('vm').runInNewContext('gc');
const fs = require('fs');
function stage(name) {
  gc(); gc();
  const st = fs.readFileSync('/proc/self/status', 'utf8');
  const mb = (k) => (+new RegExp('^' + k + ':\\\\s+(\\\\d+)', 'm').exec(st)[1] / 1024).toFixed(0);
  const m = process.memoryUsage();
  console.log('  ' + name + ': VmRSS ' + mb('VmRSS') + ' MB (anon ' + mb('RssAnon') + ', file ' + mb('RssFile') +
    '), V8 heap used ' + (m.heapUsed / 2 ** 20).toFixed(0) + ' of ' + (m.heapTotal / 2 ** 20).toFixed(0) + ' MB');
}
stage('node');
`;

const LIBRARIES = `${STAGE}
(async () => {
  const tf = require('@tensorflow/tfjs-node');
  stage('require @tensorflow/tfjs-node');
  const d2l = require('d2l');
  await d2l.ready();
  stage('d2l (tfjs, vega, vega-lite) and ready()');
  const features = tf.randomNormal([1000, 2]), labels = tf.randomNormal([1000, 1]);
  d2l.plot(features.slice([0, 1], [-1, 1]), labels, { xlabel: 'x', ylabel: 'y', fmts: ['.'] });
  const w = tf.variable(tf.randomNormal([2, 1], 0, 0.01)), b = tf.variable(tf.zeros([1]));
  const animator = new d2l.Animator({ xlabel: 'epoch', ylabel: 'loss', yscale: 'log', xlim: [0, 3] });
  for (let epoch = 0; epoch < 3; epoch++) {
    let i = 0;
    for (const [X, y] of d2l.data_iter(10, features, labels)) {
      const l = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => d2l.squared_loss(d2l.linreg(X, w, b), y).sum());
        d2l.sgd([w, b], grads, 0.03, 10);
        return value.dataSync()[0] / 10;
      });
      if (++i % 5 === 0) await animator.add(epoch + i / 100, l);
    }
  }
  await new Promise((r) => setTimeout(r, 1000));
  stage('after a plot and the training loop with an Animator');
})();
`;

const TYPESCRIPT = `${STAGE}
const { createConverter } = require('tslab/dist/converter');
stage('TypeScript and tslab loaded');
const conv = createConverter({ isJS: false, isBrowser: false });
stage("tslab's converter created");
let prev = '';
for (const [i, src] of JSON.parse(process.argv[1]).entries()) {
  const r = conv.convert(prev, src);
  if (r.diagnostics.length > 0) throw new Error(r.diagnostics[0].messageText);
  prev = r.declOutput || '';
  if (i === 0) stage('the first cell converted');
}
stage('the lesson converted');
for (let i = 0; i < 33; i++) prev = conv.convert(prev, ['1 + ' + i, 'const c_' + i + ' = ' + i, 'tf.add(true_w, ' + i + ').dispose()'][i % 3]).declOutput || prev;
stage('33 one-line cells more');
process.exit(0);
`;

function parts(): void {
  const cwd = path.dirname(LESSON_NOTEBOOK);
  console.log('\nthe libraries running the lesson, without TypeScript:');
  execFileSync(process.execPath, ['-e', LIBRARIES], { cwd, stdio: ['ignore', 'inherit', 'ignore'] });
  console.log("\nTypeScript alone (tslab's converter, the lesson converted, not run):");
  const cells = JSON.stringify(typescriptLesson().map((c) => c.code));
  execFileSync(process.execPath, ['-e', TYPESCRIPT, cells], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

if (require.main === module) {
  main()
    .then(() => {
      if (process.argv.includes('--parts')) parts();
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
