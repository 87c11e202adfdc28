// The table canvas: lays out and paints the rows on screen, skipping a row whose text, colours and place did not change.
// Loaded into the worker's global scope by table-worker.js.

// ---- canvas ------------------------------------------------------------------------------------------------------
// The canvas is as tall as the table's viewport; the page scrolls a body as tall as the whole view and tells this
// worker its scrollTop. slots[i] is what the i-th row position of the canvas shows, to skip a row whose text, colours
// and place did not change, and for the page's screen() query.
const grid = { canvas: null, ctx: null, width: 0, height: 0, dpr: 1, rowHeight: 22, scrollTop: 0, cols: [], full: true, font: '', bold: '', badge: '', colour: null };
const slots = [];

function newSlot() {
  return { symbol: undefined, seq: undefined, text: new Array(COLUMNS.length).fill(''), cls: new Array(COLUMNS.length).fill(''), flags: '', dirty: true, y: NaN };
}

function setCell(slot, i, text, cls) {
  if (slot.text[i] !== text || slot.cls[i] !== cls) {
    slot.text[i] = text;
    slot.cls[i] = cls;
    slot.dirty = true;
  }
}

// Works out what a row shows: its cells' text and colour class, into the slot. A cell flashes when the text it shows
// changed since this symbol was last drawn, if that was the previous draw (a row scrolled or filtered back into view
// shows its news without a flash). Equal text is no news: a value that moved within its display precision does not
// flash. Returns whether a cell started to flash.
function layoutRow(slot, symbol, index, now) {
  const row = rows.get(symbol);
  const s = row.state;
  if (slot.symbol !== symbol) {
    slot.symbol = symbol;
    slot.dirty = true;
  }
  slot.seq = s[F.seq];
  const continued = row.drawnIn === drawId - 1 || row.drawnIn === drawId;
  row.drawnIn = drawId;
  let flashed = false;
  for (let i = 0; i < COLUMNS.length; i++) {
    const col = COLUMNS[i];
    if (col.key === 'signal') {
      const ev = events.get(symbol);
      setCell(slot, i, quadrantOf(s) ?? 'neutral', ev && ev.until > now ? ev.kind : '');
      continue;
    }
    const v = col.get(s);
    const text = col.text(s);
    if (row.shown[i] !== text) {
      const old = row.shownValue[i];
      if (continued && i > 0 && row.shown[i] !== null && typeof v === 'number' && typeof old === 'number' && v !== old) {
        row.flash[i] = v > old ? 1 : -1;
        flashed = true;
      } else {
        row.flash[i] = 0;
      }
      row.shown[i] = text;
      row.shownValue[i] = v;
    } else if (row.flashUntil <= now) {
      row.flash[i] = 0; // its flash is over
    }
    let cls = '';
    if (col.window || col.signed) {
      cls = sign(v);
      if (col.window && v != null && Math.abs(v) >= col.big) cls += ' big';
    }
    if (row.flash[i] !== 0) cls += row.flash[i] > 0 ? ' flash-up' : ' flash-down';
    setCell(slot, i, text, cls);
  }
  if (flashed) row.flashUntil = now + FLASH_MS;
  const flags = (s[F.stale] ? 'stale ' : '') + (stars.has(symbol) ? 'star ' : '') + (symbol === selected ? 'selected ' : '') + (index === hoverIndex ? 'hover' : '');
  if (slot.flags !== flags) {
    slot.flags = flags;
    slot.dirty = true;
  }
  return flashed;
}

