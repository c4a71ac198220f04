/**
 * TESTS ONLY: what Filebeat would do with deploy/filebeat.yml, for the few settings that file uses,
 * as no Filebeat binary runs here. The file is JSON (valid YAML, which Filebeat reads), so JSON.parse
 * reads it. Per trace line: the ndjson parser (fields at the root, `document_id` moved to
 * @metadata._id), the processors in order (add_fields, drop_fields), then the output's `indices`
 * rules (the first whose condition holds; else `index`) and the bulk action libbeat picks (create,
 * or index when @metadata.op_type is "index"). A setting or condition it does not know throws, so
 * the config cannot grow past what the test checks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

type Fields = Record<string, unknown>;
type Condition = Record<string, unknown>;

export interface FilebeatConfig {
  readonly 'filebeat.inputs': readonly {
    readonly type: string;
    readonly id: string;
    readonly paths: readonly string[];
    readonly parsers: readonly { readonly ndjson: { readonly target: string; readonly document_id: string; readonly overwrite_keys: boolean } }[];
    readonly processors: readonly Record<string, Record<string, unknown>>[];
  }[];
  readonly 'output.elasticsearch': {
    readonly index: string;
    readonly indices: readonly { readonly index: string; readonly when: Condition }[];
    readonly [setting: string]: unknown;
  };
  readonly [setting: string]: unknown;
}

export function readFilebeatConfig(file: string): FilebeatConfig {
  return JSON.parse(readFileSync(file, 'utf8')) as FilebeatConfig;
}

/** A field by its dotted path, through nested objects (as libbeat's GetValue reads it). */
function valueAt(fields: Fields, path: string): unknown {
  let node: unknown = fields;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Fields)[part];
  }
  return node;
}

function deleteAt(fields: Fields, path: string): void {
  const parts = path.split('.');
  const parent = parts.length === 1 ? fields : valueAt(fields, parts.slice(0, -1).join('.'));
  if (parent && typeof parent === 'object') delete (parent as Fields)[parts.at(-1)!];
}

/** libbeat's conditions, the kinds the config may use. */
export function holds(condition: Condition, fields: Fields): boolean {
  const entries = Object.entries(condition);
  assert.equal(entries.length, 1, `one condition per object: ${JSON.stringify(condition)}`);
  const [kind, argument] = entries[0]!;
  switch (kind) {
    case 'equals':
      return Object.entries(argument as Fields).every(([path, value]) => valueAt(fields, path) === value);
    case 'has_fields':
      return (argument as string[]).every((path) => valueAt(fields, path) !== undefined);
    case 'not':
      return !holds(argument as Condition, fields);
    case 'and':
      return (argument as Condition[]).every((inner) => holds(inner, fields));
    case 'or':
      return (argument as Condition[]).some((inner) => holds(inner, fields));
    default:
      throw new Error(`condition ${kind} is not one this simulation knows`);
  }
}

export interface Shipped {
  /** The index (or data stream) the output writes the event to. */
  readonly index: string;
  /** How many `indices` rules matched (the first one wins; more than one is a config smell). */
  readonly rulesMatched: number;
  readonly action: 'create' | 'index';
  readonly id: string | undefined;
  readonly source: Fields;
}

/** One line of a trace file, through the input's parser and processors and the output's routing. */
export function ship(config: FilebeatConfig, line: string): Shipped {
  const [input] = config['filebeat.inputs'];
  assert.ok(input && config['filebeat.inputs'].length === 1, 'one input');
  const { ndjson } = input.parsers[0]!;
  assert.equal(ndjson.target, '', 'the documents go to the event root');
  const fields = JSON.parse(line) as Fields;
  const metadata: Fields = {};
  const id = fields[ndjson.document_id];
  if (typeof id === 'string') {
    metadata._id = id;
    delete fields[ndjson.document_id];
  }
  for (const processor of input.processors) {
    const [[kind, settings]] = Object.entries(processor) as [[string, Record<string, unknown>]];
    if (settings.when && !holds(settings.when as Condition, fields)) continue;
    if (kind === 'add_fields') {
      const targetName = typeof settings.target === 'string' ? settings.target : 'fields';
      const target = targetName === '@metadata' ? metadata : ((fields[targetName] ??= {}) as Fields);
      Object.assign(target, settings.fields);
    } else if (kind === 'drop_fields') {
      for (const path of settings.fields as string[]) deleteAt(fields, path);
    } else throw new Error(`processor ${kind} is not one this simulation knows`);
  }
  const output = config['output.elasticsearch'];
  const matching = output.indices.filter((rule) => holds(rule.when, fields));
  return {
    index: matching[0]?.index ?? output.index,
    rulesMatched: matching.length,
    // libbeat: with an _id (or Elasticsearch ≥ 7.5) the action is create unless @metadata.op_type is index.
    action: metadata.op_type === 'index' ? 'index' : 'create',
    id: metadata._id as string | undefined,
    source: fields,
  };
}

/** Whether a file name matches a glob's last segment (`*` only, as the config's paths use). */
export function globMatches(glob: string, name: string): boolean {
  const pattern = glob.split('/').at(-1)!;
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  ).test(name);
}
