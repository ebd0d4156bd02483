// live.js: under `auditrail serve`, appended events arrive as server-sent events and join the page without a reload.

function startLive(onEvents) {
  if (!DATA.live || !/^https?:$/.test(location.protocol)) return null;
  const newest = DATA.events.length > 0 ? DATA.events[DATA.events.length - 1].us : (DATA.summary.span ? DATA.summary.span.endUs : -1);
  const source = new EventSource(`events?after=${encodeURIComponent(String(newest))}`);
  const status = h('span', { class: 'live', id: 'live-status' }, 'live: connecting');
  source.addEventListener('open', () => { status.textContent = 'live: following the log'; });
  source.addEventListener('error', () => { status.textContent = 'live: reconnecting'; });
  source.addEventListener('message', (message) => onEvents(JSON.parse(message.data)));
  return status;
}
