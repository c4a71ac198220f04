import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../graphql/schema';

/** `npm run schema:emit`: writes the SDL the code defines to schema.graphql at the repository root. */
async function emit(): Promise<void> {
  const target = path.resolve(__dirname, '../../../schema.graphql');
  writeFileSync(target, await printAppSchema());
  process.stdout.write(`wrote ${target}\n`);
}

void emit().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
