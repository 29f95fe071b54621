/**
 * Mapping hot-reload: watches the mappings directory, and on a change loads, compiles and
 * checks the whole set again. A broken set is rejected with every problem logged and the
 * previous table keeps serving; a good one replaces the table in one assignment, so a request
 * already running finishes on the table it started with and none is dropped.
 */
import { watch, type FSWatcher } from 'node:fs';
import { loadMappings, formatProblem, MappingLoadError } from '../mapping/load';
import { checkMappingSet } from '../mapping/check';
import { buildRouteTable, type RouteTable, type Runtime } from '../runtime';

/** Loads, compiles and statically checks a mappings directory; throws listing every problem. */
export function loadCheckedTable(dir: string, rt: Pick<Runtime, 'registry'>): RouteTable {
  const set = loadMappings(dir);
  const problems = checkMappingSet(set, rt.registry);
  if (problems.length > 0) throw new MappingLoadError(problems);
  return buildRouteTable(set);
}

/** The last hot reload's result, per runtime (the operator console shows it). */
export interface ReloadStatus {
  at: Date;
  ok: boolean;
  problems: string[];
}
const lastReloads = new WeakMap<Runtime, ReloadStatus>();

export function lastReload(rt: Runtime): ReloadStatus | undefined {
  return lastReloads.get(rt);
}

export function reloadMappings(rt: Runtime): boolean {
  try {
    rt.table = loadCheckedTable(rt.config.mappings, rt);
    rt.logger.info('mappings reloaded', { routes: [...rt.table.byId.keys()] });
    lastReloads.set(rt, { at: new Date(), ok: true, problems: [] });
    return true;
  } catch (e) {
    const problems = e instanceof MappingLoadError ? e.problems.map(formatProblem) : [(e as Error).message];
    rt.logger.error('mapping reload rejected; previous mappings keep serving', { problems });
    lastReloads.set(rt, { at: new Date(), ok: false, problems });
    return false;
  }
}

export function watchMappings(rt: Runtime, debounceMs = 150): FSWatcher {
  let timer: NodeJS.Timeout | undefined;
  // Recursive: the shared code tables live in codes/ under the mappings directory.
  const w = watch(rt.config.mappings, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => reloadMappings(rt), debounceMs);
  });
  w.on('error', (e) => rt.logger.error('mapping watcher failed', { error: e.message }));
  w.unref();
  return w;
}
