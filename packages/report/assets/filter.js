// filter.js: the page's filter, the same predicate as `auditrail query`, and its place in the URL fragment.

function emptyFilter() {
  return { actions: [], actors: [], status: '', since: '', until: '', q: '' };
}

/** The filter the fragment names (`#action=a&action=b&status=failed&actor=x&since=…&until=…&q=…`). */
function filterFromFragment(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ''));
  const status = params.get('status');
  return {
    actions: params.getAll('action'),
    actors: params.getAll('actor'),
    status: status === 'success' || status === 'failed' ? status : '',
    since: params.get('since') || '',
    until: params.get('until') || '',
    q: params.get('q') || '',
  };
}

function filterToFragment(filter) {
  const params = new URLSearchParams();
  for (const a of filter.actions) params.append('action', a);
  for (const a of filter.actors) params.append('actor', a);
  if (filter.status) params.set('status', filter.status);
  if (filter.since) params.set('since', filter.since);
  if (filter.until) params.set('until', filter.until);
  if (filter.q) params.set('q', filter.q);
  const text = params.toString();
  return text === '' ? '' : `#${text}`;
}

/** The predicate of a filter: every given criterion holds, exactly as the CLI's createEventFilter decides. */
function compileFilter(filter) {
  const actions = filter.actions.length > 0 ? new Set(filter.actions) : undefined;
  const actors = filter.actors.length > 0 ? new Set(filter.actors) : undefined;
  const since = filter.since ? parseTime(filter.since) : undefined;
  const until = filter.until ? parseTime(filter.until) : undefined;
  const needle = filter.q ? filter.q.toLowerCase() : undefined;
  return (item) => {
    const e = item.event;
    if (actions && !actions.has(e.action_type)) return false;
    if (actors && (e.actor === undefined || !actors.has(e.actor))) return false;
    if (filter.status && e.status !== filter.status) return false;
    if (since !== undefined && !Number.isNaN(since) && item.us < since) return false;
    if (until !== undefined && !Number.isNaN(until) && item.us > until) return false;
    if (needle !== undefined) {
      const haystack = `${JSON.stringify(e.details)}\n${e.error == null ? '' : e.error}`.toLowerCase();
      if (!haystack.includes(needle)) return false;
    }
    return true;
  };
}

/** The `auditrail query` command that lists the same slice of the whole log. */
function queryCommand(filter) {
  const args = ['auditrail', 'query', DATA.log];
  for (const a of filter.actions) args.push('--action', a);
  for (const a of filter.actors) args.push('--actor', a);
  if (filter.status) args.push('--status', filter.status);
  if (filter.since) args.push('--since', filter.since);
  if (filter.until) args.push('--until', filter.until);
  if (filter.q) args.push('--grep', filter.q);
  return args.map(shellQuote).join(' ');
}
