import { parseArgs } from 'node:util';
import { RegisterDatasetDocument, StartModelRunDocument } from '../test/generated/graphql';
import { startTestServer } from '../test/support/app-harness';
import { dataOf, registerInput, startInput, waitForRun } from '../test/support/runs';
import { benchTable, ensureBlobTable, featureColumns, median } from './data';

/**
 * What a run report page (GET /runs/:id) costs for a large run: the embedded default (SQLite), a blob
 * table of `--rows` rows × 10 features, a run over k 2–10 with `--n-init` restarts; the page fetched
 * `--repeat` times (the first also loads vega) with the default sample, then with ?sample=5000.
 *
 *   node dist/bench/report.js [--rows 100000] [--n-init 3] [--repeat 3]
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '100000' }, 'n-init': { type: 'string', default: '3' }, repeat: { type: 'string', default: '3' } },
  });
  const rows = Number(values.rows);
  const server = await startTestServer({ LOG_LEVEL: 'warn' });
  try {
    await ensureBlobTable(server.app.datastore, rows, console.log);
    const input = registerInput({ name: `report bench ${rows}`, table: benchTable(rows), keyColumns: ['entity_id'], featureColumns: featureColumns() });
    const datasetId = dataOf(await server.graphql(RegisterDatasetDocument, { input }), 'register').registerDataset.id;
    const started = performance.now();
    const start = startInput({ datasetId, kRange: { min: 2, max: 10 }, nInit: Number(values['n-init']), seed: 7, publishOutcomes: false });
    const id = dataOf(await server.graphql(StartModelRunDocument, { input: start }), 'start').startModelRun.id;
    const run = await waitForRun(server, id, undefined, 1_800_000);
    console.log(`run ${run.status} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const query of ['', '?sample=5000']) {
      const timings: number[] = [];
      let bytes = 0;
      for (let round = 0; round < Number(values.repeat); round++) {
        const began = performance.now();
        const response = await server.get(`/runs/${id}${query}`, { authorization: `Bearer ${server.adminKey}` });
        bytes = (await response.text()).length;
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        timings.push(performance.now() - began);
      }
      console.log(`GET /runs/<id>${query}: ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms (median ${median(timings).toFixed(0)}), ${bytes} characters`);
    }
  } finally {
    await server.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
