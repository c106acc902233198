// What each part of the HTTP application (REST, XML-RPC, boot files, trees, /cblr/svc) hands to createApp.

import type { Hono } from 'hono';
import type { DownloadRoute } from '../http/download-route.js';

export interface RouteModule {
  /** Its routes, and the middleware that reports its requests as events. */
  routes: Hono;
  /**
   * Its downloads, which its routes answer and which the app's fast path answers too, from the same declarations.
   * Their paths are the server's own: a module with downloads is mounted at the root.
   */
  downloads?: readonly DownloadRoute<unknown>[];
}
