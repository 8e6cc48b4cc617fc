import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
/** `cordon --help` from the installed package must start well under a second; generous for a loaded 2-core machine. */
const HELP_START_BOUND_MS = 1500;

/**
 * The installable package (package.json `files`, `bin`, `npm run build`):
 * packed, installed into an empty project (from npm's cache first), and run
 * there without TypeScript or tsx.
 */
describe('the npm package', () => {
  let work: string;
  let bin: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-pack-'));
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
    execFileSync('npm', ['pack', '--pack-destination', work], { cwd: ROOT, stdio: 'pipe' });
    const tarball = fs.readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no tarball in ${work}`);
    fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'cordon-install-test', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`], { cwd: work, stdio: 'pipe' });
    bin = path.join(work, 'node_modules', '.bin', 'cordon');
  }, 300_000);
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('ships the build, the runbooks and the bin, and no TypeScript sources or toolchain', () => {
    // Assess
    const installed = path.join(work, 'node_modules', 'cordon');
    expect(fs.existsSync(path.join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(fs.readdirSync(path.join(installed, 'runbooks')).some((f) => f.endsWith('.yaml') || f.endsWith('.yml'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(work, 'node_modules', 'typescript'))).toBe(false);
    expect(fs.existsSync(path.join(work, 'node_modules', 'tsx'))).toBe(false);
  });

  it('runs `cordon --help` and `--version` from the installed package, fast', () => {
    // Act: the first run warms the file cache; the second is measured.
    spawnSync(bin, ['--help'], { encoding: 'utf8' });
    const started = process.hrtime.bigint();
    const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    // Assess
    process.stdout.write(`cordon --help from the installed package: ${elapsedMs.toFixed(0)} ms\n`);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npx cordon <command> [options]');
    expect(version.stdout.trim()).toBe(
      `cordon ${(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`,
    );
    expect(elapsedMs).toBeLessThan(HELP_START_BOUND_MS);
  });

  it('validates the shipped runbooks (the default runbooks folder) from another working directory', () => {
    // Act
    const run = spawnSync(bin, ['runbooks', 'validate'], { encoding: 'utf8', cwd: work });
    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(path.join(work, 'node_modules', 'cordon', 'runbooks'));
  });
});
