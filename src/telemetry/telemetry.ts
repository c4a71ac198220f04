import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '../logging/logger';
import { createElasticsearchClient, ElasticsearchSink } from './elasticsearch-sink';
import { FileSink } from './file-sink';
import type { TraceOptions } from './options';
import { Spool } from './spool';
import { ElasticsearchTraceReader, FileTraceReader, type TraceReader } from './trace-reader';
import { TraceWriter } from './trace-writer';

export interface Telemetry {
  readonly writer: TraceWriter;
  /** The Elasticsearch client when ELASTICSEARCH_URL is set; null on the file sink. */
  readonly client: Client | null;
  readonly reader: TraceReader;
  readonly options: TraceOptions;
}

/** Elasticsearch with an on-disk spool when ELASTICSEARCH_URL is set; rolling NDJSON files otherwise. */
export function createTelemetry(options: TraceOptions, logger: Logger): Telemetry {
  const log = logger.child({ component: 'trace' });
  const client = options.elasticsearchUrl ? createElasticsearchClient(options) : null;
  const writer = client
    ? new TraceWriter(new ElasticsearchSink(client, options), new Spool(`${options.fileDirectory}/spool`), options, log)
    : new TraceWriter(
        new FileSink(options.fileDirectory, options.fileMaxBytes, {
          maxAgeDays: options.fileRetentionDays,
          maxTotalBytes: options.fileMaxTotalBytes,
          onError: (error) =>
            log.warn({ err: error instanceof Error ? error.message : String(error) }, 'trace file retention failed; tried again within the hour'),
        }),
        null,
        options,
        log,
      );
  return {
    writer,
    client,
    reader: client ? new ElasticsearchTraceReader(client, options) : new FileTraceReader(options.fileDirectory),
    options,
  };
}
