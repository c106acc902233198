// `bootwright replicate --master=HOST`: pull objects from a running Cobbler (or bootwright) over XML-RPC, as
// Cobbler's `cobbler replicate` does (cobbler/actions/replicate.py, v3.3.7):
//   - the objects wanted are those matching the --distros/--profiles/--systems/--repos/--images patterns (fnmatch),
//     or all with --sync-all; a system brings its profile, a profile its parents, their distros and repos, a
//     system its image;
//   - --prune removes local objects the master does not have, systems only when system patterns were given;
//   - objects missing here are added, and those that differ are replaced by the master's.
// Cobbler matches objects by uid; bootwright gives its own uids, so objects are matched by name. The data behind
// the objects (install trees, repo mirrors, templates, snippets, triggers, scripts), which Cobbler copies with
// rsync from the master's rsync daemon, is not copied: without --omit-data each is listed as not carried over.

import { asBootwrightError, BootwrightError, quote } from '../errors.js';
import type { InventoryBackend } from '../inventory/backend.js';
import { CobblerClient } from '../koan/cobbler-client.js';
import { compileGlob } from '../model/glob.js';
import type { XmlRpcValue } from '../xmlrpc/codec.js';
import { type CarryOptions, carryObjects, type Step } from './carry-over.js';
import type { CobblerKind, CobblerRecord } from './cobbler-record.js';

/** The kinds replicate.py transfers (OBJ_TYPES); each is asked for with get_<kind>s. */
export const replicatedKinds = [
  'distro',
  'profile',
  'system',
  'repo',
  'image',
  'mgmtclass',
  'package',
  'file',
] as const;
type ReplicatedKind = (typeof replicatedKinds)[number];

export interface ReplicateOptions extends CarryOptions {
  master: string;
  port?: string;
  patterns: Partial<Record<ReplicatedKind, string[]>>;
  syncAll: boolean;
  prune: boolean;
  omitData: boolean;
}

/** Secret values a bootwright master hides from callers without a token (api/secrets.ts): never stored as such. */
const hiddenSecret = '********';

function recordsFrom(kind: CobblerKind, value: XmlRpcValue, source: string): CobblerRecord[] {
  if (!Array.isArray(value))
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `The master answered get_${kind}s with something other than a list.`,
    );
  return value.flatMap((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return [];
    const data = item as Record<string, unknown>;
    return typeof data.name === 'string' ? [{ kind, name: data.name, data, source }] : [];
  });
}

function stringField(record: CobblerRecord | undefined, key: string): string {
  const value = record?.data[key];
  return typeof value === 'string' && value !== '~' && value !== '<<inherit>>' ? value : '';
}

/** Which of the master's objects to bring, by replicate.py's generate_include_map. */
export function includedNames(
  remote: Record<ReplicatedKind, CobblerRecord[]>,
  patterns: ReplicateOptions['patterns'],
  syncAll: boolean,
): Record<ReplicatedKind, Set<string>> {
  const include = Object.fromEntries(replicatedKinds.map((kind) => [kind, new Set<string>()])) as Record<
    ReplicatedKind,
    Set<string>
  >;
  const byName = (kind: ReplicatedKind) => new Map(remote[kind].map((record) => [record.name, record]));
  for (const kind of replicatedKinds) {
    if (syncAll) {
      for (const record of remote[kind]) include[kind].add(record.name);
      continue;
    }
    for (const pattern of patterns[kind] ?? []) {
      const glob = compileGlob(pattern, `--${kind}s pattern`);
      for (const record of remote[kind]) if (glob.test(record.name)) include[kind].add(record.name);
    }
  }
  if (syncAll) return include;
  const systems = byName('system');
  const profiles = byName('profile');
  for (const name of include.system) {
    const profile = stringField(systems.get(name), 'profile');
    if (profile) include.profile.add(profile);
    const image = stringField(systems.get(name), 'image');
    if (image) include.image.add(image);
  }
  let added = true;
  while (added) {
    added = false;
    for (const name of [...include.profile]) {
      const parent = stringField(profiles.get(name), 'parent');
      if (parent && !include.profile.has(parent)) {
        include.profile.add(parent);
        added = true;
      }
    }
  }
  for (const name of include.profile) {
    const profile = profiles.get(name);
    const distro = stringField(profile, 'distro');
    if (distro) include.distro.add(distro);
    const repos = profile?.data.repos;
    if (Array.isArray(repos)) for (const repo of repos) if (typeof repo === 'string') include.repo.add(repo);
  }
  return include;
}

