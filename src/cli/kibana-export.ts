import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { savedObjectsNdjson } from '../telemetry/kibana/saved-objects';

/** `npm run kibana:export`: writes kibana/saved-objects.ndjson from the definitions in the code. */
const target = path.resolve(__dirname, '../../../kibana/saved-objects.ndjson');
mkdirSync(path.dirname(target), { recursive: true });
writeFileSync(target, savedObjectsNdjson());
process.stdout.write(`wrote ${target}\n`);
