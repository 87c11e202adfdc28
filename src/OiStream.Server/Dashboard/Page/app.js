// The OiStream dashboard: the whole instrument table, coin aggregates, the price/OI scatter, an OI chart with history
// from the hub's REST API and the live tail appended.
//
// The page runs in two threads. table-worker.js holds the hub connection (the OiStream JavaScript client), the model
// of every instrument, sorting and filtering, and draws the table's, the coin panel's and the scatter's canvases. This
// main thread keeps what a reader touches: the headers and controls (page-table.js), the chart (page-chart.js), the
// accessible grid, copy and notifications (page-reader.js) and the status line; it hears from the worker once per
// drawn batch (ToPage.Frame; messages.js names every message). Why: drawing 600+ instruments changing every second
// as DOM rows cost this thread several times its budget (figures in docs/dashboard.md).
import { tableIndex } from './oistream-client.js';
import { chartInfo, chartTail, initChart, rowsArrived, selectSymbol } from './page-chart.js';
import { copyRow, notifications, notify, STAR_STORE, toggleAlerts, updateGrid } from './page-reader.js';
import { $, answered, ask, setText, state, ToPage, worker } from './page-state.js';
import { initTable, scrollToIndex, sendFilter, setBodyHeight, setColumns, showTip, tableGeometry } from './page-table.js';

let newestData = 0;
let simulated = false;
const perf = { overviewBatches: 0, batches: 0, rowsApplied: 0, totalMs: 0, maxMs: 0, samples: [] };

// ---- worker messages ---------------------------------------------------------------------------------------------
let whenReady;
const ready = new Promise((resolve) => { whenReady = resolve; });

worker.onmessage = ({ data: m }) => {
  switch (m.type) {
    case ToPage.Loaded:
      initTable();
      break;
    case ToPage.Columns: setColumns(m); break;
    case ToPage.Stars:
      localStorage.setItem(STAR_STORE, JSON.stringify(m.symbols));
      break;
    case ToPage.Notify: notify(m); break;
    case ToPage.ScatterTip: showTip(m.tip); break;
    case ToPage.A11y: updateGrid(m); break;
    case ToPage.Fields:
      state.F = tableIndex(m);
      break;
    case ToPage.Frame: onFrame(m); break;
    case ToPage.Watched:
      for (const r of m.rows) state.watchedRows.set(r[state.F.symbol], r);
      if (state.reveal && m.index >= 0) scrollToIndex(m.index);
      state.reveal = false;
      rowsArrived();
      break;
    case ToPage.Pick: selectSymbol(m.symbol); break;
    case ToPage.Status: setConnection(m.text, m.kind); break;
    case ToPage.Ready: whenReady(m.first); break;
    case ToPage.CoinPick:
      $('search').value = m.coin;
      sendFilter();
      break;
    case ToPage.CoinsFailed:
      $('coin-note').textContent = `Coins unavailable: ${m.message}`;
      $('coin-note').hidden = false;
      break;
    case ToPage.Reply: answered(m); break;
    default: break;
  }
};
worker.onerror = (e) => setConnection(`table worker failed: ${e.message}`, 'down');

// A batch was drawn (or the view changed): the count, data age, new symbols and the chart's rows.
function onFrame(m) {
  Object.assign(perf, m.perf);
  if (m.sample !== null && perf.samples.length < 10000) perf.samples.push(m.sample);
  if (m.simulated && !simulated) {
    simulated = true;
    $('sim-banner').hidden = false;
  }
  if (m.added.length > 0) {
    const list = $('symbols');
    for (const symbol of m.added) {
      state.known.add(symbol);
      const option = document.createElement('option');
      option.value = symbol;
      list.append(option);
    }
  }
  if (state.viewLength !== m.viewLength) {
    state.viewLength = m.viewLength;
    setBodyHeight();
  }
  setText($('count'), `${m.viewLength} of ${m.total} instruments`);
  for (const r of m.watched) {
    state.watchedRows.set(r[state.F.symbol], r);
    chartTail(r);
  }
  if (m.newestData > newestData) {
    newestData = m.newestData;
    drawAge(Date.now());
  }
}


// ---- status ------------------------------------------------------------------------------------------------------
function setConnection(text, kind) {
  const pill = $('conn');
  pill.textContent = text;
  pill.className = `pill pill-${kind}`;
}


// The age is drawn with every batch; this timer, pushed back by each draw, only fires when batches stop (a stalled
// feed must show), then every 1.5 s.
let ageTimer = 0;
function tickAge() {
  drawAge(Date.now());
}

function drawAge(now) {
  if (!newestData) return;
  clearTimeout(ageTimer);
  ageTimer = setTimeout(tickAge, 1500);
  const age = $('age');
  const seconds = Math.max(0, (now - newestData) / 1000);
  setText(age, `data ${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s old`);
  const old = seconds > 10;
  if (age.classList.contains('old') !== old) age.classList.toggle('old', old);
}

// ---- start -------------------------------------------------------------------------------------------------------
async function main() {
  $('market').addEventListener('change', sendFilter);
  $('exchange').addEventListener('change', sendFilter);
  $('search').addEventListener('input', sendFilter);
  initChart();
  $('copy-row').addEventListener('click', copyRow);
  // The column chooser closes on a click elsewhere or Escape, like a menu.
  document.addEventListener('click', (e) => {
    if (!$('column-chooser').contains(e.target)) $('column-chooser').open = false;
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && $('column-chooser').open) $('column-chooser').open = false;
  });
  $('notify').addEventListener('click', toggleAlerts);
  // For tests and benches only (/?hooks): the page's own state, and the worker's through ask() (view, size, column,
  // value, screen, scatter…). A reader's page exposes nothing.
  if (new URL(location.href).searchParams.has('hooks')) window.oistream = {
    perf, ask, ...tableGeometry, selected: () => state.selected, notifications, chartInfo,
  };

  const first = await ready;
  const params = new URL(location.href).searchParams;
  const wanted = params.get('symbol')?.toUpperCase();
  state.reveal = Boolean(wanted && state.known.has(wanted));
  selectSymbol(state.reveal ? wanted : first);
  const coin = params.get('coin');
  if (coin) {
    $('search').value = coin.toUpperCase();
    sendFilter();
  }
}

main();
