// The flattened view behind XML-RPC `get_*_as_rendered`: what Cobbler sends koan, with the pitfalls that koan
// trips on fixed (see shared/reference/koan-wire.md): kernel options as one string, sizes and RAM as integers,
// autoinstall_meta as a struct, bridges resolved, and never a nil, a "~" or an "<<inherit>>" anywhere.

import { BootwrightError } from '../errors.js';
import type { BlendedView } from './blend.js';
import { INHERIT, type KvDict } from './kinds.js';
import { kvToString } from './kv.js';

const dictsSentAsText = [
  'kernel_options',
  'kernel_options_post',
  'template_files',
  'boot_files',
  'fetchable_files',
];
const listsSentAsText = ['repos', 'rpm_list'];

/** Replaces @@key@@ with the view's values, as Cobbler does after rendering (for `tree=http://@@http_server@@/...`). */
export function substituteAtAt(text: string, view: BlendedView): string {
  return text.replaceAll(/@@(\w+)@@/g, (whole, key: string) => {
    const value = view[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : whole;
  });
}

function diskSizesForKoan(sizes: unknown): number | string {
  const text = String(sizes ?? '');
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** Replaces null and undefined with '' at any depth and refuses an unresolved <<inherit>>: koan crashes on both. */
function scrub(value: unknown, path: string): unknown {
  if (value === null || value === undefined) return '';
  if (value === INHERIT) throw new BootwrightError('E_INTERNAL', `Unresolved "${INHERIT}" at ${path}.`);
  if (Array.isArray(value)) return value.map((item, index) => scrub(item, `${path}[${index}]`));
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, scrub(item, `${path}.${key}`)]),
    );
  }
  return value;
}

export function renderForKoan(view: BlendedView): Record<string, unknown> {
  const rendered: Record<string, unknown> = { ...view };
  for (const key of dictsSentAsText) {
    if (key in rendered) rendered[key] = kvToString((rendered[key] ?? {}) as KvDict);
  }
  for (const key of listsSentAsText) {
    if (Array.isArray(rendered[key])) rendered[key] = (rendered[key] as string[]).join(' ');
  }
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((view.autoinstall_meta ?? {}) as KvDict)) {
    meta[key] = typeof value === 'string' ? substituteAtAt(value, view) : value;
  }
  rendered.autoinstall_meta = meta;
  rendered.ks_meta = meta;
  if (typeof meta.tree === 'string') rendered.install_tree = meta.tree;
  rendered.virt_file_size = diskSizesForKoan(view.virt_file_size);
  rendered.virt_ram = Number(view.virt_ram ?? 512);
  rendered.virt_cpus = Number(view.virt_cpus ?? 1);
  rendered.virt_path = String(view.virt_path ?? '');
  rendered.os_version = String(view.os_version ?? '');
  rendered.breed = String(view.breed ?? '');
  rendered.kickstart = String(view.autoinstall ?? '');
  rendered.autoinstall = rendered.kickstart;
  return scrub(rendered, 'rendered') as Record<string, unknown>;
}
