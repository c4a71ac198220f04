import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import type { Browser, Page } from 'puppeteer-core';
import {
  ModelRunResultDocument,
  RegisterDatasetDocument,
  RunAssignmentsDocument,
  RunReportUrlDocument,
  StartModelRunDocument,
  type RunAssignmentsQuery,
  type RunResultFragment,
} from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { launchChromium, testOutputDirectory } from '../../support/browser';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { HOSTILE_NAME } from '../../support/hostile-text';
import { dataOf, registerInput, startInput, waitForRun } from '../../support/runs';
import { datasetId } from '../auth/auth-support';

/** One mark as the page drew it: its aria-label, and its box on the page. */
interface Drawn {
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly fill: string | null;
  /** For a line: the vertices of its path. */
  readonly vertices: number;
}

interface Target {
  readonly label: string;
  readonly tag: string;
  readonly env: (schema: PostgresqlSchema | null) => Record<string, string>;
  readonly postgresql: boolean;
}

const TARGETS: Target[] = [
  { label: 'the embedded default (SQLite)', tag: 'sqlite', env: () => ({}), postgresql: false },
  {
    label: 'PostgreSQL (psqlODBC, a schema of its own)',
    tag: 'postgresql',
    postgresql: true,
    env: (schema) => ({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema!.connectionString, DEMO_DATASETS: 'true' }),
  },
];

/** What the page functions use of a DOM element (tsconfig's lib has no DOM). */
interface DomElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
}

const textsOf = (elements: unknown[]) => (elements as DomElement[]).map((element) => element.textContent ?? '');

/** The marks of one chart: every element of `markClass` (mark-rect, mark-line, …) inside figure#chart-<name>. */
function marksOf(page: Page, chart: string, markClass: string): Promise<Drawn[]> {
  return page.$$eval(`#chart-${chart} g.${markClass}.role-mark > *`, (elements: unknown[]) =>
    (elements as DomElement[]).map((element) => {
      const box = element.getBoundingClientRect();
      const d = element.getAttribute('d') ?? '';
      return {
        label: element.getAttribute('aria-label') ?? '',
        x: box.x,
        y: box.y,
        width: box.width,
        height: box.height,
        fill: element.getAttribute('fill'),
        vertices: (d.match(/[ML]/g) ?? []).length,
      };
    }),
  );
}

/** Every assignment of a run through GraphQL, key → cluster. */
async function assignmentsOf(server: TestServer, id: string): Promise<Map<string, number>> {
  const clusters = new Map<string, number>();
  let after: string | null = null;
  for (;;) {
    const result: FormattedExecutionResult<RunAssignmentsQuery> = await server.graphql(RunAssignmentsDocument, { id, first: 500, after, cluster: null });
    const { edges, pageInfo } = dataOf(result, 'assignments').modelRun!.assignments;
    for (const { node } of edges) clusters.set(node.entityKey, node.cluster);
    if (!pageInfo.hasNextPage) return clusters;
    after = pageInfo.endCursor ?? null;
  }
}

/**
 * The report page of a finished iris run, opened in headless Chromium, on the embedded default and on
 * PostgreSQL. Each chart's screenshot is kept under .test-output/run-report/; the assertions read the
 * SVG the page holds and compare it with the run as GraphQL returns it.
 */
