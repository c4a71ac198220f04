import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runModelingJob } from '../src/modules/modeling/model';
import { readFeatureTable } from '../src/modules/run/dataset-reader';
import type { RunParams } from '../src/modules/run/run.record';
import { startTestServer, type TestServer } from '../test/support/app-harness';
import { benchTable, ensureBlobTable, featureColumns } from './data';

/**
 * Where a run's time goes, to weigh its progress fraction (docs/model-runs.md#progress): real runs
 * through GraphQL on the embedded SQLite (their phase timings), then the same data clustered in
 * process with the model's hooks timed, to split clustering into its k values, restarts and scores.
 * `node dist/bench/progress-phases.js [rows of the blob table, default 200000]`
 */
interface Case {
  readonly label: string;
  readonly datasetId: string;
  readonly input: Record<string, unknown>;
}

const START = `mutation ($input: StartModelRunInput!) { startModelRun(input: $input) { id } }`;
const STATE = `query ($id: ID!) { modelRun(id: $id) { status outcomesPublishedAt publishError { code }
  metrics { iterations timings { readMs prepareMs clusterMs scoreMs saveMs publishMs } } } }`;

async function graphql(server: TestServer, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey!}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

async function main(): Promise<void> {
  const blobRows = Number(process.argv[2] ?? 200_000);
  const server = await startTestServer({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'progress-bench-')), LOG_LEVEL: 'warn' });
  try {
    await ensureBlobTable(server.app.datastore, blobRows);
    const registered = (await graphql(
      server,
      `
        mutation ($input: RegisterDatasetInput!) {
          registerDataset(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          name: 'progress_blobs',
          table: benchTable(blobRows),
          keyColumns: ['entity_id'],
          featureColumns: featureColumns(),
          description: null,
          outcomeTable: null,
        },
      },
    )) as { registerDataset: { id: string } };
    const blobs = registered.registerDataset.id;
    const cases: Case[] = [
      { label: 'iris k=3', datasetId: 'demo-iris', input: { k: 3, seed: 1 } },
      { label: 'iris k 2..8, nInit 3', datasetId: 'demo-iris', input: { kRange: { min: 2, max: 8 }, nInit: 3, seed: 1 } },
      { label: 'station_readings k=4', datasetId: 'demo-station-readings', input: { k: 4, seed: 1 } },
      { label: 'station_readings k 2..8, nInit 3', datasetId: 'demo-station-readings', input: { kRange: { min: 2, max: 8 }, nInit: 3, seed: 1 } },
      { label: `blobs ${blobRows} k=10`, datasetId: blobs, input: { k: 10, seed: 1 } },
      { label: `blobs ${blobRows} k 2..8, nInit 3`, datasetId: blobs, input: { kRange: { min: 2, max: 8 }, nInit: 3, seed: 1 } },
    ];
    for (const { label, datasetId, input } of cases) {
      const started = (await graphql(server, START, { input: { datasetId, ...input } })) as { startModelRun: { id: string } };
      let run: { status: string; outcomesPublishedAt: string | null; metrics: { iterations: number; timings: Record<string, number> } };
      for (;;) {
        run = ((await graphql(server, STATE, { id: started.startModelRun.id })) as { modelRun: typeof run }).modelRun;
        if (run.status === 'SUCCEEDED' && run.outcomesPublishedAt) break;
        if (run.status === 'FAILED') throw new Error(`${label} failed`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const t = run.metrics.timings;
      const total = t.readMs! + t.prepareMs! + t.clusterMs! + t.scoreMs! + t.saveMs! + t.publishMs!;
      const share = (ms: number) => `${((100 * ms) / total).toFixed(1)}%`;
      console.log(
        `${label}: total ${total.toFixed(0)} ms; read ${t.readMs!.toFixed(0)} (${share(t.readMs!)}), prepare ${t.prepareMs!.toFixed(0)} (${share(t.prepareMs!)}), ` +
          `cluster ${t.clusterMs!.toFixed(0)} (${share(t.clusterMs!)}), score ${t.scoreMs!.toFixed(0)} (${share(t.scoreMs!)}), ` +
          `save ${t.saveMs!.toFixed(0)} (${share(t.saveMs!)}), publish ${t.publishMs!.toFixed(0)} (${share(t.publishMs!)})`,
      );
      // The run's own parameters, as stored (RunParams), for the same job in process.
      const [row] = await server.app.datastore.query({
        sql: 'SELECT params FROM ai_model_run WHERE id = ?',
        parameters: [started.startModelRun.id],
        kind: 'select',
      });
      await clusterBreakdown(server, JSON.parse(String(row!.params)) as RunParams);
    }
  } finally {
    await server.stop();
  }
}

/** The same job in process: time per k (its restarts, then its scores), and iterations per restart. */
async function clusterBreakdown(server: TestServer, params: RunParams): Promise<void> {
  const table = await readFeatureTable(server.app.datastore, server.app.datastore.dialect, params, 10_000, { shouldCancel: () => false });
  const marks: { k: number; restart: number; iteration: number; at: number }[] = [];
  const kDone = new Map<number, number>();
  const started = performance.now();
  const output = runModelingJob(
    { values: table.values, rows: table.rows, columns: table.columns, params },
    {
      onIteration: (event) => marks.push({ k: event.k, restart: event.restart, iteration: event.iteration, at: performance.now() }),
      onKEvaluated: (score) => kDone.set(score.k, performance.now()),
    },
  );
  const ended = performance.now();
  const lines: string[] = [];
  let previous = started + output.timings.prepareMs;
  for (const k of [...new Set(marks.map((mark) => mark.k))]) {
    const ofK = marks.filter((mark) => mark.k === k);
    const lastIteration = ofK.at(-1)!.at;
    const restarts = [...new Set(ofK.map((mark) => mark.restart))].map((restart) => ofK.filter((mark) => mark.restart === restart).length);
    const scoreEnd = kDone.get(k) ?? ended;
    lines.push(
      `k=${k}: restarts ${(lastIteration - previous).toFixed(0)} ms (iterations ${restarts.join('/')}), scores ${(scoreEnd - lastIteration).toFixed(0)} ms`,
    );
    previous = scoreEnd;
  }
  console.log(`  in process (${table.rows} rows): prepare ${output.timings.prepareMs.toFixed(0)} ms; ${lines.join('; ')}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
