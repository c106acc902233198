// A path in front of an app on node:http: what it can answer (a download) it answers straight on the socket, and
// it hands the rest to the app. The app declares it (createApp, from its download routes); listenHttp puts it in
// front wherever the app is served, so that every listener of one app answers alike.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers a request straight on node:http and resolves true, or resolves false and leaves the request to the app. */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

const fastPaths = new WeakMap<object, FastPath>();

/** Has listenHttp try `fastPath` before `app` for every request. */
export function setFastPath(app: object, fastPath: FastPath): void {
  fastPaths.set(app, fastPath);
}

export function fastPathOf(app: object): FastPath | undefined {
  return fastPaths.get(app);
}
