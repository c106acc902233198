// Tells the server's install timeline what koan did (`koan.fetched`, `koan.defined`, ...), so that `bootwright
// status --system` shows the hypervisor's side of a virtual install beside the installer's. Best effort: a real
// Cobbler has no such endpoint, and a lost report must never stop an install.

import type { KoanStep } from '../status/koan-steps.js';
import type { KoanTargetKind } from './install-data.js';

const REPORT_TIMEOUT_MS = 5_000;

export class StepReporter {
  private enabled = true;

  constructor(
    private readonly apiOrigin: string,
    private readonly kind: KoanTargetKind,
    private readonly name: string,
    private readonly warn: (line: string) => void,
  ) {}

  async report(step: KoanStep, message: string): Promise<void> {
    if (!this.enabled || this.kind === 'image') return;
    const url = `${this.apiOrigin}/api/v1/${this.kind}s/${encodeURIComponent(this.name)}/koan`;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ step, message }),
        signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
      });
      await response.body?.cancel();
      // A Cobbler server (404) keeps no timeline: stop asking.
      if (response.status === 404) this.enabled = false;
      else if (!response.ok) this.warn(`the server did not record step ${step} (HTTP ${response.status})`);
    } catch (error) {
      this.enabled = false;
      this.warn(`cannot report steps to the server any more: ${(error as Error).message}`);
    }
  }
}
