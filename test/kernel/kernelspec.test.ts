/** The d2l-ts kernelspec: Jupyter's data-dir rules, install/uninstall, and Jupyter itself finding it. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli';
import { renderLogo } from '../../src/logo';
import { venvMissing, VENV_PYTHON } from '../support/jupyter-venv';
import {
  installKernelSpec,
  KERNEL_V8_FLAGS,
  jupyterDataDir,
  kernelsDir,
  LOGO_DIR,
  LOGO_FILES,
  uninstallKernelSpec,
  type Environment,
} from '../../src/kernelspec';

const HOME = '/home/learner';
const linux = (env: NodeJS.ProcessEnv = {}): Environment => ({ env, platform: 'linux', home: HOME });

describe('jupyterDataDir (jupyter_core.paths.jupyter_data_dir)', () => {
  it('prefers JUPYTER_DATA_DIR, then XDG_DATA_HOME, then ~/.local/share on Linux', () => {
    expect(jupyterDataDir(linux({ JUPYTER_DATA_DIR: '/x', XDG_DATA_HOME: '/y' }))).toBe('/x');
    expect(jupyterDataDir(linux({ XDG_DATA_HOME: '/y' }))).toBe('/y/jupyter');
    expect(jupyterDataDir(linux())).toBe(`${HOME}/.local/share/jupyter`);
  });

  it('uses ~/Library/Jupyter on macOS and %APPDATA%\\jupyter on Windows', () => {
    expect(jupyterDataDir({ env: {}, platform: 'darwin', home: HOME })).toBe(`${HOME}/Library/Jupyter`);
    expect(jupyterDataDir({ env: { APPDATA: '/appdata' }, platform: 'win32', home: HOME })).toBe(
      path.join('/appdata', 'jupyter'),
    );
  });

  it('puts --prefix kernels under <prefix>/share/jupyter/kernels', () => {
    expect(kernelsDir({ prefix: '/opt/env' }, linux())).toBe('/opt/env/share/jupyter/kernels');
    expect(() => kernelsDir({ prefix: '' }, linux())).toThrow(/prefix: expected a directory path/);
  });
});

describe('install and uninstall', () => {
  let dataDir: string;
  let environment: Environment;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-ts-jupyter-data-'));
    environment = linux({ JUPYTER_DATA_DIR: dataDir });
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('writes kernel.json with absolute paths to this Node and this project’s tslab, and removes it', () => {
    const dir = installKernelSpec({ user: true }, environment);
    expect(dir).toBe(path.join(dataDir, 'kernels', 'd2l-ts'));
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8'));
    expect(spec).toMatchObject({
      display_name: 'TypeScript (d2l-ts)',
      language: 'typescript',
      interrupt_mode: 'signal',
    });
    expect(spec.argv[0]).toBe(process.execPath);
    const [flags, rest] = [
      spec.argv.slice(1, 1 + KERNEL_V8_FLAGS.length),
      spec.argv.slice(1 + KERNEL_V8_FLAGS.length),
    ];
    expect(flags).toEqual(KERNEL_V8_FLAGS);
    expect(rest.slice(0, 2)).toEqual([
      '--require',
      path.resolve(__dirname, '../..', 'src', 'kernel', 'preload.js'),
    ]);
    expect(fs.existsSync(rest[1])).toBe(true);
    expect(rest[2]).toBe(path.resolve(__dirname, '../..', 'node_modules', 'tslab', 'bin', 'tslab'));
    expect(fs.existsSync(rest[2])).toBe(true);
    expect(rest.slice(3)).toEqual(['kernel', '--config-path', '{connection_file}']);

    // The logos, at the sizes Jupyter asks for (a PNG's IHDR holds width and height).
    expect(fs.readdirSync(dir).sort()).toEqual(['kernel.json', ...LOGO_FILES].sort());
    for (const size of [32, 64]) {
      const png = fs.readFileSync(path.join(dir, `logo-${size}x${size}.png`));
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    }
    expect(fs.readFileSync(path.join(dir, 'logo-svg.svg'), 'utf8')).toMatch(/^<svg /);

    expect(uninstallKernelSpec({ user: true }, environment)).toBe(dir);
    expect(fs.existsSync(dir)).toBe(false);
    expect(uninstallKernelSpec({ user: true }, environment)).toBeNull();
  });

  it('cli kernel install|uninstall --prefix', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const file = path.join(dataDir, 'share', 'jupyter', 'kernels', 'd2l-ts', 'kernel.json');
      expect(await main(['kernel', 'install', '--prefix', dataDir])).toBe(0);
      expect(fs.existsSync(file)).toBe(true);
      expect(await main(['kernel', 'uninstall', '--prefix', dataDir])).toBe(0);
      expect(fs.existsSync(file)).toBe(false);
      expect(await main(['kernel', 'uninstall', '--prefix', dataDir])).toBe(1);
      expect(error).toHaveBeenCalledWith(
        `kernelspec d2l-ts is not installed in ${path.dirname(path.dirname(file))}; nothing removed`,
      );
      expect(await main(['kernel', 'reinstall'])).toBe(2);
      expect(error).toHaveBeenCalledWith("error: kernel: expected 'install' or 'uninstall', got 'reinstall'");
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });

  it('ships the PNG logos rendered from the SVG (npx tsx src/logo.ts renders them)', () => {
    for (const size of [32, 64]) {
      expect(renderLogo(size).equals(fs.readFileSync(path.join(LOGO_DIR, `logo-${size}x${size}.png`)))).toBe(
        true,
      );
    }
  });

  // Jupyter's own lookup (jupyter_client's KernelSpecManager), in the pinned venv.
  const missing = venvMissing();
  const jupyterIt = missing ? it.skip : it;
  const why = missing ? ` (skipped: ${missing})` : '';
  const python = VENV_PYTHON;
  jupyterIt(`is found by Jupyter's KernelSpecManager with JUPYTER_DATA_DIR set${why}`, () => {
    const dir = installKernelSpec({ user: true }, environment);
    const found = spawnSync(
      python,
      [
        '-c',
        'import json; from jupyter_client.kernelspec import KernelSpecManager as K; print(json.dumps(K().find_kernel_specs()))',
      ],
      { env: { ...process.env, JUPYTER_DATA_DIR: dataDir }, encoding: 'utf8' },
    );
    expect(found.status).toBe(0);
    expect(JSON.parse(found.stdout)['d2l-ts']).toBe(dir);
  });
});
