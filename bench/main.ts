import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { featureColumns, median, openBenchDatastore, type BenchDatabase } from './data';
import { freshState, runEndToEnd, summarize, type EndToEndResult, type RunFigures } from './end-to-end';
import { renderFloorReport, targetVerdict, type FloorReportEntry, type PythonForm } from './floor-report';
import { runLoad, type LoadResult } from './load';
import { runPublishBench, type PublishResult } from './publish';
import { runReadBench, type ReadResult } from './read';

/**
 * `npm run bench` (issue 6): every figure of the performance issue, written to bench/RESULTS.md (the
 * section between the "npm run bench" markers) and to bench/results/<date>.json, with the machine, the
 * versions and the command. Nothing here asserts a time: these are measurements.
 *
 *   node dist/bench/main.js [--quick] [--sizes 10000,100000,1000000] [--repeat 3]
 *       [--databases sqlite,postgresql] [--sections e2e,read,publish,cluster,graphql,trace] [--out file.json]
 *
 * --quick: 10k rows, one repetition, short load — what `npm test` runs so the harness cannot rot; it
 * writes only to --out (or nowhere). bench/RESULTS.md is rewritten only by a run without --quick and
 * without --out.
 *
 * Databases: the embedded SQLite (a file per run), PostgreSQL from BENCH_POSTGRESQL_ODBC or
 * TEST_POSTGRESQL_ODBC and MariaDB from BENCH_MARIADB_ODBC or TEST_MARIADB_ODBC (GraphQL load: SQLite and
 * PostgreSQL); the search engine for the trace figure from BENCH_ELASTICSEARCH_URL or TEST_OPENSEARCH_URL.
 * End to end, each run is followed by the database's own time for its phases (bench/floor.ts) and
 * compared with both forms of the Python pipeline (issue 16 items 1 and 5).
 * scripts/bench.sh starts PostgreSQL, MariaDB and OpenSearch and sets those, as `npm test` does.
 */

const SECTIONS = ['e2e', 'read', 'publish', 'cluster', 'graphql', 'trace'] as const;
type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly sizes: number[];
  readonly repeat: number;
  readonly databases: string[];
  readonly sections: Section[];
  readonly log: (line: string) => void;
}

/** bench/pipeline.py --form: how the Python pipeline reads; the faster is the anchor. */
export const PYTHON_FORMS = ['pandas', 'fetchmany'] as const;

/** Issue 16 item 1: end to end at most this many times the faster Python form. */
export const END_TO_END_TARGET = 0.5;

export interface PipelineFigures {
  readonly form: string;
  readonly seconds: Record<'read' | 'prepare' | 'cluster' | 'score' | 'publish' | 'total', number>;
  readonly rows: number;
  readonly published: number;
  readonly iterations: number;
  readonly inertia: number;
  readonly silhouette: number;
  readonly peakRssMb: number;
  readonly versions: Record<string, string>;
}

export interface BenchResults {
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly machine: Record<string, unknown>;
  readonly endToEnd: { server: EndToEndResult; python: { forms: PythonFormResult[] } | { skipped: string } }[];
  readonly read: ReadResult[];
  readonly publish: PublishResult[];
  readonly cluster: unknown;
  readonly graphql: (LoadResult & { database: string; connections: number; durationSeconds: number })[];
  readonly trace: { rows: number; file: EndToEndResult; elasticsearch: EndToEndResult } | { skipped: string } | null;
  readonly skipped: string[];
}

export interface PythonFormResult {
  readonly form: string;
  readonly runs: PipelineFigures[];
  readonly medianTotalSeconds: number;
}

export function benchDatabases(names: readonly string[]): BenchDatabase[] {
  return names.map((name): BenchDatabase => {
    if (name === 'sqlite') return { name, dialect: 'sqlite', connectionString: '' };
    const variable = name === 'postgresql' ? 'POSTGRESQL' : name === 'mariadb' ? 'MARIADB' : null;
    if (!variable) throw new Error(`unknown database ${name}; expected sqlite, postgresql or mariadb`);
    const connectionString = process.env[`BENCH_${variable}_ODBC`] ?? process.env[`TEST_${variable}_ODBC`];
    if (!connectionString) throw new Error(`${name} needs BENCH_${variable}_ODBC (or TEST_${variable}_ODBC): run \`npm run bench\`, which starts it`);
    return { name, dialect: name === 'postgresql' ? 'postgresql' : 'mysql', connectionString };
  });
}

/** SQLite for the read and publish figures: a file of its own. */
function withSqliteFile(database: BenchDatabase, file: string): BenchDatabase {
  return database.dialect === 'sqlite' ? { ...database, connectionString: `Driver={SQLite3};Database=${file};Timeout=10000;JournalMode=WAL` } : database;
}

