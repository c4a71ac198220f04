/**
 * Every `event.action` the server writes to the trace, each with what it records: the one list the
 * writers (TraceDocument's type), the GraphQL enum TraceAction and the Kibana objects read. A new
 * action goes here first; nothing can write one that is missing.
 */
export const TRACE_ACTIONS = {
  'run-started': 'The run was queued: its parameters and dataset.',
  'run-claimed': 'A server claimed the run from the queue (one per attempt).',
  'run-requeued': 'The run went back to the queue after its server stopped beating on it.',
  preparation: 'The input as the run read it: rows read and dropped, scaling, and a profile of every feature.',
  iteration: 'One k-means iteration: k, restart, inertia, centroid shift and cluster sizes.',
  'k-evaluated': 'The scores of one value of k tried by a kRange run.',
  cluster: 'One cluster of a succeeded run: its size and centroid in the features’ own units.',
  'run-succeeded': 'The run ended with results: metrics and centroids.',
  'outcomes-published': 'The run’s outcomes were UPSERTed into the outcome table.',
  'outcomes-publish-failed': 'Publishing the run’s outcomes failed; the run keeps its results.',
  'run-failed': 'The run ended with an error.',
  'run-cancelled': 'The run was cancelled.',
  'run-summary': 'The run as it is now, replaced at each step (the runs index, not the run’s trace).',
  'graphql-operation': 'One GraphQL operation: its name, type, error codes and duration.',
} as const;

export type TraceAction = keyof typeof TRACE_ACTIONS;

/** ECS `event.outcome`: the values ECS allows, and what each means here. */
export const TRACE_OUTCOMES = {
  success: 'The step succeeded.',
  failure: 'The step failed, or the run ended without results (failed or cancelled).',
  unknown: 'Not known yet: the run has not ended.',
} as const;

export type TraceOutcome = keyof typeof TRACE_OUTCOMES;
