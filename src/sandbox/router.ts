import { ApiError, type Route } from './contract.js';

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

/** Matches a method and path against the route table, decoding `:name` parameters. */
export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[]) {
    this.routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern
        .split('/')
        .map((seg) => {
          if (seg.startsWith(':')) {
            names.push(seg.slice(1));
            return '([^/]+)';
          }
          return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('/');
      return { ...route, regex: new RegExp(`^${source}$`), names };
    });
  }

  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | null {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      for (const [i, name] of r.names.entries()) {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          throw new ApiError(400, `Malformed URI in path segment "${m[i + 1]}"`, 'invalid_uri');
        }
      }
      return { route: r, params };
    }
    return null;
  }
}
