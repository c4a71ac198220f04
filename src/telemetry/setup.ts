import type { Client } from '@elastic/elasticsearch';
import type { TraceOptions } from './options';
import {
  ECS_COMPONENT,
  ecsComponent,
  ILM_POLICY,
  ilmPolicy,
  MODEL_COMPONENT,
  modelComponent,
  RUNS_TEMPLATE,
  runsIndexTemplate,
  TRACE_TEMPLATE,
  traceIndexTemplate,
} from './templates';

export interface SetupReport {
  readonly steps: string[];
}

/**
 * Creates (or updates — every call is a PUT) the ILM policy, the component templates, the index
 * templates, and the runs index. Safe to run any number of times. The data stream itself appears with
 * its first document.
 */
export async function setupElasticsearch(client: Client, options: TraceOptions): Promise<SetupReport> {
  const steps: string[] = [];
  const ilm = options.ilm;
  if (ilm) {
    await client.ilm.putLifecycle({ name: ILM_POLICY, policy: ilmPolicy });
    steps.push(`ILM policy ${ILM_POLICY}`);
  }
  await client.cluster.putComponentTemplate({ name: ECS_COMPONENT, ...ecsComponent });
  await client.cluster.putComponentTemplate({ name: MODEL_COMPONENT, ...modelComponent });
  steps.push(`component templates ${ECS_COMPONENT}, ${MODEL_COMPONENT}`);
  await client.indices.putIndexTemplate({ name: TRACE_TEMPLATE, ...traceIndexTemplate(options, ilm) });
  await client.indices.putIndexTemplate({ name: RUNS_TEMPLATE, ...runsIndexTemplate(options) });
  steps.push(`index templates ${TRACE_TEMPLATE}, ${RUNS_TEMPLATE}`);
  if (!(await client.indices.exists({ index: options.runsIndex }))) {
    await client.indices.create({ index: options.runsIndex });
    steps.push(`index ${options.runsIndex}`);
  }
  return { steps };
}
