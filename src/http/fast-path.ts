// What an app tells the node:http edge in front of it. A fast path: what it can answer (a download) it answers
// straight on the socket, and it hands the rest to the app. Urgent requests: which requests go ahead of the others
// waiting for their turn (server.ts). The app declares both (createApp); listenHttp applies them wherever the app is
// served, so that every listener of one app answers alike.

import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Answers a request straight on node:http, or hands it to `otherwise` (the app) untouched. A callback, not a
 * promise of whether it answered: downloads are most requests, and the promise and its two callbacks were garbage
 * made for each.
 */
export type FastPath = (
  request: IncomingMessage,
  response: ServerResponse,
  otherwise: (request: IncomingMessage, response: ServerResponse) => unknown,
) => void;

const fastPaths = new WeakMap<object, FastPath>();

/** Has listenHttp try `fastPath` before `app` for every request. */
export function setFastPath(app: object, fastPath: FastPath): void {
  fastPaths.set(app, fastPath);
}

export function fastPathOf(app: object): FastPath | undefined {
  return fastPaths.get(app);
}

/** Which requests are urgent: cheap, from the request line alone, since it runs before any routing. */
export type UrgentRequests = (request: IncomingMessage) => boolean;

const urgentRequests = new WeakMap<object, UrgentRequests>();

/** Has listenHttp start the requests `urgent` picks ahead of those already waiting. */
export function setUrgentRequests(app: object, urgent: UrgentRequests): void {
  urgentRequests.set(app, urgent);
}

export function urgentRequestsOf(app: object): UrgentRequests | undefined {
  return urgentRequests.get(app);
}
