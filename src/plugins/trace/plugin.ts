import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { GraphqlContext } from '../../graphql/context';
import { operationLabel } from '../../metrics/operation-label';
import { refusalOf } from '../../metrics/refusal';
import { promiseOf } from '../../shared/promise-of';
import { ECS_VERSION, GRAPHQL_OPERATION_ACTION, MILLISECONDS_TO_NANOSECONDS } from '../../telemetry/trace-document';
import { DEFAULT_REFUSED_SAMPLE_RATE, DEFAULT_RUN_TYPE_NAME, type GraphqlTracePluginOptions } from './options';
import { OperationRuns, watchRunRootFields } from './run-ids';

/**
 * Records every GraphQL operation as an ECS event (event.category web, action graphql-operation),
 * refused or anonymous ones only at `refusedSampleRate`. It only queues the document: the response
 * never waits for the search engine. An operation on runs names them in aimodel.run.id, and one on
 * exactly one run also in labels.run_id, which ModelRun.kibanaUrl filters the dashboard on. (Not in
 * trace.id: that stays the run's own events, which ModelRun.trace reads.)
 */
export function graphqlTracePlugin(options: GraphqlTracePluginOptions): ApolloServerPlugin<GraphqlContext> {
  const sampleRate = options.refusedSampleRate ?? DEFAULT_REFUSED_SAMPLE_RATE;
  const random = options.random ?? Math.random;
  const runTypeName = options.runTypeName ?? DEFAULT_RUN_TYPE_NAME;
  return {
    serverWillStart({ schema }) {
      watchRunRootFields(schema, runTypeName);
      return Promise.resolve();
    },
    requestDidStart({ contextValue }) {
      const started = Date.now();
      const startedAt = process.hrtime.bigint();
      const runs = new OperationRuns();
      runs.attachTo(contextValue);
      return Promise.resolve({
        willSendResponse({ operationName, operation, errors, response }) {
          return promiseOf(() => {
            const introspection = operation?.selectionSet.selections.every(
              (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
            );
            if (introspection && !options.includeIntrospection) return;
            const fieldErrors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
            const codes = [...(errors ?? []).map((error) => error.extensions?.code), ...fieldErrors.map((error) => error.extensions?.code)].filter(
              (code): code is string => typeof code === 'string',
            );
            if (refusalOf(codes, contextValue.identity) !== null && !(random() < sampleRate)) return;
            const runIds = runs.list();
            const runId = runIds.length === 1 ? runIds[0] : undefined;
            options.recorder.record({
              _id: randomUUID(),
              _target: 'events',
              '@timestamp': new Date(started).toISOString(),
              event: {
                kind: 'event',
                category: ['web'],
                type: ['access'],
                action: GRAPHQL_OPERATION_ACTION,
                outcome: codes.length > 0 ? 'failure' : 'success',
                duration: Number(process.hrtime.bigint() - startedAt),
              },
              service: options.service,
              ecs: { version: ECS_VERSION },
              http: { request: { id: contextValue.requestId } },
              labels: { request_id: contextValue.requestId, ...(runId ? { run_id: runId } : {}) },
              aimodel: {
                ...(runIds.length > 0 ? { run: { id: runIds } } : {}),
                graphql: {
                  operation_name: operationLabel(operationName),
                  operation_type: operation?.operation ?? 'unknown',
                  error_codes: [...new Set(codes)],
                  duration_ms: Number(process.hrtime.bigint() - startedAt) / MILLISECONDS_TO_NANOSECONDS,
                },
              },
            });
          });
        },
      });
    },
  };
}
