// For the reader beyond the canvas: the watchlist's notifications, copying a row, and the rows on screen as an ARIA
// grid with the selection announced (the canvas is hidden from screen readers).
import { $, ask, setText, state } from './page-state.js';

export const STAR_STORE = 'oistream.watchlist';
let alerts = false;
export const notifications = []; // what was notified, for the page's tests

export function notify(m) {
  if (!alerts || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const text = `${m.symbol}: ${m.kind}`;
  notifications.push(text);
  // eslint-disable-next-line no-new
  new Notification(text, { body: m.message, tag: `${m.symbol}-${m.kind}` });
}

export async function toggleAlerts() {
  if (!alerts && typeof Notification !== 'undefined' && Notification.permission !== 'granted') {
    await Notification.requestPermission();
  }
  alerts = !alerts && typeof Notification !== 'undefined' && Notification.permission === 'granted';
  $('notify').textContent = alerts ? 'Alerts on' : 'Alerts off';
  $('notify').setAttribute('aria-pressed', String(alerts));
  if (!alerts && typeof Notification !== 'undefined' && Notification.permission === 'denied') {
    $('notify').title = 'Notifications are blocked for this site in the browser\'s settings';
  }
}

// The state.selected row's figures, tab-separated under their headers (pastes into a spreadsheet as two rows).
export async function copyRow() {
  if (!state.selected) return;
  const row = await ask('rowText', state.selected);
  if (!row) return;
  const text = `${row.headers.join('\t')}\n${row.cells.join('\t')}`;
  try {
    await navigator.clipboard.writeText(text);
    announce(`Copied ${state.selected}'s figures.`);
  } catch (error) {
    announce(`Copying was refused by the browser: ${error.message}`);
  }
}

function announce(text) {
  setText($('announce'), text);
}

// The rows on screen as an ARIA grid (the canvas is hidden from screen readers): the header row, then one row per
// drawn row, its cells' text as drawn; the state.selected row is marked and announced.
export function buildHeadGrid() {
  const grid = $('a11y-grid');
  const header = document.createElement('div');
  header.setAttribute('role', 'row');
  for (const col of state.columns) {
    const cell = document.createElement('span');
    cell.setAttribute('role', 'columnheader');
    cell.textContent = col.title;
    header.append(cell);
  }
  grid.replaceChildren(header);
}

export function updateGrid(m) {
  const grid = $('a11y-grid');
  grid.setAttribute('aria-rowcount', String(m.viewLength + 1));
  const rowsShown = grid.children.length - 1;
  for (let i = 0; i < m.rows.length; i++) {
    const r = m.rows[i];
    let row = grid.children[i + 1];
    if (!row) {
      row = document.createElement('div');
      row.setAttribute('role', 'row');
      grid.append(row);
    }
    row.setAttribute('aria-rowindex', String(r.index + 2));
    row.setAttribute('aria-selected', String(r.symbol === state.selected));
    for (let k = 0; k < r.cells.length; k++) {
      let cell = row.children[k];
      if (!cell) {
        cell = document.createElement('span');
        cell.setAttribute('role', 'gridcell');
        row.append(cell);
      }
      setText(cell, r.cells[k]);
    }
    while (row.children.length > r.cells.length) row.lastChild.remove();
  }
  for (let i = rowsShown; i > m.rows.length; i--) grid.lastChild.remove();
  if (m.selected && m.selected.symbol !== lastAnnounced) {
    lastAnnounced = m.selected.symbol;
    announce(`${m.selected.cells.map((c, k) => `${state.columns[k]?.label ?? ''} ${c}`).join(', ')}. Row ${m.selected.index + 1} of ${m.viewLength}.`);
  }
}
let lastAnnounced = null;
