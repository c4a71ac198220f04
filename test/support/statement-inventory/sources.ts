import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { OracleDialect } from '../../../src/datastore/dialects/oracle';
import { BUILDER_MODULES } from './expectations';

/**
 * TESTS ONLY: what the statement inventory holds, found by reflection over the compiled code, so that a
 * new method or class is in it the moment it exists.
 * - `dialect`: every method the Oracle-family dialect classes (OracleDialect and every class under
 *   src/datastore/dialects/ that extends it) run, keyed by the class that defines it
 *   (`SqlDialect.compileCreateTable`, `TiberoDialect.serverVersionStatement`).
 * - `builder`: every method of the classes, and every function, that the files writing SQL text outside
 *   the dialects export (every `*.repository.ts` under src/modules/, and BUILDER_MODULES).
 */
export interface StatementSource {
  /** `Class.method`, or `<file>.<function>` for an exported function. */
  readonly key: string;
  readonly family: 'dialect' | 'builder';
  readonly method: string;
  /** The prototype or module exports the method lives on. */
  readonly holder: Record<string, unknown>;
  /** An accessor, which the inventory does not inspect (it reports one as a problem). */
  readonly accessor: boolean;
}

const ROOT = path.resolve(__dirname, '../../../..');
const load = createRequire(__filename);

type Exports = Record<string, unknown>;
export type Constructor = abstract new (...args: never[]) => unknown;

export function statementSources(): StatementSource[] {
  return [...dialectSources(), ...builderSources()];
}

/** The dialect classes of the Oracle family, OracleDialect first. */
export function oracleFamilyClasses(): Constructor[] {
  const classes = new Set<Constructor>([OracleDialect]);
  for (const file of compiledFiles('src/datastore/dialects', /\.ts$/)) {
    for (const value of Object.values(load(file) as Exports)) {
      if (isClass(value) && value.prototype instanceof OracleDialect) classes.add(value);
    }
  }
  return [...classes];
}

/** The methods the given dialect classes run, each under the class that defines it. */
export function dialectSources(classes: readonly Constructor[] = oracleFamilyClasses()): StatementSource[] {
  const sources = new Map<string, StatementSource>();
  for (const dialectClass of classes) {
    // The first definition up the chain is the one the class runs; one further up is shadowed.
    const shadowed = new Set<string>(['constructor']);
    for (
      let prototype = dialectClass.prototype as Exports | null;
      prototype && prototype !== Object.prototype;
      prototype = Object.getPrototypeOf(prototype) as Exports | null
    ) {
      const owner = (prototype.constructor as { name: string }).name;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        if (shadowed.has(method)) continue;
        shadowed.add(method);
        const key = `${owner}.${method}`;
        if (!sources.has(key)) sources.set(key, source(key, 'dialect', method, prototype));
      }
    }
  }
  return [...sources.values()];
}

function builderSources(): StatementSource[] {
  const sources: StatementSource[] = [];
  for (const file of builderFiles()) {
    const exports = load(file) as Exports;
    for (const [name, value] of Object.entries(exports)) {
      if (isClass(value)) {
        const prototype = value.prototype as Exports;
        for (const method of Object.getOwnPropertyNames(prototype).filter((property) => property !== 'constructor')) {
          sources.push(source(`${value.name}.${method}`, 'builder', method, prototype));
        }
      } else if (typeof value === 'function') {
        sources.push(source(`${path.basename(file, '.js')}.${name}`, 'builder', name, exports));
      }
    }
  }
  return sources;
}

/** The compiled files of the SQL writers outside the dialects. */
export function builderFiles(): string[] {
  return [...compiledFiles('src/modules', /\.repository\.ts$/), ...BUILDER_MODULES.map(compiled)];
}

function source(key: string, family: StatementSource['family'], method: string, holder: Exports): StatementSource {
  const descriptor = Object.getOwnPropertyDescriptor(holder, method);
  return { key, family, method, holder, accessor: descriptor?.get !== undefined || descriptor?.set !== undefined };
}

/** The compiled copies of the sources under `folder` (from the sources: a deleted file's copy may linger in dist/). */
function compiledFiles(folder: string, pattern: RegExp): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => pattern.test(file) && !file.endsWith('.d.ts'))
    .sort()
    .map((file) => compiled(path.join(folder, file)));
}

function compiled(sourceFile: string): string {
  return path.join(ROOT, 'dist', sourceFile.replace(/\.ts$/, '.js'));
}

function isClass(value: unknown): value is Constructor {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}
