// Tells which distribution an installation tree holds, and where its kernel and initrd are, by trying the
// signature table (data/signatures.json) in order. The table says what to look for; this file only knows how.

import { invalid, quote } from '../errors.js';
import { archs } from '../model/fields.js';
import { type BootCandidate, loadSignatures, type Signature, type SignatureTable } from './signatures.js';
import type { TreeSource } from './tree.js';

export interface Detection {
  breed: string;
  osVersion: string;
  /** A bootwright arch name (x86_64, i386, aarch64, ...), whatever spelling the tree used. */
  arch: string;
  /** Tree paths. */
  kernel: string;
  initrd: string;
  /** Paravirtualised Xen kernel and initrd, when the tree ships them (RHEL 5 `images/xen/`). */
  xenKernel?: string;
  xenInitrd?: string;
  /** A suggested distro name, e.g. `rhel-5.5-i386`, `debian-12-x86_64`. */
  name: string;
  /** The installer the tree boots (anaconda, debian-installer, subiquity, yast), when the signature says. */
  installer?: string;
  signature: {
    /** The signature's name, or `manual` when options named breed, os_version and arch for an unknown tree. */
    name: string;
    /** The signatures file it came from. */
    origin?: string;
    /** What was found, as sentences: `found .treeinfo`, `family "Fedora" in .treeinfo`. */
    reasons: string[];
  };
}

export interface DetectOptions {
  /** The table to use; the shipped one when absent. */
  signatures?: SignatureTable;
  /** Overrides, as given by `--arch`, `--breed` and `--os-version`. A breed also limits which signatures are tried. */
  arch?: string;
  breed?: string;
  osVersion?: string;
}

type Vars = Record<string, string>;

/** Most expansions a `{name}` segment may produce, so a huge directory cannot stall detection. */
const maxExpansions = 64;
const maxSignatureFileBytes = 1024 * 1024;

const filters: Record<string, (value: string) => string> = {
  lower: (v) => v.toLowerCase(),
  first: (v) => v.split(/\s+/)[0] ?? v,
  major: (v) => v.split('.')[0] ?? v,
  minor: (v) => v.split('.')[1] ?? '0',
};

