import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { GraphqlContext } from '../../graphql/context';
import { operationLabel } from '../../metrics/operation-label';
import { refusalOf } from '../../metrics/refusal';
import { promiseOf } from '../../shared/promise-of';
import { MILLISECONDS_TO_NANOSECONDS } from '../../telemetry/trace-document';
import { DEFAULT_REFUSED_SAMPLE_RATE, type GraphqlTracePluginOptions } from './options';

/**
 * Records every GraphQL operation as an ECS event (event.category web, action graphql-operation),
 * refused or anonymous ones only at `refusedSampleRate`. It only queues the document: the response
 * never waits for the search engine.
 */
export function graphqlTracePlugin(options: GraphqlTracePluginOptions): ApolloServerPlugin<GraphqlContext> {
  const sampleRate = options.refusedSampleRate ?? DEFAULT_REFUSED_SAMPLE_RATE;
  const random = options.random ?? Math.random;
  return {
    requestDidStart({ contextValue }) {
      const started = Date.now();
      const startedAt = process.hrtime.bigint();
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
            options.recorder.record({
              _id: randomUUID(),
              _target: 'events',
              '@timestamp': new Date(started).toISOString(),
              event: {
                kind: 'event',
                category: ['web'],
                type: ['access'],
                action: 'graphql-operation',
                outcome: codes.length > 0 ? 'failure' : 'success',
                duration: Number(process.hrtime.bigint() - startedAt),
              },
              service: options.service,
              http: { request: { id: contextValue.requestId } },
              labels: { request_id: contextValue.requestId },
              aimodel: {
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
