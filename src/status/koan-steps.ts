// The steps `bootwright koan` reports to the server's timeline (`koan.<step>` events), shared by the client that
// sends them and the server that accepts them, so that neither takes a step the other does not know.

export const koanSteps = [
  'start',
  'fetched',
  'downloaded',
  'defined',
  'started',
  'finished',
  'restarted',
  'failed',
] as const;

export type KoanStep = (typeof koanSteps)[number];

export function isKoanStep(value: unknown): value is KoanStep {
  return (koanSteps as readonly unknown[]).includes(value);
}