// Draws one row at y (CSS pixels from the canvas top) from its slot.
function paintRow(slot, y) {
  const { ctx, cols, colour, width, rowHeight } = grid;
  ctx.globalAlpha = 1;
  ctx.fillStyle = slot.flags.includes('selected') ? colour.selected : slot.flags.includes('hover') ? colour.hover : colour.bg;
  ctx.fillRect(0, y, width, rowHeight);
  ctx.fillStyle = colour.line;
  ctx.fillRect(0, y + rowHeight - 1, width, 1);
  if (slot.symbol === undefined) return;
  if (slot.flags.includes('stale')) ctx.globalAlpha = 0.5;
  const middle = y + rowHeight / 2;
  for (let i = 0; i < COLUMNS.length; i++) {
    const { x, w } = cols[i] ?? { x: 0, w: 0 };
    const cls = slot.cls[i];
    if (COLUMNS[i].key === 'signal') {
      // An event (spike, flush, divergence, extreme funding) is the news: it comes first, the quadrant after it if
      // it fits.
      let left = x + 6;
      if (cls) left = badge(cls, colour.badge.event, left, middle, x + w, true) + 4;
      badge(QUADRANT_LABEL[slot.text[i]] ?? slot.text[i], colour.badge[slot.text[i]] ?? colour.badge.neutral, left, middle, x + w, !cls);
      continue;
    }
    if (cls.includes('flash-')) {
      ctx.fillStyle = cls.includes('flash-up') ? colour.flashUp : colour.flashDown;
      ctx.fillRect(x, y, w, rowHeight - 1);
    }
    ctx.fillStyle = cls.startsWith('up') ? colour.up : cls.startsWith('down') ? colour.down : colour.text;
    const font = cls.includes('big') ? grid.bold : grid.font;
    if (ctx.font !== font) ctx.font = font;
    if (i === 0) {
      // The watchlist star: filled for a starred symbol, an outline to click otherwise.
      const starred = slot.flags.includes('star');
      ctx.fillStyle = starred ? colour.accent : colour.muted;
      ctx.textAlign = 'left';
      ctx.fillText(starred ? '★' : '☆', x + 4, middle);
      ctx.fillStyle = cls.startsWith('up') ? colour.up : cls.startsWith('down') ? colour.down : colour.text;
      ctx.fillText(slot.text[i], x + 4 + STAR_WIDTH, middle, Math.max(1, w - 10 - STAR_WIDTH));
      continue;
    }
    ctx.textAlign = 'right';
    ctx.fillText(slot.text[i], x + w - 6, middle, Math.max(1, w - 12));
  }
  if (ctx.font !== grid.font) ctx.font = grid.font;
}

// A rounded badge with its label, left edge at x, drawn if it fits before `limit`; a column's first badge is squeezed
// to fit instead. Returns its right edge.
const badgeWidths = new Map();
function badge(label, [bg, fg], x, middle, limit, first) {
  const { ctx } = grid;
  ctx.font = grid.badge;
  let w = badgeWidths.get(label);
  if (w === undefined) badgeWidths.set(label, (w = Math.ceil(ctx.measureText(label).width) + 12));
  if (x + w > limit - 2) w = first ? limit - x - 2 : 0;
  if (w > 12) {
    ctx.fillStyle = bg;
    ctx.beginPath();
    ctx.roundRect(x, middle - 8, w, 16, 8);
    ctx.fill();
    ctx.fillStyle = fg;
    ctx.textAlign = 'left';
    ctx.fillText(label, x + 6, middle + 0.5, w - 12);
  }
  ctx.font = grid.font;
  return x + w;
}

// Draws the rows of the view that are on screen; a slot whose content and place are unchanged is left as drawn.
// Returns whether any cell started to flash.
function drawTable(now) {
  const { ctx, dpr, rowHeight } = grid;
  if (!ctx || grid.cols.length === 0) return false;
  const firstIndex = Math.max(0, Math.floor(grid.scrollTop / rowHeight));
  const count = Math.ceil(grid.height / rowHeight) + 1;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.textBaseline = 'middle';
  if (grid.full) {
    ctx.fillStyle = grid.colour.bg;
    ctx.fillRect(0, 0, grid.width, grid.height);
  }
  let flashed = false;
  for (let i = 0; i < count; i++) {
    const slot = slots[i] ?? (slots[i] = newSlot());
    const index = firstIndex + i;
    const y = index * rowHeight - grid.scrollTop;
    const symbol = view[index];
    if (symbol === undefined) {
      if (slot.symbol !== undefined) slot.dirty = true;
      slot.symbol = undefined;
    } else if (layoutRow(slot, symbol, index, now)) {
      flashed = true;
    }
    if (grid.full || slot.dirty || y !== slot.y) {
      slot.dirty = false;
      slot.y = y;
      paintRow(slot, y);
    }
  }
  slots.length = count;
  grid.full = false;
  return flashed;
}
