// The coin panel's canvas: the largest coins' aggregates under the page's header cells. Loaded into the worker's global
// scope by table-worker.js.

// ---- coin panel --------------------------------------------------------------------------------------------------
// One row per coin under the page's header cells: coin, OI in USD and in coins, the stable- vs coin-margined split as a
// bar and a percentage, options OI, 1h and 24h change. A row is drawn again only when its text changed.
const coinGrid = { canvas: null, ctx: null, width: 0, height: 0, dpr: 1, rowHeight: 22, cols: [], full: true, drawn: [] };

// Each venue's share of the coin's OI in USD, in the header's order; '—' where a venue does not list the coin, '*'
// after a share whose figures are stale.
const VENUES = ['binance', 'bybit', 'okx'];
function venueSplit(c) {
  const shares = c.exchanges ?? [];
  return VENUES.map((v) => {
    const e = shares.find((s) => s.exchange === v);
    if (!e || !(c.openInterestUsd > 0)) return '—';
    return `${((100 * e.openInterestUsd) / c.openInterestUsd).toFixed(0)}${e.stale ? '*' : ''}`;
  }).join(' / ');
}

function coinTexts(c) {
  const futures = c.openInterestUsdByStableMargin + c.openInterestUsdByCoinMargin;
  const stable = futures > 0 ? (100 * c.openInterestUsdByStableMargin) / futures : 0;
  return {
    stable,
    text: [
      c.coin, `$${formatCompact(c.openInterestUsd)}`, formatCompact(c.openInterestCoin), `${stable.toFixed(0)}%`,
      c.optionsOpenInterestUsd > 0 ? `$${formatCompact(c.optionsOpenInterestUsd)}` : '—',
      formatPercent(c.change['1h']), formatPercent(c.change['24h']), venueSplit(c),
    ],
    sign: [null, null, null, null, null, sign(c.change['1h']), sign(c.change['24h']), null],
  };
}

function drawCoins() {
  const { ctx, dpr, rowHeight, cols, width } = coinGrid;
  if (!ctx || cols.length === 0) return;
  const colour = grid.colour;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.textBaseline = 'middle';
  if (coinGrid.full) {
    ctx.fillStyle = colour.panel;
    ctx.fillRect(0, 0, coinGrid.width, coinGrid.height);
    coinGrid.drawn = [];
  }
  coinGrid.full = false;
  const rowsShown = Math.min(coinOrder.length, Math.floor(coinGrid.height / rowHeight));
  for (let i = 0; i < rowsShown; i++) {
    const c = coinStates.get(coinOrder[i]);
    if (!c) continue;
    const { stable, text, sign: signs } = coinTexts(c);
    const key = text.join('|');
    if (coinGrid.drawn[i]?.key === key) continue;
    coinGrid.drawn[i] = { key, text };
    const y = i * rowHeight;
    const middle = y + rowHeight / 2;
    ctx.fillStyle = colour.panel;
    ctx.fillRect(0, y, width, rowHeight);
    ctx.fillStyle = colour.line;
    ctx.fillRect(0, y + rowHeight - 1, width, 1);
    ctx.font = grid.small;
    for (let k = 0; k < text.length; k++) {
      const { x, w } = cols[k] ?? { x: 0, w: 0 };
      if (k === 3) {
        // The split: a 44 px bar, stablecoin-margined share in blue, coin-margined in amber, then the percentage.
        const bx = x + 4;
        ctx.save();
        ctx.beginPath();
        ctx.roundRect(bx, middle - 4, 44, 8, 4);
        ctx.clip();
        ctx.fillStyle = colour.accent;
        ctx.fillRect(bx, middle - 4, 44, 8);
        ctx.fillStyle = colour.blue;
        ctx.fillRect(bx, middle - 4, (44 * stable) / 100, 8);
        ctx.restore();
        ctx.font = grid.small;
      }
      ctx.fillStyle = signs[k] === 'up' ? colour.up : signs[k] === 'down' ? colour.down : colour.text;
      ctx.textAlign = k === 0 ? 'left' : 'right';
      ctx.fillText(text[k], k === 0 ? x + 4 : x + w - 4, middle, Math.max(1, k === 3 ? w - 56 : w - 8));
    }
  }
}
