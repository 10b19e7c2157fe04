import { json, type Route } from '../contract.js';
import { compileQuery } from '../query.js';
import type { SandboxTenant } from '../state.js';
import type { LogRecord } from '../log-book.js';
import { boolParam, compareValues, fieldFilter, intParam, pageParams, queryError, route, sortParam } from './common.js';

/**
 * GET /api/v2/logs in its two modes:
 * - checkpoint (`from`, `take`): records with a log_id greater than `from`, oldest first, as a plain
 *   array with a `Link: <...>; rel="next"` header; every other parameter is ignored, `q` included;
 * - search (`q`, `page`, `per_page`, `sort`, `include_totals`): newest first by default, 1000-result window.
 * The v7 SDK's `logs.list` sends the query as `search`, so both `q` and `search` are accepted.
 */
export function logRoutes(tenant: SandboxTenant): Route[] {
  return [
    route(tenant, 'GET', '/api/v2/logs', ['read:logs'], (req) => {
      const q = req.query;
      const from = q.get('from');
      if (from !== null) {
        if (!/^\d+$/.test(from)) throw queryError('String does not match pattern ^\\d+$', 'from');
        const take = intParam(q, 'take', 50, 1, 100);
        const records = tenant.logs.after(from, take);
        const next = records[records.length - 1]?.log_id ?? from;
        return json(200, records, { link: `<${tenant.baseUrl}/api/v2/logs?from=${next}&take=${take}>; rel="next"` });
      }
      const defaultPerPage = q.has('take') && !q.has('per_page') ? intParam(q, 'take', 50, 1, 100) : 50;
      const { page, perPage } = pageParams(q, defaultPerPage);
      const search = q.get('q') ?? q.get('search');
      const query = search ? compileQuery(search, 'logs') : undefined;
      const sort = sortParam(q) ?? { field: 'date', descending: true };
      const includeTotals = boolParam(q, 'include_totals', false);
      const start = page * perPage;
      const end = start + perPage;
      let window: LogRecord[];
      let total: number;
      if (sort.field === 'date') {
        // Walk the date-ordered log without copying it; stop at the end of the page unless a total is needed.
        window = [];
        total = 0;
        for (const record of tenant.logs.inDateOrder(sort.descending)) {
          if (query && !query.test(record)) continue;
          if (total >= start && total < end) window.push(record);
          total++;
          if (total >= end && (!includeTotals || !query)) break;
        }
        if (!query) total = tenant.logs.length;
      } else {
        // Another sort field: filter first, then sort only the matches.
        const found = query ? tenant.logs.all().filter((r) => query.test(r)) : [...tenant.logs.all()];
        const dir = sort.descending ? -1 : 1;
        found.sort((a, b) => dir * compareValues(a[sort.field], b[sort.field]));
        window = found.slice(start, end);
        total = found.length;
      }
      const pick = fieldFilter(q);
      const logs = window.map((r) => pick(structuredClone(r)));
      if (!includeTotals) return json(200, logs);
      return json(200, { start, limit: perPage, length: logs.length, total, logs });
    }),
  ];
}