export function pythonAvailable(): string | null {
  const probe = spawnSync('python3', ['-c', 'import sklearn, pandas, pyodbc, threadpoolctl'], { encoding: 'utf8' });
  return probe.status === 0
    ? null
    : `python3 cannot import sklearn, pandas, pyodbc and threadpoolctl (pip install --user -r bench/requirements.txt): ${(probe.stderr || (probe.error?.message ?? '')).trim().split('\n').at(-1)}`;
}

async function runPipeline(database: BenchDatabase, rows: number, form: string, log: (line: string) => void): Promise<PipelineFigures> {
  const state = await freshState(database, rows, log);
  try {
    const child = spawnSync(
      'python3',
      [
        path.resolve(__dirname, '../../bench/pipeline.py'),
        '--connection',
        state.connectionString,
        '--dialect',
        database.dialect,
        '--table',
        state.physicalTable,
        '--outcome-table',
        state.pythonOutcomeTable,
        '--features',
        featureColumns().join(','),
        '--form',
        form,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (child.status !== 0) throw new Error(`bench/pipeline.py failed (${child.status}): ${child.stderr}`);
    const figures = JSON.parse(child.stdout) as PipelineFigures;
    log(`python pipeline (${form}) ${database.name} ${rows} rows: ${figures.seconds.total.toFixed(2)} s, ${figures.iterations} iterations`);
    return figures;
  } finally {
    await state.cleanUp();
  }
}

async function machine(databases: BenchDatabase[]): Promise<Record<string, unknown>> {
  const servers: Record<string, string> = {};
  for (const database of databases) {
    const datastore = openBenchDatastore(withSqliteFile(database, ':memory:'));
    try {
      servers[database.name] = await datastore.detectServer();
    } catch (error) {
      servers[database.name] = `unknown (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      await datastore.close();
    }
  }
  let debian = 'unknown';
  try {
    debian = readFileSync('/etc/debian_version', 'utf8').trim();
  } catch {
    // not Debian
  }
  const packageJson = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    debian,
    node: process.version,
    databases: servers,
    packages: {
      odbc: packageJson.dependencies.odbc,
      'ml-kmeans': packageJson.devDependencies['ml-kmeans'],
      pg: packageJson.devDependencies.pg,
    },
  };
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { log } = options;
  const startedAt = new Date().toISOString();
  const skipped: string[] = [];
  const want = (section: Section) => options.sections.includes(section);
  const databases = benchDatabases(options.databases);
  const scratch = path.join(tmpdir(), 'aimodel-bench');
  mkdirSync(scratch, { recursive: true });
  const python = pythonAvailable();
  if (python) skipped.push(python);

  const endToEnd: BenchResults['endToEnd'] = [];
  if (want('e2e')) {
    for (const database of databases) {
      for (const rows of options.sizes) {
        const server = await runEndToEnd({ database, rows, repeat: options.repeat, trace: 'file', floor: true, log });
        let pythonFigures: BenchResults['endToEnd'][number]['python'] = { skipped: python ?? '' };
        if (!python) {
          const runs = new Map<string, PipelineFigures[]>(PYTHON_FORMS.map((form) => [form, []]));
          for (let index = 0; index < options.repeat; index++) {
            for (const form of PYTHON_FORMS) runs.get(form)!.push(await runPipeline(database, rows, form, log));
          }
          pythonFigures = {
            forms: [...runs].map(([form, formRuns]) => ({ form, runs: formRuns, medianTotalSeconds: median(formRuns.map((run) => run.seconds.total)) })),
          };
        }
        endToEnd.push({ server, python: pythonFigures });
      }
    }
  }

  const largest = Math.max(...options.sizes);
  const read: ReadResult[] = [];
  if (want('read')) {
    for (const database of databases) {
      read.push(
        ...(await runReadBench({
          database: withSqliteFile(database, path.join(scratch, `read-${largest}.sqlite`)),
          rows: largest,
          repeat: options.repeat,
          // RUN_READ_BATCH_ROWS' default, chosen by the fetch-size study recorded in bench/RESULTS.md.
          fetchSizes: [2_000],
          methods: python ? ['server', 'odbc-raw', 'odbc-raw-array'] : undefined,
          log,
        })),
      );
    }
  }

  const publish: PublishResult[] = [];
  if (want('publish')) {
    // The one-row loop takes minutes at a million rows; every method is compared at the same size
    // (a run's own publish at 1M rows is in the end-to-end figures).
    const rows = Math.min(largest, 100_000);
    const repeat = Math.min(options.repeat, 2);
    for (const database of databases) {
      publish.push(...(await runPublishBench({ database: withSqliteFile(database, path.join(scratch, 'publish.sqlite')), rows, repeat, log })));
    }
  }

  let cluster: unknown = null;
  if (want('cluster')) {
    const args = [
      path.resolve(__dirname, 'cluster.js'),
      '--sizes',
      options.sizes.join(','),
      '--repeat',
      String(options.repeat),
      '--spread',
      '2',
      '--engines',
      'ml-kmeans,fast,fast+inertia,fast2,fast2+inertia',
    ];
    if (python) args.push('--no-sklearn');
    log(`cluster: node ${args.join(' ')}`);
    const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`bench/cluster.js failed (${child.status})`);
    cluster = JSON.parse(child.stdout) as unknown;
  }

  const graphql: BenchResults['graphql'] = [];
  if (want('graphql')) {
    const connections = options.quick ? 10 : 50;
    const durationSeconds = options.quick ? 3 : 30;
    for (const database of databases.filter((candidate) => candidate.dialect !== 'mysql')) {
      const env: Record<string, string> = {};
      if (database.dialect === 'postgresql') {
        const datastore = openBenchDatastore(database);
        try {
          await datastore.execute({ sql: 'DROP SCHEMA IF EXISTS bench_load CASCADE', parameters: [], kind: 'ddl' });
          await datastore.execute({ sql: 'CREATE SCHEMA bench_load', parameters: [], kind: 'ddl' });
        } finally {
          await datastore.close();
        }
        Object.assign(env, {
          DB_DIALECT: 'postgresql',
          DB_CONNECTION_STRING: `${database.connectionString.replace(/;?$/, ';')}ConnSettings=SET search_path TO bench_load;`,
          DEMO_DATASETS: 'true',
        });
      }
      log(`graphql: ${connections} clients for ${durationSeconds} s on ${database.name}`);
      const result = await runLoad({ connections, durationSeconds, runs: options.quick ? 2 : 6, env });
      graphql.push({ database: database.name, connections, durationSeconds, ...result });
    }
  }

  let trace: BenchResults['trace'] = null;
  if (want('trace')) {
    const elasticsearchUrl = process.env.BENCH_ELASTICSEARCH_URL ?? process.env.TEST_OPENSEARCH_URL;
    const sqlite = databases.find((database) => database.dialect === 'sqlite') ?? benchDatabases(['sqlite'])[0]!;
    const rows = Math.min(largest, 100_000);
    if (!elasticsearchUrl) {
      trace = { skipped: 'no search engine: set BENCH_ELASTICSEARCH_URL (scripts/bench.sh starts OpenSearch)' };
      skipped.push(trace.skipped);
    } else {
      // Alternating, so that whatever else loads the machine falls on both alike.
      const fileRuns: RunFigures[] = [];
      const elasticsearchRuns: RunFigures[] = [];
      for (let index = 0; index < options.repeat; index++) {
        fileRuns.push(...(await runEndToEnd({ database: sqlite, rows, repeat: 1, trace: 'file', log })).runs);
        elasticsearchRuns.push(...(await runEndToEnd({ database: sqlite, rows, repeat: 1, trace: 'elasticsearch', elasticsearchUrl, log })).runs);
      }
      trace = { rows, file: summarize(sqlite.name, rows, 'file', fileRuns), elasticsearch: summarize(sqlite.name, rows, 'elasticsearch', elasticsearchRuns) };
    }
  }

  return {
    command: `node dist/bench/main.js ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    machine: await machine(databases),
    endToEnd,
    read,
    publish,
    cluster,
    graphql,
    trace,
    skipped,
  };
}

// ---- Markdown ------------------------------------------------------------------------------

const BEGIN = '<!-- npm run bench: begin (generated by bench/main.ts; edit the text around it, not inside) -->';
const END = '<!-- npm run bench: end -->';
const n0 = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
const s2 = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–');

export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const m = results.machine as {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    debian: string;
    kernel: string;
    node: string;
    databases: Record<string, string>;
    packages: Record<string, string>;
  };
  lines.push(`Generated by \`${results.command}\`, ${results.startedAt} → ${results.finishedAt}.`, '');
  lines.push(
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Debian ${m.debian} (kernel ${m.kernel}), Node ${m.node}; ` +
      `databases: ${Object.entries(m.databases)
        .map(([name, version]) => `${name} ${version.split(' on ')[0]}`)
        .join('; ')}; ` +
      `packages: ${Object.entries(m.packages)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}.`,
    '',
  );
  if (results.skipped.length) lines.push(`Skipped: ${results.skipped.join('; ')}.`, '');

  if (results.endToEnd.length) {
    lines.push('### 1. End to end: `startModelRun` → SUCCEEDED, outcomes published', '');
    lines.push(
      'Seconds, median of the runs; peak RSS is the server process (VmHWM). Python = bench/pipeline.py (pyodbc + pandas + scikit-learn, 1,000-row UPSERT statements), same database, same driver, same machine, ' +
        'in its faster form of this run (`pandas`: pandas.read_sql; `fetchmany`: cursor.fetchmany into numpy blocks).',
      '',
    );
    lines.push(
      '| database | rows | server total | read | prepare | cluster | score | save assignments | publish | iterations | server peak RSS MB | Python form | Python total | Python read / cluster / publish | Python iterations | Python peak RSS MB |',
    );
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const { server, python } of results.endToEnd) {
      const t = server.median.timings;
      const py = fasterForm(python);
      const pyMedian = (key: keyof PipelineFigures['seconds']) => (py ? median(py.runs.map((run) => run.seconds[key])).toFixed(2) : '–');
      lines.push(
        `| ${server.database} | ${n0(server.rows)} | **${s2(server.median.wallMs)}** | ${s2(t.readMs)} | ${s2(t.prepareMs)} | ${s2(t.clusterMs)} | ${s2(t.scoreMs)} | ${s2(t.saveMs)} | ${s2(t.publishMs)} | ${server.median.iterations} | ${server.median.serverPeakRssMb} | ` +
          `${py?.form ?? '–'} | ${py ? `**${py.medianTotalSeconds.toFixed(2)}**` : 'skipped'} | ${pyMedian('read')} / ${pyMedian('cluster')} / ${pyMedian('publish')} | ${py ? median(py.runs.map((run) => run.iterations)) : '–'} | ${py ? Math.max(...py.runs.map((run) => run.peakRssMb)) : '–'} |`,
      );
    }
    lines.push('');
    lines.push('### 1b. The floor and the target: each phase against the database alone, end to end against Python', '');
    lines.push(
      "Floor = the database's own time for the phase's work on the same table, with no client handling rows, measured right after each run on its database " +
        '(bench/floor.ts; medians). × floor = the server phase ÷ its floor. prepare, cluster and score run in the server alone and have none. ' +
        `Target (issue 16 item 1): end to end at most ${END_TO_END_TARGET}× the faster Python form, both measured in this run.`,
      '',
    );
    lines.push(...renderFloorReport(results.endToEnd.map(floorReportEntry), END_TO_END_TARGET), '');
  }
  if (results.read.length) {
    lines.push(`### 2. Read through ODBC (${n0(results.read[0]!.rows)} rows × 10 features)`, '');
    lines.push('| database | method | fetch size | connection options | rows/s | median s | peak RSS Δ MB | complete |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const r of results.read)
      lines.push(
        `| ${r.database} | ${r.method} | ${n0(r.fetchSize)} | ${r.connectionOptions || '–'} | ${n0(r.rowsPerSecond)} | ${r.medianSeconds.toFixed(2)} | ${r.peakRssDeltaMb} | ${r.complete ? 'yes' : 'NO'} |`,
      );
    lines.push('');
  }
  if (results.publish.length) {
    lines.push('### 3. Publish: outcome UPSERT, one transaction', '');
    lines.push('| database | method | case | rows | rows/s | median s |');
    lines.push('|---|---|---|---|---|---|');
    for (const r of results.publish)
      lines.push(`| ${r.database} | ${r.method} | ${r.case} | ${n0(r.rows)} | ${n0(r.rowsPerSecond)} | ${r.medianSeconds.toFixed(2)} |`);
    lines.push('');
  }
  const cluster = results.cluster as {
    results?: {
      rows: number;
      engines: {
        engine: string;
        medianMs: number;
        iterations: number;
        peakRssMb: number;
        timeVsScikitLearn?: number;
        assignmentsEqualToMlKmeans?: number;
        centroidUlpsFromMlKmeans?: number;
      }[];
    }[];
  } | null;
  if (cluster?.results) {
    lines.push('### 4. Cluster: k-means alone, same data and same k-means++ start for every engine (`bench/cluster.js --spread 2`)', '');
    lines.push(
      '| rows | engine | median ms | iterations | × scikit-learn | assignments equal to ml-kmeans | centroids: largest distance from ml-kmeans (ulps) | peak RSS MB |',
    );
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const size of cluster.results) {
      for (const e of size.engines)
        lines.push(
          `| ${n0(size.rows)} | ${e.engine} | ${n0(e.medianMs)} | ${e.iterations} | ${e.timeVsScikitLearn ?? '–'} | ${e.assignmentsEqualToMlKmeans === undefined ? '–' : `${(e.assignmentsEqualToMlKmeans * 100).toFixed(2)} %`} | ${e.centroidUlpsFromMlKmeans ?? '–'} | ${e.peakRssMb} |`,
        );
    }
    lines.push('');
  }
  if (results.graphql.length) {
    lines.push('### 5. GraphQL: three read queries in rotation while model runs start (`bench/load.ts`)', '');
    lines.push('| database | clients | seconds | requests | req/s | p50 ms | p99 ms | errors | runs lost | peak RSS MB |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const g of results.graphql)
      lines.push(
        `| ${g.database} | ${g.connections} | ${g.durationSeconds} | ${n0(g.requests)} | ${n0(g.throughputPerSecond)} | ${g.latencyMs.p50} | ${g.latencyMs.p99} | ${g.httpErrors + g.graphqlErrors} | ${g.runsLost} | ${g.peakRssMb} |`,
      );
    lines.push('');
  }
  if (results.trace && 'file' in results.trace) {
    const { rows, file, elasticsearch } = results.trace;
    const overhead = (elasticsearch.median.wallMs / file.median.wallMs - 1) * 100;
    lines.push(`### 6. Trace overhead (SQLite, ${n0(rows)} rows)`, '');
    lines.push('| trace to | run total s | cluster s | peak RSS MB |');
    lines.push('|---|---|---|---|');
    lines.push(`| files (no search engine) | ${s2(file.median.wallMs)} | ${s2(file.median.timings.clusterMs)} | ${file.median.serverPeakRssMb} |`);
    lines.push(`| OpenSearch | ${s2(elasticsearch.median.wallMs)} | ${s2(elasticsearch.median.timings.clusterMs)} | ${elasticsearch.median.serverPeakRssMb} |`);
    lines.push('', `Difference: ${overhead.toFixed(1)} % of the run's time.`, '');
  }
  return lines.join('\n');
}

function fasterForm(python: BenchResults['endToEnd'][number]['python']): PythonFormResult | null {
  if (!('forms' in python)) return null;
  const anchor = targetVerdict(
    0,
    python.forms.map(({ form, medianTotalSeconds }) => ({ form, medianSeconds: medianTotalSeconds })),
  ).anchor;
  return python.forms.find((form) => form.form === anchor?.form) ?? null;
}

export function floorReportEntry({ server, python }: BenchResults['endToEnd'][number]): FloorReportEntry {
  const forms: PythonForm[] = 'forms' in python ? python.forms.map(({ form, medianTotalSeconds }) => ({ form, medianSeconds: medianTotalSeconds })) : [];
  return {
    database: server.database,
    rows: server.rows,
    timings: server.median.timings,
    floor: server.floor ?? null,
    serverSeconds: server.median.wallMs / 1000,
    python: forms,
  };
}

export function replaceSection(document: string, section: string): string {
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  const block = `${BEGIN}\n${section}\n${END}`;
  if (begin < 0 || end < begin) return `${document.trimEnd()}\n\n## \`npm run bench\` (issue 6)\n\n${block}\n`;
  return document.slice(0, begin) + block + document.slice(end + END.length);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      repeat: { type: 'string' },
      databases: { type: 'string', default: 'sqlite,postgresql' },
      sections: { type: 'string', default: SECTIONS.join(',') },
      out: { type: 'string' },
    },
  });
  const quick = values.quick;
  const sections = values.sections.split(',').map((name) => name.trim()) as Section[];
  for (const section of sections) if (!SECTIONS.includes(section)) throw new Error(`unknown section ${section}; expected ${SECTIONS.join(', ')}`);
  const results = await runBench({
    quick,
    sizes: (values.sizes ?? (quick ? '10000' : '10000,100000,1000000')).split(',').map(Number),
    repeat: Number(values.repeat ?? (quick ? 1 : 3)),
    databases: values.databases.split(',').map((name) => name.trim()),
    sections,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const markdown = renderMarkdown(results);
  process.stdout.write(`${markdown}\n`);
  const root = path.resolve(__dirname, '../..');
  const out = values.out ?? (quick ? undefined : path.join(root, 'bench', 'results', `${results.startedAt.slice(0, 10)}.json`));
  if (out) {
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  }
  // Only the full default run is the record: a quick run or one written to --out leaves RESULTS.md alone.
  if (!quick && !values.out) {
    const file = path.join(root, 'bench', 'RESULTS.md');
    writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), markdown));
    process.stderr.write(`bench/RESULTS.md and ${out} updated\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