/** Fills `{var}` and `{var|filter|...}`; undefined when a variable is unset, so callers can tell "unknown". */
function render(template: string, vars: Vars): string | undefined {
  let missing = false;
  const out = template.replace(/\{([A-Za-z_][\w]*)((?:\|\w+)*)\}/g, (_, name: string, chain: string) => {
    let value = vars[name];
    if (value === undefined) {
      missing = true;
      return '';
    }
    for (const filter of chain.split('|').slice(1)) {
      const apply = filters[filter];
      if (!apply) throw invalid(`Unknown template filter ${quote(filter)} in ${quote(template)}.`);
      value = apply(value);
    }
    return value;
  });
  return missing ? undefined : out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every existing tree path a pattern names: bound `{var}`s are filled in, unbound ones match any entry of the
 * directory they stand in and come back bound (`dists/{suite}/Release` -> suite=bookworm).
 */
async function expandPath(
  source: TreeSource,
  pattern: string,
  vars: Vars,
): Promise<Array<{ path: string; vars: Vars }>> {
  let partial: Array<{ path: string; vars: Vars }> = [{ path: '', vars }];
  for (const segment of pattern.split('/').filter((s) => s !== '')) {
    const next: Array<{ path: string; vars: Vars }> = [];
    for (const { path, vars: bound } of partial) {
      const unbound: string[] = [];
      const regexText = segment
        .split(/(\{[A-Za-z_]\w*\})/)
        .map((piece) => {
          const name = /^\{([A-Za-z_]\w*)\}$/.exec(piece)?.[1];
          if (!name) return escapeRegExp(piece);
          const value = bound[name];
          if (value !== undefined) return escapeRegExp(value);
          if (unbound.includes(name)) return `\\k<${name}>`;
          unbound.push(name);
          return `(?<${name}>[^/]+)`;
        })
        .join('');
      if (unbound.length === 0) {
        next.push({
          path: path ? `${path}/${render(segment, bound)}` : (render(segment, bound) as string),
          vars: bound,
        });
        continue;
      }
      const regex = new RegExp(`^${regexText}$`);
      for (const entry of await source.list(path)) {
        const match = regex.exec(entry);
        if (!match?.groups) continue;
        next.push({ path: path ? `${path}/${entry}` : entry, vars: { ...bound, ...match.groups } });
        if (next.length >= maxExpansions) break;
      }
    }
    partial = next;
    if (partial.length === 0) return [];
  }
  const existing: Array<{ path: string; vars: Vars }> = [];
  for (const candidate of partial) if (await source.stat(candidate.path)) existing.push(candidate);
  return existing;
}

/** Spellings trees use (amd64, arm64, i686) -> bootwright's; undefined for names bootwright has no arch for. */
function normalizeArch(raw: string, aliases: Record<string, string>): string | undefined {
  const lower = raw.toLowerCase();
  const arch = aliases[lower] ?? lower;
  return archs.includes(arch) ? arch : undefined;
}

interface BootFiles {
  kernel: string;
  initrd: string;
  arch?: string;
}

/** The first candidate whose kernel and initrd both exist as files and whose arch (if it has one) is `wanted`. */
async function findBoot(
  source: TreeSource,
  candidates: BootCandidate[],
  vars: Vars,
  wanted: string | undefined,
  aliases: Record<string, string>,
): Promise<BootFiles | undefined> {
  for (const candidate of candidates) {
    for (const found of await expandPath(source, candidate.kernel, vars)) {
      if ((await source.stat(found.path))?.type !== 'file') continue;
      const initrd = render(candidate.initrd, found.vars);
      if (initrd === undefined || (await source.stat(initrd))?.type !== 'file') continue;
      const rawArch = candidate.arch === undefined ? undefined : render(candidate.arch, found.vars);
      const arch = rawArch === undefined ? undefined : normalizeArch(rawArch, aliases);
      if (wanted && arch && arch !== wanted) continue;
      return arch ? { kernel: found.path, initrd, arch } : { kernel: found.path, initrd };
    }
  }
  return undefined;
}

type Attempt = { detection: Detection } | { miss: string };

async function trySignature(
  source: TreeSource,
  signature: Signature,
  table: SignatureTable,
  options: DetectOptions,
): Promise<Attempt> {
  let bindings: Vars[] = [{}];
  for (const required of signature.requires) {
    const next: Vars[] = [];
    for (const vars of bindings) next.push(...(await expandPath(source, required, vars)).map((f) => f.vars));
    if (next.length === 0) return { miss: `${signature.name}: no ${required}` };
    bindings = next.slice(0, maxExpansions);
  }
  let lastMiss = '';
  for (const binding of bindings) {
    const attempt = await tryBinding(source, signature, table, options, binding);
    if ('detection' in attempt) return attempt;
    lastMiss = attempt.miss;
  }
  return { miss: lastMiss };
}

async function tryBinding(
  source: TreeSource,
  signature: Signature,
  table: SignatureTable,
  options: DetectOptions,
  binding: Vars,
): Promise<Attempt> {
  const vars: Vars = { ...binding };
  const reasons = signature.requires.map((r) => `found ${render(r, vars) ?? r}`);
  for (const { file, patterns } of signature.read) {
    const path = render(file, vars);
    if (path === undefined || (await source.stat(path))?.type !== 'file') continue;
    const text = (await source.readFile(path, maxSignatureFileBytes)).toString('utf8');
    for (const pattern of patterns) {
      const groups = new RegExp(pattern, 'm').exec(text)?.groups ?? {};
      for (const [name, value] of Object.entries(groups)) {
        if (value === undefined || vars[name] !== undefined) continue;
        vars[name] = value.trim();
        reasons.push(`${name} ${quote(vars[name])} in ${path}`);
      }
    }
  }
  for (const [name, test] of Object.entries(signature.when)) {
    const value = vars[name];
    if (value === undefined) return { miss: `${signature.name}: found no ${name} in the tree` };
    if (!new RegExp(test, 'i').test(value))
      return { miss: `${signature.name}: ${name} ${quote(value)} does not match /${test}/` };
  }
  for (const [name, { from, map }] of Object.entries(signature.derive)) {
    const value = vars[from];
    if (value === undefined) continue;
    for (const [test, result] of Object.entries(map)) {
      if (new RegExp(test, 'i').test(value)) {
        vars[name] = result;
        break;
      }
    }
  }

  const osVersion = options.osVersion ?? render(signature.osVersion, vars);
  if (osVersion === undefined)
    return {
      miss: `${signature.name}: os_version ${quote(signature.osVersion)} needs values the tree did not give`,
    };
  const wanted =
    options.arch ?? (vars.arch === undefined ? undefined : normalizeArch(vars.arch, table.archAliases));
  const boot = await findBoot(source, signature.boot, vars, wanted, table.archAliases);
  if (!boot) {
    const paths = signature.boot.map((b) => b.kernel).join(', ');
    return { miss: `${signature.name}: no kernel and initrd${wanted ? ` for ${wanted}` : ''} at ${paths}` };
  }
  const arch = wanted ?? boot.arch;
  if (!arch)
    return {
      miss: `${signature.name}: the tree does not say its architecture${vars.arch ? ` (${quote(vars.arch)})` : ''}`,
    };
  reasons.push(`kernel ${boot.kernel}, initrd ${boot.initrd}`);
  const xen = await findBoot(source, signature.xen, vars, arch, table.archAliases);
  if (xen) reasons.push(`Xen kernel ${xen.kernel}, initrd ${xen.initrd}`);

  const breed = options.breed ?? signature.breed;
  const detection: Detection = {
    breed,
    osVersion,
    arch,
    kernel: boot.kernel,
    initrd: boot.initrd,
    name: render(signature.nameTemplate, { ...vars, arch }) ?? `${osVersion}-${arch}`,
    signature: { name: signature.name, origin: signature.origin, reasons },
  };
  if (xen) Object.assign(detection, { xenKernel: xen.kernel, xenInitrd: xen.initrd });
  if (signature.installer) detection.installer = signature.installer;
  return { detection };
}

/**
 * With `--breed`, `--os-version` and `--arch` all given, a tree no signature recognises still imports if a kernel
 * sits where some signature of that breed would look for one.
 */
async function detectManually(
  source: TreeSource,
  table: SignatureTable,
  breed: string,
  osVersion: string,
  arch: string,
): Promise<Detection | undefined> {
  for (const signature of table.signatures.filter((s) => s.breed === breed)) {
    const boot = await findBoot(source, signature.boot, {}, arch, table.archAliases);
    if (!boot) continue;
    const xen = await findBoot(source, signature.xen, {}, arch, table.archAliases);
    const detection: Detection = {
      breed,
      osVersion,
      arch,
      kernel: boot.kernel,
      initrd: boot.initrd,
      name: `${osVersion}-${arch}`,
      signature: {
        name: 'manual',
        reasons: [`breed, os_version and arch given`, `kernel ${boot.kernel} where ${signature.name} looks`],
      },
    };
    if (xen) Object.assign(detection, { xenKernel: xen.kernel, xenInitrd: xen.initrd });
    if (signature.installer) detection.installer = signature.installer;
    return detection;
  }
  return undefined;
}

/** Detects the distribution in a tree; options override what the tree says. Throws E_INVALID when nothing fits. */
export async function detectDistro(source: TreeSource, options: DetectOptions = {}): Promise<Detection> {
  const table = options.signatures ?? (await loadSignatures());
  const resolved: DetectOptions = { ...options };
  if (options.arch !== undefined) {
    const arch = normalizeArch(options.arch, table.archAliases);
    if (!arch) throw invalid(`Unknown arch ${quote(options.arch)}; expected one of ${archs.join(', ')}.`);
    resolved.arch = arch;
  }
  const candidates = table.signatures.filter((s) => !options.breed || s.breed === options.breed);
  const misses: string[] = [];
  for (const signature of candidates) {
    const attempt = await trySignature(source, signature, table, resolved);
    if ('detection' in attempt) return attempt.detection;
    misses.push(attempt.miss);
  }
  if (resolved.breed && resolved.osVersion && resolved.arch) {
    const manual = await detectManually(source, table, resolved.breed, resolved.osVersion, resolved.arch);
    if (manual) return manual;
  }
  const userFile = table.userFile ?? '<data dir>/signatures.json';
  const tried = misses.length ? misses.join('; ') : `no signature has breed ${quote(options.breed)}`;
  throw invalid(
    `No distro signature matches ${quote(source.location)} (looked for ${tried}). ` +
      `Give --breed, --os-version and --arch, or add a signature to ${userFile}.`,
  );
}
