// Every TypeScript example in README.md must compile against the library as it is.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

test('README opens with the two set-up commands, each alone in its own code block', () => {
  const fences = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[2].trim());
  expect(fences).toEqual(['npm install && npx projen synth:example', 'npm install && npx projen build']);
  expect(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8')).toContain('\nnpm install && npx projen build\n');
});

test('every TypeScript example in the README type-checks', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  // Inside node_modules so that aws-cdk-lib resolves; the package name points at the sources.
  const dir = path.join(root, 'node_modules', '.cache', 'readme-examples');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files = blocks.map((code, i) => {
    const file = path.join(dir, `example${i}.ts`);
    fs.writeFileSync(file, code.replace(/from 'cdk-imagebuilder-distribution'/g, `from ${JSON.stringify(path.join(root, 'src'))}`));
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    experimentalDecorators: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(diagnostics).toEqual([]);
});
