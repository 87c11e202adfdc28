// The price/OI scatter's canvas. Loaded into the worker's global scope by table-worker.js.

// ---- price/OI scatter ---------------------------------------------------------------------------------------------
// Every instrument of the table's view as a dot: price change across, OI change up, for one window; the quadrants of
// the signal table shaded and named, dot size by OI in USD. Drawn with the table's batches.
const scatter = { canvas: null, ctx: null, width: 0, height: 0, dpr: 1, window: '1h', points: [], hover: null };
const SCATTER_PAD = 28;
const QUADRANTS = [
  // [x sign, y sign, name, label]
  [1, 1, 'strongBullish', 'strong bullish'], [1, -1, 'weakeningRally', 'weakening rally'],
  [-1, 1, 'strongBearish', 'strong bearish'], [-1, -1, 'weakeningSelloff', 'weakening sell-off'],
];

// A scale that keeps the bulk readable: the 95th percentile of the absolute values (at least 0.5 %), outliers pinned
// to the edge.
function span(values) {
  const abs = values.map(Math.abs).sort((a, b) => a - b);
  return Math.max(0.5, abs[Math.floor(abs.length * 0.95)] ?? 0) * 1.1;
}

function drawScatter() {
  const { ctx, dpr, width, height } = scatter;
  if (!ctx || width === 0 || !grid.colour) return;
  const colour = grid.colour;
  const c = F[`change.${scatter.window}`];
  const p = F[`priceChange.${scatter.window}`];
  const points = [];
  let maxUsd = 0;
  for (const symbol of view) {
    const s = rows.get(symbol).state;
    const y = s[c];
    const x = s[p];
    if (x == null || y == null) continue;
    const usd = s[F.openInterestUsd] ?? 0;
    maxUsd = Math.max(maxUsd, usd);
    points.push({ symbol, x, y, usd });
  }
  const sx = span(points.map((q) => q.x));
  const sy = span(points.map((q) => q.y));
  const cx = width / 2;
  const cy = height / 2;
  const kx = (cx - SCATTER_PAD) / sx;
  const ky = (cy - SCATTER_PAD) / sy;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = colour.panel;
  ctx.fillRect(0, 0, width, height);
  for (const [qx, qy, name, label] of QUADRANTS) {
    const [bg, fg] = colour.badge[name];
    ctx.globalAlpha = 0.16;
    ctx.fillStyle = bg;
    ctx.fillRect(qx > 0 ? cx : 0, qy > 0 ? 0 : cy, cx, cy);
    ctx.globalAlpha = 1;
    ctx.fillStyle = fg === '#fff' ? bg : fg;
    ctx.font = grid.small;
    ctx.textAlign = qx > 0 ? 'right' : 'left';
    ctx.textBaseline = qy > 0 ? 'top' : 'bottom';
    ctx.fillText(label, qx > 0 ? width - 6 : 6, qy > 0 ? 6 : height - 6);
  }
  ctx.fillStyle = colour.line;
  ctx.fillRect(0, Math.round(cy), width, 1);
  ctx.fillRect(Math.round(cx), 0, 1, height);
  ctx.fillStyle = colour.text;
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'right';
  ctx.fillText(`price ${scatter.window} → ±${sx.toFixed(1)} %`, width - 6, cy - 3);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(`OI ${scatter.window} ↑ ±${sy.toFixed(1)} %`, cx + 4, SCATTER_PAD - 18);
  const pin = (v, k, centre, half) => centre + Math.max(-half, Math.min(half, v * k));
  scatter.points = points.map((q) => {
    const quadrant = q.x === 0 || q.y === 0 ? 'neutral' : q.x > 0 ? (q.y > 0 ? 'strongBullish' : 'weakeningRally') : (q.y > 0 ? 'strongBearish' : 'weakeningSelloff');
    return {
      symbol: q.symbol, x: q.x, y: q.y, quadrant,
      px: pin(q.x, kx, cx, cx - 4), py: pin(-q.y, ky, cy, cy - 4), r: 2 + 9 * Math.sqrt(maxUsd > 0 ? q.usd / maxUsd : 0),
    };
  });
  // Largest first, so small dots stay visible on top.
  const order = [...scatter.points].sort((a, b) => b.r - a.r);
  for (const q of order) {
    const [bg] = colour.badge[q.quadrant] ?? colour.badge.neutral;
    ctx.globalAlpha = 0.75;
    ctx.fillStyle = q.quadrant === 'neutral' ? colour.text : bg === '#2d4a2f' ? '#6fbf73' : bg === '#4d2426' ? '#e07b74' : bg;
    ctx.beginPath();
    ctx.arc(q.px, q.py, q.r, 0, Math.PI * 2);
    ctx.fill();
    if (q.symbol === selected || q.symbol === scatter.hover) {
      ctx.globalAlpha = 1;
      ctx.strokeStyle = colour.accent;
      ctx.lineWidth = 2;
      ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
}

// The dot nearest to a point of the canvas (CSS pixels), within a few pixels of its edge.
function dotAt(x, y) {
  let best = null;
  let bestDistance = Infinity;
  for (const q of scatter.points) {
    const d = Math.hypot(q.px - x, q.py - y) - q.r;
    if (d < bestDistance) {
      best = q;
      bestDistance = d;
    }
  }
  return bestDistance <= 6 ? best : null;
}
