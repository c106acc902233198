// The URLs an installer is pointed at. Every one is built from `http_server` (host[:port]), never from how the
// request reached us, because installers and koan build their own URLs from that field too (koan-wire.md).

import { BootwrightError } from '../errors.js';
import type { BlendedView } from '../model/blend.js';

export type AutoinstallTarget = { kind: 'system' | 'profile'; name: string };

/** What gives each object its secret (AutoinstallSecrets); an interface so that this file stays free of files. */
export interface AutoinstallSecretSource {
  secretFor(target: AutoinstallTarget): string;
}

/**
 * Writes the target's secret into its view as `autoinstall_secret` ('' while the autoinstall_secrets setting is off),
 * where every URL below and the templates find it. With the setting on and no source, this throws rather than hand
 * out URLs that every service would refuse.
 */
export function addAutoinstallSecret(
  view: BlendedView,
  target: AutoinstallTarget,
  source: AutoinstallSecretSource | undefined,
): BlendedView {
  if (view.autoinstall_secrets !== true) {
    view.autoinstall_secret = '';
    return view;
  }
  if (!source) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      'The autoinstall_secrets setting is on but this process has no autoinstall key; run it with a data directory.',
    );
  }
  view.autoinstall_secret = source.secretFor(target);
  return view;
}

/**
 * `/secret/HEX` to end a /cblr/svc/op/ URL with, or ''. Cobbler's key/value path style rather than `?secret=`:
 * pxelinux, GRUB and iPXE lines and the Debian installer's preseed URLs pass a path through untouched, where `&`
 * and `?` need quoting in some of them.
 */
export function secretPathOf(view: BlendedView): string {
  const secret = String(view.autoinstall_secret ?? '');
  return secret === '' ? '' : `/secret/${secret}`;
}

/** A service path with its secret masked, for what is recorded where anyone may read it (the install timeline). */
export function maskSecretPath(path: string): string {
  return path.replace(/\/secret\/[^/]*/g, '/secret/********');
}

export function serverBase(view: BlendedView): string {
  return `http://${String(view.http_server ?? '127.0.0.1')}`;
}

/** Where the installer fetches its rendered autoinstall file; a template that is already a URL is used as is. */
export function autoinstallUrl(view: BlendedView, target: AutoinstallTarget): string {
  const template = String(view.autoinstall ?? '');
  if (/^(https?|ftp|nfs):\/\//.test(template)) return template;
  return `${serverBase(view)}/cblr/svc/op/autoinstall/${target.kind}/${encodeURIComponent(target.name)}${secretPathOf(view)}`;
}

export function triggerUrl(
  view: BlendedView,
  mode: 'pre' | 'post' | 'firstboot',
  target: AutoinstallTarget,
): string {
  return `${serverBase(view)}/cblr/svc/op/trig/mode/${mode}/${target.kind}/${encodeURIComponent(target.name)}${secretPathOf(view)}`;
}

export function nopxeUrl(view: BlendedView, systemName: string): string {
  return `${serverBase(view)}/cblr/svc/op/nopxe/system/${encodeURIComponent(systemName)}${secretPathOf(view)}`;
}
