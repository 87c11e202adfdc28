// The table worker's formatting: how numbers, ages and quadrants read, and when a move is big. Loaded into the
// worker's global scope by table-worker.js, like the worker's other parts.

// Bold at or beyond this move (percent), by window length in minutes: 1 % up to 5m, rising to 8 % at a day.
const bigMove = (minutes) => (minutes <= 5 ? 1 : minutes <= 15 ? 1.5 : minutes <= 30 ? 1.75 : minutes <= 60 ? 2 : minutes <= 240 ? 4 : 8);
const windowMinutes = (w) => parseFloat(w) * ({ m: 1, h: 60, d: 1440 }[w.slice(-1)] ?? 1);
const QUADRANT_LABEL = {
  strongBullish: 'strong bullish', weakeningRally: 'weakening rally',
  strongBearish: 'strong bearish', weakeningSelloff: 'weakening sell-off', neutral: 'neutral',
};
const FLASH_MS = 600;
const COINS_SHOWN = 12;
const STAR_WIDTH = 18; // the watchlist star at the left of the symbol cell

// The client module's formatters, set once it has loaded (worker-main.js).
let formatCompact;
let formatPercent;

const formatPrice = (v) => (v == null ? '—' : v >= 1000 ? formatCompact(v, 2) : v >= 1 ? v.toFixed(2) : v.toPrecision(4));
const formatFunding = (v) => (v == null ? '—' : `${(v * 100).toFixed(4)} %`);
const formatAge = (ms) => (ms == null ? '—' : ms < 60_000 ? `${Math.round(ms / 1000)} s` : ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3_600_000)} h`);
const sign = (v) => (v == null || v === 0 ? '' : v > 0 ? 'up' : 'down');
