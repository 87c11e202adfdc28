// What screen readers get: the rows on screen as text for the page's accessible grid. Loaded into the worker's global
// scope by table-worker.js.

// The rows on screen, as text, for the page's accessible grid: at once after the reader did something (scroll, sort,
// filter, select); else, while the table has focus, at most once a second, and every 5 s otherwise. Each refresh
// costs the page's main thread about a millisecond of layout, and a screen reader reads slower than the table changes.
let a11ySent = 0;
let a11yUrgent = true;
let a11yEvery = 5000;
function cellText(col, slot, k) {
  if (col.key !== 'signal') return k === 0 && stars.has(slot.symbol) ? `${slot.text[k]} (starred)` : slot.text[k];
  const quadrant = QUADRANT_LABEL[slot.text[k]] ?? slot.text[k];
  return slot.cls[k] ? `${slot.cls[k]}, ${quadrant}` : quadrant;
}
function postA11y(now) {
  if (!a11yUrgent && now - a11ySent < a11yEvery) return;
  a11yUrgent = false;
  a11ySent = now;
  const first = Math.max(0, Math.floor(grid.scrollTop / grid.rowHeight));
  const out = [];
  let chosenRow = null;
  slots.forEach((slot, i) => {
    if (slot.symbol === undefined) return;
    const r = { index: first + i, symbol: slot.symbol, cells: COLUMNS.map((col, k) => cellText(col, slot, k)) };
    out.push(r);
    if (slot.symbol === selected) chosenRow = r;
  });
  post({ type: ToPage.A11y, rows: out, viewLength: view.length, selected: chosenRow });
}
