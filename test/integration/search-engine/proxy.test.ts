/**
 * The unmodified Elasticsearch 8 client against the real OpenSearch 2.19 node (scripts/services/
 * opensearch.sh), through test/support/elastic-proxy.ts: which Elasticsearch APIs the search-engine
 * tests can rely on, and which OpenSearch lacks (ILM; those tests assert the refusal so that the gap
 * stays documented and a change in it is noticed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, errors } from '@elastic/elasticsearch';
import { openSearchUrl, searchEngineUrl } from '../../support/search-engine';

// One namespace per run, so a run never meets another run's leftovers (the node's data folder is also
// wiped at every start).
const prefix = `aimodel-proxy-${process.pid}-${Date.now().toString(36)}`;
const componentTemplate = `${prefix}-mappings`;
const indexTemplate = `${prefix}-events-template`;
const dataStream = `${prefix}-events-ds`;
const plainIndex = `${prefix}-docs`;
const DOCUMENTS = 1_000;

interface EventDocument {
  '@timestamp': string;
  seq: number;
  kind: string;
  message: string;
}

function documents(count: number): EventDocument[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return Array.from({ length: count }, (_, seq) => ({
    '@timestamp': new Date(start + seq * 1000).toISOString(),
    seq,
    kind: seq % 2 === 0 ? 'even' : 'odd',
    message: `event number ${seq}`,
  }));
}

const idOf = (document: EventDocument): string => `evt-${String(document.seq).padStart(5, '0')}`;

/** What a promise rejected with; fails the test if it resolved instead. */
async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail(`${what} resolved, expected it to reject`);
}

