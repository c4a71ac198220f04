// The figures issue 12 compares before and after: imports against the floors, cycles, the largest file, README size.
//   node scripts/structure-figures.mjs        (from the repository root, after npm ci)
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const layering =
  /^(floor-.*|module-domain-imports-graphql|modeling-core-imports-outside|telemetry-imports-module|migration-imports-module|datastore-imports-demo)$/;

// depcruise exits non-zero when it finds violations; its JSON is on stdout all the same.
let output;
try {
  output = execFileSync('npx', ['--no-install', 'depcruise', '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'src'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
} catch (error) {
  output = error.stdout;
}
const { violations } = JSON.parse(output).summary;

const edges = (test) =>
  [...new Set(violations.filter((violation) => test(violation.rule.name)).map((violation) => `${violation.from} → ${violation.to}`))].sort();
const against = edges((rule) => layering.test(rule));
const cycles = violations.filter((violation) => violation.rule.name === 'no-circular');
const unplaced = [...new Set(violations.filter((violation) => violation.rule.name === 'src-file-on-no-floor').map((violation) => violation.from))];
const other = edges((rule) => !layering.test(rule) && rule !== 'no-circular' && rule !== 'src-file-on-no-floor');

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? files(file) : file.endsWith('.ts') ? [file] : [];
  });
const lines = (file) => readFileSync(file, 'utf8').split('\n').length - 1;
const largest = (dir) =>
  files(dir)
    .map((file) => ({ file, lines: lines(file) }))
    .sort((a, b) => b.lines - a.lines)[0];
const readme = readFileSync('README.md');

console.log(`imports against the floors: ${against.length}`);
for (const edge of against) console.log(`  ${edge}`);
console.log(`cycles: ${cycles.length}`);
for (const cycle of cycles) console.log(`  ${[cycle.from, ...cycle.cycle.map((step) => step.name)].join(' → ')}`);
console.log(`files of src/ on no floor: ${unplaced.length}${unplaced.length ? ` (${unplaced.join(', ')})` : ''}`);
console.log(`other dependency rules broken: ${other.length}`);
for (const edge of other) console.log(`  ${edge}`);
for (const dir of ['src', 'test', 'bench']) {
  const { file, lines: count } = largest(dir);
  console.log(`largest file in ${dir}/: ${file}, ${count} lines`);
}
console.log(`README.md: ${readme.toString('utf8').split('\n').length - 1} lines, ${readme.length} bytes`);
