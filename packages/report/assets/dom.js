// dom.js: the data, element builders that only ever set text, and time formatting. Every string from the log is
// passed through createTextNode or textContent; no code here (or in the other page scripts) uses innerHTML.
const DATA = JSON.parse(document.getElementById('report-data').textContent);
const SVG_NS = 'http://www.w3.org/2000/svg';
// Attributes the builders may set: never an event handler, never a URL-bearing one (href, src, action).
const SAFE_ATTR = /^(class|id|role|type|title|tabindex|for|name|value|placeholder|min|max|step|colspan|multiple|checked|hidden|viewBox|preserveAspectRatio|x|y|x1|x2|y1|y2|cx|cy|r|d|width|height|fill|points|(data|aria)-[a-z-]+)$/;

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (!SAFE_ATTR.test(key)) throw new Error(`refusing attribute ${key}`);
    node.setAttribute(key, value === true ? '' : String(value));
  }
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/** An HTML element: attributes from a safe list, children as nodes or text. */
function h(tag, attrs, ...children) {
  return append(setAttrs(document.createElement(tag), attrs), children);
}

/** An SVG element, the same way. */
function svg(tag, attrs, ...children) {
  return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** An audit timestamp of microseconds since the epoch (six fractional digits, Z). */
function formatUs(us) {
  const ms = Math.floor(us / 1000);
  const micros = us - Math.floor(us / 1e6) * 1e6;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

/** Microseconds of an ISO 8601 UTC time as `auditrail` reads it (a timestamp, or a date and time); NaN otherwise. */
function parseTime(text) {
  const t = String(text).trim();
  const exact = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]00:00)$/.exec(t);
  if (exact) return Date.parse(`${exact[1]}Z`) * 1000 + Number((exact[2] || '').padEnd(6, '0').slice(0, 6));
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? NaN : ms * 1000;
}

/** Quotes an argument for a POSIX shell when it needs it. */
function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${String(arg).replace(/'/g, `'\\''`)}'`;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac', '#8cd17d', '#86bcb6', '#d4a6c8'];
function actionColor(index) {
  return PALETTE[index % PALETTE.length];
}

function json(value) {
  return value === undefined ? '' : JSON.stringify(value);
}
