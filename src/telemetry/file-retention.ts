import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DAILY_FILE, RUNS_FOLDER } from './trace-files';

export interface RetentionPolicy {
  /** Files last written longer ago are deleted; 0 keeps them (TRACE_FILE_RETENTION_DAYS). */
  readonly maxAgeDays: number;
  /** Past this total, the files last written longest ago are deleted; 0 sets no cap (TRACE_FILE_MAX_TOTAL_BYTES). */
  readonly maxTotalBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the trace files (daily and per-run) the policy no longer keeps: first those last written
 * before now − maxAgeDays, then, oldest first, as many as take the total under maxTotalBytes. `inUse`
 * (the daily file being written) is never deleted. Returns the deleted paths. Age is the file's last
 * write (mtime), which for a daily file lies within its day and for a run file at its run's end.
 */
export async function sweepTraceFiles(directory: string, policy: RetentionPolicy, now: Date, inUse?: string): Promise<string[]> {
  const files = await traceFiles(directory);
  const deleted: string[] = [];
  const remove = async (file: TraceFile) => {
    // Gone already (another sweep, a restart's cleanup): nothing to count.
    await unlink(file.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    deleted.push(file.path);
  };
  const kept: TraceFile[] = [];
  const oldest = policy.maxAgeDays > 0 ? now.getTime() - policy.maxAgeDays * DAY_MS : -Infinity;
  for (const file of files) {
    if (file.path !== inUse && file.modifiedMs < oldest) await remove(file);
    else kept.push(file);
  }
  if (policy.maxTotalBytes > 0) {
    let total = kept.reduce((sum, file) => sum + file.bytes, 0);
    for (const file of kept.sort((a, b) => a.modifiedMs - b.modifiedMs)) {
      if (total <= policy.maxTotalBytes) break;
      if (file.path === inUse) continue;
      await remove(file);
      total -= file.bytes;
    }
  }
  return deleted;
}

interface TraceFile {
  readonly path: string;
  readonly bytes: number;
  readonly modifiedMs: number;
}

async function traceFiles(directory: string): Promise<TraceFile[]> {
  const names = async (folder: string, pattern: RegExp) =>
    (await readdir(folder).catch(() => [] as string[])).filter((name) => pattern.test(name)).map((name) => path.join(folder, name));
  const paths = [...(await names(directory, DAILY_FILE)), ...(await names(path.join(directory, RUNS_FOLDER), /\.ndjson$/))];
  const files: TraceFile[] = [];
  for (const file of paths) {
    const info = await stat(file).catch(() => null);
    if (info?.isFile()) files.push({ path: file, bytes: info.size, modifiedMs: info.mtimeMs });
  }
  return files;
}
