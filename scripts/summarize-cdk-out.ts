// Prints what `cdk synth` wrote: each template with its resources counted by type.
import * as fs from 'fs';
import * as path from 'path';

const dir = process.argv[2] ?? 'cdk.out';
const templates = fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort();
if (templates.length === 0) {
  console.error(`no templates in ${dir}`);
  process.exit(1);
}
for (const file of templates) {
  const full = path.join(dir, file);
  const template = JSON.parse(fs.readFileSync(full, 'utf8'));
  const counts = new Map<string, number>();
  for (const r of Object.values<any>(template.Resources ?? {})) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
  console.log(`${full} (${fs.statSync(full).size} bytes)`);
  for (const [type, n] of [...counts].sort()) console.log(`  ${String(n).padStart(3)} ${type}`);
  for (const [name, o] of Object.entries<any>(template.Outputs ?? {})) console.log(`  output ${name}: ${JSON.stringify(o.Value)}`);
}
