// The URLs an installer is pointed at. Every one is built from `http_server` (host[:port]), never from how the
// request reached us, because installers and koan build their own URLs from that field too (koan-wire.md).

import type { BlendedView } from '../model/blend.js';

export type AutoinstallTarget = { kind: 'system' | 'profile'; name: string };

export function serverBase(view: BlendedView): string {
  return `http://${String(view.http_server ?? '127.0.0.1')}`;
}

/** Where the installer fetches its rendered autoinstall file; a template that is already a URL is used as is. */
export function autoinstallUrl(view: BlendedView, target: AutoinstallTarget): string {
  const template = String(view.autoinstall ?? '');
  if (/^(https?|ftp|nfs):\/\//.test(template)) return template;
  return `${serverBase(view)}/cblr/svc/op/autoinstall/${target.kind}/${encodeURIComponent(target.name)}`;
}

export function triggerUrl(
  view: BlendedView,
  mode: 'pre' | 'post' | 'firstboot',
  target: AutoinstallTarget,
): string {
  return `${serverBase(view)}/cblr/svc/op/trig/mode/${mode}/${target.kind}/${encodeURIComponent(target.name)}`;
}

export function nopxeUrl(view: BlendedView, systemName: string): string {
  return `${serverBase(view)}/cblr/svc/op/nopxe/system/${encodeURIComponent(systemName)}`;
}