async function fetchRemote(client: CobblerClient): Promise<Record<ReplicatedKind, CobblerRecord[]>> {
  const remote = {} as Record<ReplicatedKind, CobblerRecord[]>;
  for (const kind of replicatedKinds) {
    try {
      remote[kind] = recordsFrom(kind, await client.call(`get_${kind}s`), client.apiUrl);
    } catch (error) {
      // A master without a kind (bootwright before image objects, say) has none of it to give.
      const core = kind === 'distro' || kind === 'profile' || kind === 'system' || kind === 'repo';
      if (core || !/Unknown XML-RPC method/.test(asBootwrightError(error).message)) throw error;
      remote[kind] = [];
    }
  }
  return remote;
}

function withoutHiddenSecrets(record: CobblerRecord, note: (detail: string) => void): CobblerRecord {
  const data = { ...record.data };
  for (const [key, value] of Object.entries(data)) {
    if (value === hiddenSecret) {
      delete data[key];
      note(`field ${key} is hidden by the master to callers without a token; set it here by hand.`);
    }
  }
  return { ...record, data };
}

export async function replicate(backend: InventoryBackend, options: ReplicateOptions): Promise<Step[]> {
  const anyPattern = replicatedKinds.some((kind) => (options.patterns[kind] ?? []).length > 0);
  if (!anyPattern && !options.syncAll) {
    throw new BootwrightError(
      'E_USAGE',
      'Nothing to replicate: name what to bring with --distros, --profiles, --systems, --repos or --images patterns, or pass --sync-all.',
    );
  }
  const client = await CobblerClient.connect(options.master, options.port);
  const remote = await fetchRemote(client);
  const include = includedNames(remote, options.patterns, options.syncAll);
  const steps: Step[] = [];
  const step = (made: Step) => {
    steps.push(made);
    options.onStep(made);
  };

  if (options.prune) {
    // As replicate.py: every kind, but systems only when system patterns were given.
    const pruned = (['system', 'profile', 'distro', 'repo'] as const).filter(
      (kind) => kind !== 'system' || (options.patterns.system ?? []).length > 0,
    );
    for (const kind of pruned) {
      const onMaster = new Set(remote[kind].map((record) => record.name));
      for (const local of await backend.list(kind)) {
        if (onMaster.has(local.name)) continue;
        const subject = `${kind} ${quote(local.name)}`;
        try {
          if (!options.dryRun) await backend.remove(kind, local.name, { recursive: true });
          step({ status: 'remove', subject, detail: 'not on the master' });
        } catch (error) {
          // Removed already with its parent (recursive), which is what was wanted.
          if (asBootwrightError(error).code !== 'E_NOT_FOUND')
            step({ status: 'not-carried', subject, detail: asBootwrightError(error).message });
        }
      }
    }
  }

  if (!options.omitData) {
    for (const name of include.distro)
      step({
        status: 'not-carried',
        subject: `distro ${quote(name)} files`,
        detail:
          'its kernel, initrd and tree stay on the master (Cobbler copies them with rsync); copy them yourself, or pass --omit-data.',
      });
    for (const name of include.repo)
      step({
        status: 'not-carried',
        subject: `repo ${quote(name)} mirror`,
        detail: 'the mirrored packages stay on the master; copy them yourself, or pass --omit-data.',
      });
    step({
      status: 'not-carried',
      subject: 'templates, snippets, triggers and scripts',
      detail:
        'they stay on the master; run "bootwright import-cobbler" on a copy of its /var/lib/cobbler, or pass --omit-data.',
    });
  }

  const wanted: CobblerRecord[] = [];
  for (const kind of replicatedKinds) {
    for (const record of remote[kind]) {
      if (!include[kind].has(record.name)) continue;
      const subject = `${kind} ${quote(record.name)}`;
      wanted.push(withoutHiddenSecrets(record, (detail) => step({ status: 'not-carried', subject, detail })));
    }
  }
  // The master's copy wins where the two differ, as replicate.py replaces what is newer on the master.
  steps.push(...(await carryObjects(backend, wanted, (value) => value, { ...options, overwrite: true })));
  return steps;
}