for (const target of TARGETS) {
  describe(`the run report page in Chromium, on ${target.label}`, () => {
    let schema: PostgresqlSchema | null = null;
    let server: TestServer;
    let browser: Browser;
    let page: Page;
    let run: RunResultFragment;
    let assignments: Map<string, number>;
    let reportUrl: string;
    const output = testOutputDirectory('run-report');

    const open = async (query = '') => {
      const response = await page.goto(`${server.url}${reportUrl}${query}`, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);
    };

    before(async () => {
      schema = target.postgresql ? await createPostgresqlSchema('runreport') : null;
      server = await startTestServer(target.env(schema));
      const iris = await datasetId(server, 'iris');
      const input = startInput({ datasetId: iris, kRange: { min: 2, max: 5 }, nInit: 3, seed: 20261203, publishOutcomes: false });
      const id = dataOf(await server.graphql(StartModelRunDocument, { input }), 'start').startModelRun.id;
      assert.equal((await waitForRun(server, id)).status, 'SUCCEEDED');
      run = dataOf(await server.graphql(ModelRunResultDocument, { id }), 'result').modelRun!;
      assignments = await assignmentsOf(server, id);
      reportUrl = dataOf(await server.graphql(RunReportUrlDocument, { id }), 'reportUrl').modelRun!.reportUrl;
      browser = await launchChromium();
      page = await browser.newPage();
      await page.setViewport({ width: 1100, height: 900 });
      await page.setExtraHTTPHeaders({ authorization: `Bearer ${server.adminKey}` });
      await open();
      for (const chart of ['score-per-k', 'iteration-inertia', 'cluster-sizes', 'centroids', 'sample-points']) {
        const figure = await page.$(`#chart-${chart}`);
        assert.ok(figure, `figure ${chart}`);
        await figure.screenshot({ path: path.join(output, `${target.tag}-${chart}.png`) });
      }
      await page.screenshot({ path: path.join(output, `${target.tag}-page.png`), fullPage: true });
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
      await schema?.drop();
    });

    it('the cluster-size chart has one bar per cluster of the chosen model, labelled with its size, heights in proportion to the sizes', async () => {
      const bars = await marksOf(page, 'cluster-sizes', 'mark-rect');
      const sizes = run.clusterSizes!;
      assert.equal(bars.length, run.kSelection!.chosenK);
      assert.deepEqual(
        bars.map((bar) => bar.label),
        sizes.map((size, cluster) => `cluster ${cluster}: ${size} rows`),
      );
      const pixelsPerRow = bars[0]!.height / sizes[0]!;
      bars.forEach((bar, cluster) =>
        assert.ok(Math.abs(bar.height - sizes[cluster]! * pixelsPerRow) < 1, `bar ${cluster}: ${bar.height} px for ${sizes[cluster]} rows`),
      );
      const byHeight = [...bars.keys()].sort((a, b) => bars[a]!.height - bars[b]!.height || a - b);
      const bySize = [...sizes.keys()].sort((a, b) => sizes[a]! - sizes[b]! || a - b);
      assert.deepEqual(byHeight, bySize);
    });

    it('the iteration chart has one line per k and restart, each with as many vertices as that restart had iterations', async () => {
      const lines = await marksOf(page, 'iteration-inertia', 'mark-line');
      const expected = new Map<string, number>();
      for (const { k, restart } of run.iterations!) expected.set(`k ${k}, restart ${restart}`, (expected.get(`k ${k}, restart ${restart}`) ?? 0) + 1);
      assert.equal(expected.size, 4 * 3, 'k 2–5 × nInit 3');
      assert.deepEqual(new Map(lines.map((line) => [line.label, line.vertices])), expected);
      assert.equal(lines.length, expected.size);
    });

    it("the score chart draws every k's four scores at their values, and the chosen-k rule in each panel at the chosen k's points", async () => {
      const points = await marksOf(page, 'score-per-k', 'mark-symbol');
      const titles = {
        inertia: 'Inertia (elbow; lower is tighter)',
        silhouette: 'Silhouette (higher is better)',
        daviesBouldin: 'Davies–Bouldin (lower is better)',
        calinskiHarabasz: 'Calinski–Harabasz (higher is better)',
      } as const;
      const expected = run.kSelection!.scores.flatMap((score) =>
        (Object.keys(titles) as (keyof typeof titles)[]).map((field) => `k ${score.k}, ${titles[field]}: ${String(score[field])}`),
      );
      assert.deepEqual(points.map((point) => point.label).sort(), expected.sort());

      const chosenK = run.kSelection!.chosenK;
      const rules = await marksOf(page, 'score-per-k', 'mark-rule');
      assert.equal(rules.length, 4, 'one rule per panel');
      const chosenPoints = points.filter((point) => point.label.startsWith(`k ${chosenK}, `));
      const otherPoints = points.filter((point) => !point.label.startsWith(`k ${chosenK}, `));
      for (const rule of rules) {
        assert.equal(rule.label, `chosen k ${chosenK}`);
        const ruleX = rule.x + rule.width / 2;
        assert.ok(
          chosenPoints.some((point) => Math.abs(point.x + point.width / 2 - ruleX) < 1.5),
          `rule at x ${ruleX} on a point of k ${chosenK}`,
        );
        assert.ok(
          otherPoints.every((point) => Math.abs(point.x + point.width / 2 - ruleX) > 5),
          'and on no other k',
        );
      }
    });

    it('the centroid heatmap has a cell per cluster and feature holding exactly the centroid in original units that GraphQL returns', async () => {
      const cells = await marksOf(page, 'centroids', 'mark-rect');
      const features = run.params.featureColumns;
      assert.equal(cells.length, run.centroids!.length * features.length);
      const drawn = new Map(
        cells.map((cell) => {
          const [, cluster, feature, value] = /^cluster (\d+), feature (\d+): (.+)$/.exec(cell.label)!;
          return [`${cluster}/${feature}`, Number(value)];
        }),
      );
      for (const centroid of run.centroids!) {
        centroid.original.forEach((value, feature) =>
          assert.equal(drawn.get(`${centroid.cluster}/${feature}`), value, `cluster ${centroid.cluster} ${features[feature]}`),
        );
      }
      const axisLabels = await page.$$eval('#chart-centroids g.role-axis-label text', textsOf);
      for (const [index, feature] of features.entries()) assert.ok(axisLabels.includes(`${index + 1}. ${feature}`), `axis label ${feature}`);
    });

    it("by default every row (150 < 2,000) is a point on the principal components, in its run's cluster, one colour per cluster", async () => {
      const points = await marksOf(page, 'sample-points', 'mark-symbol');
      assert.equal(points.length, assignments.size);
      const colours = new Map<number, Set<string | null>>();
      for (const point of points) {
        const [, key, cluster] = /^(.+): cluster (\d+)$/.exec(point.label)!;
        assert.equal(Number(cluster), assignments.get(key!), `key ${key}`);
        colours.set(Number(cluster), (colours.get(Number(cluster)) ?? new Set()).add(point.fill));
      }
      assert.equal(colours.size, run.kSelection!.chosenK);
      assert.ok(
        [...colours.values()].every((fills) => fills.size === 1),
        'one colour a cluster',
      );
      assert.equal(new Set([...colours.values()].map((fills) => [...fills][0])).size, colours.size, 'a colour of its own');
      const counts = [...colours.keys()].sort().map((cluster) => points.filter((point) => point.label.endsWith(`: cluster ${cluster}`)).length);
      assert.deepEqual(counts, run.clusterSizes);
      const titles = await page.$$eval('#chart-sample-points g.role-axis-title text', textsOf);
      assert.ok(titles.some((title) => title.startsWith('PC1 (')) && titles.some((title) => title.startsWith('PC2 (')), titles.join(' | '));
    });

    it('with x, y and sample=40, the chart draws 40 points of the two features, each in its cluster, the same 40 on every load', async () => {
      await open('?x=petal_length&y=petal_width&sample=40');
      await page.screenshot({ path: path.join(output, `${target.tag}-sample-40.png`), fullPage: true });
      const points = await marksOf(page, 'sample-points', 'mark-symbol');
      assert.equal(points.length, 40);
      for (const point of points) {
        const [, key, cluster] = /^(.+): cluster (\d+)$/.exec(point.label)!;
        assert.equal(Number(cluster), assignments.get(key!), `key ${key}`);
      }
      const titles = await page.$$eval('#chart-sample-points g.role-axis-title text', textsOf);
      assert.ok(titles.includes('petal_length') && titles.includes('petal_width'), titles.join(' | '));
      await open('?x=petal_length&y=petal_width&sample=40');
      const again = await marksOf(page, 'sample-points', 'mark-symbol');
      assert.deepEqual(
        again.map((point) => point.label),
        points.map((point) => point.label),
      );
    });

    it('a hostile dataset name reads back as the same text in the heading, and the page has no element of its markup and opens no dialog', async () => {
      const input = registerInput({ name: HOSTILE_NAME, table: 'iris', keyColumns: ['sample_id'], featureColumns: ['petal_length', 'petal_width'] });
      const hostileId = dataOf(await server.graphql(RegisterDatasetDocument, { input }), 'register').registerDataset.id;
      const started = await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: hostileId, k: 2, seed: 9, publishOutcomes: false }) });
      const id = dataOf(started, 'start hostile').startModelRun.id;
      assert.equal((await waitForRun(server, id)).status, 'SUCCEEDED');
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const response = await page.goto(`${server.url}/runs/${id}`, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);
      await page.screenshot({ path: path.join(output, `${target.tag}-hostile-name.png`), fullPage: true });
      assert.equal(await page.$eval('#dataset-name', (heading: unknown) => (heading as DomElement).textContent), `Run report: ${HOSTILE_NAME}`);
      assert.equal(await page.$eval('title', (title: unknown) => (title as DomElement).textContent), `Run report: ${HOSTILE_NAME}`);
      assert.equal(await page.$$eval('script, img, iframe, object, embed', (elements: unknown[]) => elements.length), 0);
      assert.deepEqual(dialogs, []);
    });
  });
}
