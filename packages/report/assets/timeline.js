// timeline.js: the filtered events, newest first, in pages; a row opens the event's details; previous/next failure.
const PAGE_SIZE = 200;

function summaryText(e) {
  const text = JSON.stringify(e.details);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

function eventRow(item) {
  const e = item.event;
  const bad = DATA.integrity.chain && DATA.integrity.chain.firstBadSeq;
  const untrusted = bad !== undefined && e.seq !== undefined && e.seq >= bad;
  const li = h('li', { class: `${e.status === 'failed' ? 'failed' : 'success'}${untrusted ? ' untrusted' : ''}`, 'data-n': item.n, 'data-timestamp': e.timestamp });
  const button = h('button', { class: 'row', type: 'button', 'aria-expanded': 'false' },
    h('span', { class: 'mono' }, e.timestamp),
    h('span', { class: 'action' }, e.action_type),
    h('span', { class: 'status' }, untrusted ? `${e.status} ⚠` : e.status),
    h('span', { class: 'actor' }, e.actor === undefined ? '—' : e.actor),
    h('span', { class: 'summary-text mono' }, e.error == null ? summaryText(e) : `${e.error} · ${summaryText(e)}`));
  if (untrusted) button.setAttribute('title', `seq ${e.seq}: at or after the first bad seq ${bad}, not trusted`);
  button.addEventListener('click', () => toggleDetail(li, button, item));
  li.append(button);
  return li;
}

function toggleDetail(li, button, item) {
  const open = li.querySelector('.detail');
  if (open) {
    open.remove();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  li.append(renderDetail(item.event));
  button.setAttribute('aria-expanded', 'true');
}

/** The timeline of `items` (oldest first in, newest first shown), rendered a page at a time. */
function createTimeline(items) {
  const list = h('ol', { class: 'timeline', 'aria-label': 'Events, newest first' });
  const newestFirst = items.slice().reverse();
  let shown = 0;
  const more = h('button', { class: 'more', type: 'button' });
  const renderMore = (upTo) => {
    const end = Math.min(newestFirst.length, Math.max(shown + PAGE_SIZE, upTo + 1));
    const fragment = document.createDocumentFragment();
    for (let i = shown; i < end; i++) fragment.append(eventRow(newestFirst[i]));
    list.append(fragment);
    shown = end;
    more.hidden = shown >= newestFirst.length;
    more.textContent = `Show ${Math.min(PAGE_SIZE, newestFirst.length - shown)} more (${newestFirst.length - shown} left)`;
  };
  more.addEventListener('click', () => renderMore(0));
  renderMore(0);
  let cursor = -1;
  /** Moves to the next failure (+1: older) or the previous one (-1: newer) and focuses its row. */
  const jump = (direction) => {
    for (let i = cursor + direction; i >= 0 && i < newestFirst.length; i += direction) {
      if (newestFirst[i].event.status !== 'failed') continue;
      if (i >= shown) renderMore(i);
      cursor = i;
      const row = list.children[i].querySelector('button');
      row.focus();
      row.scrollIntoView({ block: 'center' });
      return true;
    }
    return false;
  };
  return { element: h('div', {}, list, more), jump, failures: newestFirst.filter((i) => i.event.status === 'failed').length };
}
