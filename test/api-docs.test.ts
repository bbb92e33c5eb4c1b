/**
 * The API reference (API.md, which jsii-docgen renders from the .jsii assembly) reads well: every summary is a whole
 * sentence, no doc shows raw `{@link X}` text (jsii-docgen leaves it as it is), and no doc holds a measurement.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensureCompiled, ROOT } from './util/compiled';

interface Documented { readonly where: string; readonly docs: Record<string, string> }

function documented(): Documented[] {
  ensureCompiled();
  const assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
  const out: Documented[] = [];
  const add = (where: string, docs: Record<string, string> | undefined) => out.push({ where, docs: docs ?? {} });
  for (const [fqn, type] of Object.entries<any>(assembly.types)) {
    add(fqn, type.docs);
    const callables = [...(type.initializer ? [{ ...type.initializer, name: 'new' }] : []), ...(type.methods ?? [])];
    for (const m of callables) {
      add(`${fqn}.${m.name}()`, m.docs);
      for (const p of m.parameters ?? []) add(`${fqn}.${m.name}(${p.name})`, p.docs);
    }
    for (const p of [...(type.properties ?? []), ...(type.members ?? [])]) add(`${fqn}.${p.name}`, p.docs);
  }
  return out;
}

/**
 * jsii takes the summary up to the first `.`, `;`, `!` or `?` followed by whitespace (or the first paragraph when it is
 * short). A whole sentence ends with `.`, `!` or `?`, outside parentheses and code, and not after an abbreviation.
 */
function brokenSummary(summary: string): string | undefined {
  if (/;$/.test(summary)) return 'ends at a semicolon';
  if ((summary.match(/`/g) ?? []).length % 2 !== 0) return 'ends inside `code`';
  if ((summary.match(/\(/g) ?? []).length !== (summary.match(/\)/g) ?? []).length) return 'ends inside parentheses';
  if (/\b(e\.g|i\.e|etc|vs|cf)\.$/.test(summary)) return 'ends at an abbreviation';
  return undefined;
}

const MEASUREMENT = /\bbench(mark)?s?\b|\bmedian\b|\d\s?ms\b|\d(\.\d+)?x\b|\d\s?%|\b(faster|slower)\b/i;

const items = documented();

test('the assembly documents every public type, property and method', () => {
  expect(items.length).toBeGreaterThan(100);
  // Parameters and initializers are documented by their types and props, as in aws-cdk-lib.
  const members = items.filter((i) => !i.where.includes('(') || i.where.endsWith('()') && !i.where.endsWith('.new()'));
  expect(members.filter((i) => !i.docs.summary).map((i) => i.where)).toEqual([]);
});

test('every summary is a whole sentence', () => {
  const broken = items.flatMap(({ where, docs }) => {
    const why = brokenSummary(docs.summary ?? '');
    return why ? [`${where}: ${why}: ${docs.summary}`] : [];
  });
  expect(broken).toEqual([]);
});

test('no doc shows a raw {@link} (jsii-docgen does not render it: name the type in `code`)', () => {
  expect(items.filter((i) => JSON.stringify(i.docs).includes('{@link')).map((i) => i.where)).toEqual([]);
});

test('no doc holds a benchmark note or a measurement', () => {
  const found = items.flatMap(({ where, docs }) => Object.values(docs)
    .map((text) => MEASUREMENT.exec(text)).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${where}: ...${m.input.slice(Math.max(0, m.index - 60), m.index + 40)}...`));
  expect(found).toEqual([]);
});
