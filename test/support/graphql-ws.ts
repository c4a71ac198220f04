import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult } from 'graphql';
import { ModelRunUpdatedDocument } from '../generated/graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { toError } from '../../src/shared/to-error';

/** A graphql-ws client on the server's /graphql (ws://), as a browser or Apollo Client would connect. */
export async function connectGraphqlWs(httpUrl: string): Promise<Client> {
  const client = createClient({ url: `${httpUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
  await new Promise<void>((resolve, reject) => {
    const offConnected = client.on('connected', () => {
      offConnected();
      resolve();
    });
    client.on('error', reject);
  });
  return client;
}

/** One request over the socket (a query or mutation), answered once. */
export function requestOverWs<TResult, TVariables>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<FormattedExecutionResult<TResult>> {
  return new Promise((resolve, reject) => {
    let result: FormattedExecutionResult<TResult> | undefined;
    client.subscribe<TResult>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => (result = value as FormattedExecutionResult<TResult>),
        error: reject,
        complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
      },
    );
  });
}

/**
 * Subscribes and collects every event until `last(event)` holds (then unsubscribes). `done` fails on
 * a subscription error, an event with errors, or when nothing ends it within `boundMs`.
 */
export function collectUntil<TResult, TVariables>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  last: (event: TResult) => boolean,
  boundMs = 60_000,
): { events: TResult[]; done: Promise<TResult[]> } {
  const events: TResult[] = [];
  const done = new Promise<TResult[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`the subscription did not end within ${boundMs} ms; events: ${JSON.stringify(events)}`));
    }, boundMs);
    const unsubscribe = client.subscribe<TResult>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => {
          try {
            assert.equal(value.errors, undefined, JSON.stringify(value.errors));
            const event = value.data as TResult;
            events.push(event);
            if (last(event)) {
              clearTimeout(timer);
              unsubscribe();
              resolve(events);
            }
          } catch (error) {
            clearTimeout(timer);
            unsubscribe();
            reject(toError(error));
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => {
          clearTimeout(timer);
          reject(new Error(`the subscription completed before its last event; events: ${JSON.stringify(events)}`));
        },
      },
    );
  });
  return { events, done };
}

/** How a subscription ended: every event, then `complete` from the server, or the error it ended with. */
export interface SubscriptionOutcome<TResult> {
  readonly events: FormattedExecutionResult<TResult>[];
  readonly ending: 'complete' | { readonly error: unknown };
}

/**
 * Subscribes and waits for the server to end the subscription (`complete` or `error`). The bound only
 * turns a subscription that never ends into a failure instead of a hang.
 */
export function untilServerEnds<TResult, TVariables>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  boundMs = 60_000,
): Promise<SubscriptionOutcome<TResult>> {
  const events: FormattedExecutionResult<TResult>[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`the server did not end the subscription within ${boundMs} ms; events: ${JSON.stringify(events)}`));
    }, boundMs);
    const unsubscribe = client.subscribe<TResult>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => events.push(value as FormattedExecutionResult<TResult>),
        error: (error) => {
          clearTimeout(timer);
          resolve({ events, ending: { error } });
        },
        complete: () => {
          clearTimeout(timer);
          resolve({ events, ending: 'complete' });
        },
      },
    );
  });
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/**
 * A graphql-ws client with `connectionParams` in connection_init, never retrying. `connected` resolves
 * on connection_ack; `closed` with the close code once the socket closes.
 */
export function wsClient(httpUrl: string, connectionParams: Record<string, unknown>): { client: Client; acknowledged: () => boolean; closed: Promise<Closed> } {
  let acknowledged = false;
  // Assigned at once: a promise's executor runs synchronously.
  let onClosed!: (closed: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: `${httpUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: true,
    retryAttempts: 0,
    on: {
      connected: () => (acknowledged = true),
      closed: (event) => {
        const { code, reason } = event as Closed;
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  return { client, acknowledged: () => acknowledged, closed };
}

/** Subscribes to modelRunUpdated(id) expecting the connection to be refused: every next and the error it ends with. */
export function refusedSubscription(client: Client, runId: string): Promise<{ events: unknown[]; error: unknown }> {
  return new Promise((resolve) => {
    const events: unknown[] = [];
    client.subscribe(
      { query: print(ModelRunUpdatedDocument), variables: { id: runId } },
      {
        next: (value) => events.push(value),
        error: (error) => resolve({ events, error }),
        complete: () => resolve({ events, error: null }),
      },
    );
  });
}

/** A subscription being watched: its results so far, and how the server ended it. */
export interface ObservedSubscription<TResult> {
  readonly events: FormattedExecutionResult<TResult>[];
  /** Resolves when the server ends the subscription: `complete`, or the error it ended with. */
  readonly ending: Promise<SubscriptionOutcome<TResult>['ending']>;
  /** Unsubscribes (when the test gives up on it). */
  stop(): void;
}

/** Subscribes and records each result as it arrives, so a test can look at them before the end. */
export function observeSubscription<TResult, TVariables>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): ObservedSubscription<TResult> {
  const events: FormattedExecutionResult<TResult>[] = [];
  let stop!: () => void;
  const ending = new Promise<SubscriptionOutcome<TResult>['ending']>((resolve) => {
    stop = client.subscribe<TResult>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => events.push(value as FormattedExecutionResult<TResult>),
        error: (error) => resolve({ error }),
        complete: () => resolve('complete'),
      },
    );
  });
  return { events, ending, stop };
}
