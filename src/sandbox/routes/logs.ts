import { json, type Route } from '../contract.js';
import { compileQuery } from '../query.js';
import type { SandboxTenant } from '../state.js';
import type { LogRecord } from '../log-book.js';
import { boolParam, compareValues, fieldFilter, intParam, pageParams, queryError, route, sortParam } from './common.js';

/**
 * GET /api/v2/logs in its two modes (docs-v2 `deploy-monitor/logs/retrieve-log-events-using-mgmt-api.mdx`):
 * - checkpoint (`from`, `take` ≤ 100): records with a log_id greater than `from`, in log_id order
 *   (oldest first), as a plain array with a `Link: <...?from=<last>&take=N>; rel="next"` header (the
 *   same URL when the page is empty); every other parameter is ignored, `q` included. `take` without
 *   `from` means nothing (Auth0: "the total amount of entries to retrieve when using the from
 *   parameter"): the request is a search.
 * - search (`q`, `page`, `per_page` ≤ 100, `sort`, `include_totals`): newest first by default, a
 *   1000-result window. With `include_totals` the answer is `{start, limit, length, total, logs}`
 *   where `total` is the number of records in the page, as in Auth0's log search v3
 *   (`log-search-query-syntax.mdx` "Pagination"; the v2→v3 migration guide: "in v3, the totals field
 *   tells you how many logs are returned in the page").
 * The search parameter is `q`. `search` (what the v7 SDK's `logs.list({search})` sends) is answered
 * 400, in both modes, as Auth0 answered it in auth0/auth0-java#842.
 */
export function logRoutes(tenant: SandboxTenant): Route[] {
  return [
    route(tenant, 'GET', '/api/v2/logs', ['read:logs'], (req) => {
      const q = req.query;
      // auth0-java#842 shows only "BadRequestError, statusCode: 400" (the stored copy of the issue is
      // cut before the body). The message below is the shape of Auth0's other query-string schema
      // errors, not a quote. It applies in checkpoint mode too: an unknown parameter is a schema error,
      // which is checked before the mode is chosen (inferred; Auth0 does not document it).
      if (q.has('search')) throw queryError('Additional properties not allowed: search');
      const from = q.get('from');
      if (from !== null) {
        if (!/^\d+$/.test(from)) throw queryError('String does not match pattern ^\\d+$', 'from');
        const take = intParam(q, 'take', 50, 1, 100);
        const records = tenant.logs.after(from, take);
        const next = records[records.length - 1]?.log_id ?? from;
        return json(200, records, { link: `<${tenant.baseUrl}/api/v2/logs?from=${next}&take=${take}>; rel="next"` });
      }
      const { page, perPage } = pageParams(q);
      const search = q.get('q');
      const query = search ? compileQuery(search, 'logs') : undefined;
      const sort = sortParam(q) ?? { field: 'date', descending: true };
      const includeTotals = boolParam(q, 'include_totals', false);
      const start = page * perPage;
      const end = start + perPage;
      let window: LogRecord[];
      if (sort.field === 'date') {
        // Walk the date-ordered log without copying it, and stop at the end of the page.
        window = [];
        let seen = 0;
        for (const record of tenant.logs.inDateOrder(sort.descending)) {
          if (seen >= end) break;
          if (query && !query.test(record)) continue;
          if (seen >= start) window.push(record);
          seen++;
        }
      } else {
        // Another sort field: filter first, then sort only the matches.
        const found = query ? tenant.logs.all().filter((r) => query.test(r)) : [...tenant.logs.all()];
        const dir = sort.descending ? -1 : 1;
        found.sort((a, b) => dir * compareValues(a[sort.field], b[sort.field]));
        window = found.slice(start, end);
      }
      const pick = fieldFilter(q);
      const logs = window.map((r) => pick(structuredClone(r)));
      if (!includeTotals) return json(200, logs);
      // Search v3: `total` counts the records in this page (like `length`), not every match.
      return json(200, { start, limit: perPage, length: logs.length, total: logs.length, logs });
    }),
  ];
}
