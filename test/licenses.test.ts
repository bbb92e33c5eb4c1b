// Copyleft test tools (@cloud-copilot/iam-simulate and iam-data are AGPL-3.0) must reach neither the npm package
// (its dependencies, what `npm pack` ships) nor the handler bundle (esbuild's metafile lists every input it inlined).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const COPYLEFT = /\b(A?GPL|LGPL|SSPL|EUPL)\b/i;

/** The package directory of a file under node_modules/ (scoped or not) and its license. */
function packageOf(file: string): { name: string; license: string } {
  const parts = file.split('node_modules/').pop()!.split('/');
  const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return { name, license: String(manifest.license ?? JSON.stringify(manifest.licenses)) };
}

test('the test-time IAM evaluator is copyleft, so the checks below have something to catch', () => {
  expect(packageOf('node_modules/@cloud-copilot/iam-simulate/dist/cjs/index.js').license).toMatch(COPYLEFT);
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(Object.keys(manifest.devDependencies)).toContain('@cloud-copilot/iam-simulate');
});

test('no copyleft package is a dependency of the published package', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const shipped = [
    ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), ...(manifest.bundledDependencies ?? []),
  ];
  const copyleft = shipped.filter((name) => COPYLEFT.test(packageOf(`node_modules/${name}/package.json`).license));
  expect(copyleft).toEqual([]);
});

test('the handler bundle inlines no copyleft package', () => {
  const meta = path.join(ROOT, 'assets', 'handler.meta.json');
  if (!fs.existsSync(meta)) throw new Error('assets/handler.meta.json is missing: run "npx projen bundle:handler" first');
  const inputs = Object.keys(JSON.parse(fs.readFileSync(meta, 'utf8')).inputs).filter((f) => f.includes('node_modules/'));
  expect(inputs.length).toBeGreaterThan(0);
  const packages = new Map(inputs.map((f) => { const p = packageOf(f); return [p.name, p.license]; }));
  expect([...packages].filter(([, license]) => COPYLEFT.test(license))).toEqual([]);
  expect([...packages.keys()].filter((name) => name.startsWith('@cloud-copilot/'))).toEqual([]);
});

test('npm pack ships no node_modules and no test code', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
  expect(files.filter((f) => f.includes('node_modules/') || f.includes('cloud-copilot') || f.startsWith('test/'))).toEqual([]);
});