describe('Elasticsearch 8 client on OpenSearch through the test proxy', () => {
  let client: Client;

  before(async () => {
    client = new Client({ node: await searchEngineUrl(), requestTimeout: 60_000 });
  });

  after(async () => {
    // Best effort: the node's data is wiped at the next start anyway.
    const quiet = { ignore: [404] };
    await client.indices.deleteDataStream({ name: dataStream }, quiet).catch(() => undefined);
    await client.indices.deleteIndexTemplate({ name: indexTemplate }, quiet).catch(() => undefined);
    await client.cluster.deleteComponentTemplate({ name: componentTemplate }, quiet).catch(() => undefined);
    await client.indices.delete({ index: plainIndex }, quiet).catch(() => undefined);
    await client.close();
  });

  test('without the proxy the client refuses OpenSearch (the reason the proxy exists)', async () => {
    const direct = new Client({ node: openSearchUrl() });
    try {
      const error = await rejection(direct.info(), 'info() straight to OpenSearch');
      assert.ok(error instanceof errors.ProductNotSupportedError, `expected ProductNotSupportedError, got ${String(error)}`);
    } finally {
      await direct.close();
    }
  });

  test('info() reports the OpenSearch node', async () => {
    const info = await client.info();
    assert.equal(info.cluster_name, 'aimodel-test');
    // The proxy leaves the root document alone: the v8 client does not check the version.
    assert.equal((info.version as { distribution?: string }).distribution, 'opensearch');
    assert.match(info.version.number, /^2\.19\.\d+$/);
    const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: '30s' });
    assert.notEqual(health.status, 'red');
  });

  test('component template, composable index template and data stream', async () => {
    const component = await client.cluster.putComponentTemplate({
      name: componentTemplate,
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          dynamic: 'strict',
          properties: {
            '@timestamp': { type: 'date' },
            seq: { type: 'integer' },
            kind: { type: 'keyword' },
            message: { type: 'text' },
          },
        },
      },
    });
    assert.equal(component.acknowledged, true);

    const template = await client.indices.putIndexTemplate({
      name: indexTemplate,
      index_patterns: [`${prefix}-events-*`],
      data_stream: {},
      composed_of: [componentTemplate],
      priority: 500,
    });
    assert.equal(template.acknowledged, true);

    const fetchedComponent = await client.cluster.getComponentTemplate({ name: componentTemplate });
    assert.deepEqual(
      fetchedComponent.component_templates.map((t) => t.name),
      [componentTemplate],
    );
    const fetchedTemplate = await client.indices.getIndexTemplate({ name: indexTemplate });
    assert.deepEqual(fetchedTemplate.index_templates[0]?.index_template.composed_of, [componentTemplate]);

    assert.equal((await client.indices.createDataStream({ name: dataStream })).acknowledged, true);
    const streams = await client.indices.getDataStream({ name: dataStream });
    assert.equal(streams.data_streams.length, 1);
    assert.equal(streams.data_streams[0]?.name, dataStream);
    assert.equal(streams.data_streams[0]?.template, indexTemplate);
    assert.equal(streams.data_streams[0]?.indices.length, 1);
  });

  test(`helpers.bulk: ${DOCUMENTS} documents with explicit _id into the data stream (op_type create)`, async () => {
    const data = documents(DOCUMENTS);
    const dropped: unknown[] = [];
    const stats = await client.helpers.bulk<EventDocument>({
      datasource: data,
      onDocument: (document) => ({ create: { _index: dataStream, _id: idOf(document) } }),
      onDrop: (drop) => dropped.push(drop),
      refreshOnCompletion: dataStream,
    });
    assert.deepEqual(dropped, []);
    assert.equal(stats.successful, DOCUMENTS);
    assert.equal(stats.failed, 0);

    assert.equal((await client.count({ index: dataStream })).count, DOCUMENTS);
    const page = await client.search<EventDocument>({
      index: dataStream,
      query: { term: { kind: 'odd' } },
      sort: [{ seq: 'asc' }],
      size: 3,
      track_total_hits: true,
    });
    assert.deepEqual(page.hits.total, { value: DOCUMENTS / 2, relation: 'eq' });
    assert.deepEqual(
      page.hits.hits.map((hit) => [hit._id, hit._source?.seq]),
      [
        ['evt-00001', 1],
        ['evt-00003', 3],
        ['evt-00005', 5],
      ],
    );
    assert.match(page.hits.hits[0]?._index ?? '', /^\.ds-/); // documents live in the backing index

    // create with an _id that exists is refused per document (409), which makes re-sending a batch safe.
    const again: { status: number; type: string | undefined }[] = [];
    const second = await client.helpers.bulk<EventDocument>({
      datasource: data.slice(0, 5),
      onDocument: (document) => ({ create: { _index: dataStream, _id: idOf(document) } }),
      onDrop: (drop) => again.push({ status: drop.status, type: drop.error?.type }),
    });
    assert.equal(second.failed, 5);
    assert.deepEqual(again, Array(5).fill({ status: 409, type: 'version_conflict_engine_exception' }));

    // Data streams are append-only: `index` without op_type create is refused.
    const indexAction: { status: number; reason: string | undefined | null }[] = [];
    await client.helpers.bulk<EventDocument>({
      datasource: data.slice(0, 1),
      onDocument: (document) => ({ index: { _index: dataStream, _id: idOf(document) } }),
      onDrop: (drop) => indexAction.push({ status: drop.status, reason: drop.error?.reason }),
    });
    assert.equal(indexAction.length, 1);
    assert.equal(indexAction[0]?.status, 400);
    assert.match(indexAction[0]?.reason ?? '', /op_type of create/);
  });

  test(`helpers.bulk: ${DOCUMENTS} documents with explicit _id into an index, then search and get`, async () => {
    await client.indices.create({
      index: plainIndex,
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: { properties: { seq: { type: 'integer' }, kind: { type: 'keyword' }, message: { type: 'text' } } },
    });
    const data = documents(DOCUMENTS);
    const stats = await client.helpers.bulk<EventDocument>({
      datasource: data,
      onDocument: (document) => ({ create: { _index: plainIndex, _id: idOf(document) } }),
      refreshOnCompletion: plainIndex,
    });
    assert.equal(stats.successful, DOCUMENTS);

    // Overwrite half of them with `index` (allowed on a plain index).
    const overwrite = await client.helpers.bulk<EventDocument>({
      datasource: data.filter((d) => d.seq % 2 === 0).map((d) => ({ ...d, message: `rewritten ${d.seq}` })),
      onDocument: (document) => ({ index: { _index: plainIndex, _id: idOf(document) } }),
      refreshOnCompletion: plainIndex,
    });
    assert.equal(overwrite.successful, DOCUMENTS / 2);

    assert.equal((await client.count({ index: plainIndex })).count, DOCUMENTS);
    const found = await client.search<EventDocument>({
      index: plainIndex,
      query: { match: { message: 'rewritten' } },
      size: 0,
      track_total_hits: true,
    });
    assert.deepEqual(found.hits.total, { value: DOCUMENTS / 2, relation: 'eq' });

    const one = await client.get<EventDocument>({ index: plainIndex, id: 'evt-00042' });
    assert.equal(one._source?.message, 'rewritten 42');
    assert.equal(one._version, 2);
  });

  test('ILM is not available on OpenSearch (it has ISM instead): every _ilm call is refused with 400', async () => {
    const put = await rejection(
      client.ilm.putLifecycle({
        name: `${prefix}-policy`,
        policy: { phases: { hot: { actions: { rollover: { max_age: '1d' } } } } },
      }),
      'ilm.putLifecycle',
    );
    assert.ok(put instanceof errors.ResponseError, `expected ResponseError, got ${String(put)}`);
    assert.equal(put.statusCode, 400);
    assert.deepEqual(put.body, { error: `no handler found for uri [/_ilm/policy/${prefix}-policy] and method [PUT]` });

    const get = await rejection(client.ilm.getLifecycle(), 'ilm.getLifecycle');
    assert.ok(get instanceof errors.ResponseError);
    assert.equal(get.statusCode, 400);

    // ... and so is the setting that attaches a policy in an index or component template.
    const setting = await rejection(
      client.cluster.putComponentTemplate({
        name: `${prefix}-ilm-setting`,
        template: { settings: { 'index.lifecycle.name': `${prefix}-policy` } },
      }),
      'a component template with index.lifecycle.name',
    );
    assert.ok(setting instanceof errors.ResponseError);
    assert.equal(setting.statusCode, 400);
    assert.match(JSON.stringify(setting.body), /unknown setting \[index\.lifecycle\.name\]/);
  });
});
