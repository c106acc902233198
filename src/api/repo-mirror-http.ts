// Mirrored package repositories over HTTP at Cobbler's path, `/cobbler/repo_mirror/NAME/PATH`, from the snapshot
// the repo's mirror currently serves (src/mirror/). Kickstarts, preseeds and installed systems' repo files point
// here when the repo has mirror_locally on. Files go through the download route (fast path, Range, ETag, HEAD);
// a directory gets the same HTML index as an install tree, for people browsing (dnf and apt ask only for files
// whose names the metadata gives them). Each file served is an `http.repo` step on the install timeline.

import { Hono } from 'hono';
import { openTreeSource } from '../distros/tree-source.js';
import { notFound, quote } from '../errors.js';
import { addDownloadRoute, type DownloadRoute } from '../http/download-route.js';
import { decodePathSegment } from '../http/request-path.js';
import type { RepoMirrors } from '../mirror/contract.js';
import { type RequestReport, reportRequests, reportServed } from './request-events.js';
import type { RouteModule } from './route-module.js';
import type { ApiServices } from './services.js';
import { splitTreePath, treeDownload } from './tree-http.js';

export const repoMirrorPrefix = '/cobbler/repo_mirror/';

/** Where a repo's mirror is served, from the server's root: what install URLs and repo files point at. */
export function repoMirrorPath(repo: string): string {
  return `${repoMirrorPrefix}${encodeURIComponent(repo)}`;
}

/** A file of a mirrored repo (its repomd.xml, a package) is a step of an install, or of an installed system's update. */
function repoRequest(repo: string): RequestReport {
  return { type: 'http.repo', names: [{ kind: 'repo', name: repo }] };
}

/** The sentence for a repo that has nothing to serve: it does not exist, or was never synced to the end. */
async function noMirror(services: ApiServices, name: string): Promise<Error> {
  if (!(await services.inventory.find('repo', name)))
    return notFound(`There is no repo ${quote(name)}; "bootwright repo list" names the repos.`);
  return notFound(
    `Repo ${quote(name)} has no mirror yet: run bootwright reposync --name=${name} (or set --mirror-locally=false to have installers use its origin).`,
  );
}

export function createRepoMirrorHttp(services: ApiServices, mirrors: RepoMirrors): RouteModule {
  const http = new Hono();

  const files: DownloadRoute<string> = {
    paths: [`${repoMirrorPrefix}:name`, `${repoMirrorPrefix}:name/*`],
    match: (urlPath) => {
      // The repo's name is not empty.
      if (!urlPath.startsWith(repoMirrorPrefix) || urlPath.length === repoMirrorPrefix.length)
        return undefined;
      if (urlPath[repoMirrorPrefix.length] === '/') return undefined;
      return urlPath;
    },
    find: async (urlPath) => {
      const { name, treePath } = splitTreePath(urlPath, repoMirrorPrefix);
      const dir = mirrors.currentDir(name);
      if (dir === undefined) throw await noMirror(services, name);
      // A snapshot is a tree of hard links the engine made; the directory tree still refuses any path (`..`, a
      // symlink) whose real path is outside it.
      const tree = await openTreeSource(dir);
      const entry = await tree.stat(treePath);
      if (!entry) throw notFound(`${quote(treePath)} is not in the mirror of repo ${quote(name)}.`);
      return treeDownload(tree, treePath, entry, urlPath);
    },
    served: (urlPath, served) => {
      const name = urlPath.slice(repoMirrorPrefix.length).split('/', 1)[0] as string;
      reportServed(services, repoRequest(decodePathSegment(name, urlPath)), served);
    },
  };
  reportRequests(http, [`${repoMirrorPrefix}:name/*`], services, (context) =>
    repoRequest(context.req.param('name') ?? ''),
  );
  addDownloadRoute(http, files);
  return { routes: http, downloads: [files] };
}
