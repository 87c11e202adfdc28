// The messages between the dashboard's page (app.js and its page-*.js modules) and its table worker (table-worker.js
// and its worker-*.js parts), defined once for both sides. A classic script: the worker is a classic one (it loads
// SignalR's global build) and takes this with importScripts, the page with a <script> tag before its modules.
self.OiStreamMessages = Object.freeze({
  /** Page → worker. */
  ToWorker: Object.freeze({
    Init: 'init', // the canvases, their geometry, the page's colours and fonts, the hub's URL,
    Geometry: 'geometry', // the table canvas's size, columns and scroll,
    CoinGeometry: 'coinGeometry', // the coin panel canvas's size and columns,
    CoinClick: 'coinClick', // a click on a coin row,
    Scroll: 'scroll', // the table's scrollTop,
    Sort: 'sort', // the sort column and direction,
    Filter: 'filter', // the market and the search text,
    Hover: 'hover', // the row under the pointer,
    Click: 'click', // a click on a row,
    Key: 'key', // a selection step (arrows, pages, ends),
    Select: 'select', // the selected symbol and the charted ones,
    Query: 'query', // a question from window.oistream (tests, benches),
    ChooseColumns: 'chooseColumns', // the column chooser's keys,
    Stars: 'stars', // the watchlist,
    ToggleStar: 'toggleStar', // star or unstar a row (or the selected one),
    TableFocus: 'tableFocus', // whether the table has focus,
    ScatterGeometry: 'scatterGeometry', // the scatter canvas's size,
    ScatterWindow: 'scatterWindow', // the scatter's window,
    ScatterHover: 'scatterHover', // the pointer over the scatter,
    ScatterClick: 'scatterClick', // a click on the scatter
  }),
  /** Worker → page. */
  ToPage: Object.freeze({
    Loaded: 'loaded', // the worker's code is in: send init,
    Columns: 'columns', // the columns to show and every column there is, the hub's windows,
    Fields: 'fields', // the overview table's field names,
    Frame: 'frame', // a batch was drawn: counts, data age, new symbols, the charted rows,
    Watched: 'watched', // the charted symbols' rows, at once after select,
    Pick: 'pick', // a row or dot was chosen: chart it,
    Status: 'status', // the connection's state, for the status pill,
    Ready: 'ready', // the first table is in,
    CoinPick: 'coinPick', // a coin was clicked: filter by it,
    CoinsFailed: 'coinsFailed', // the coin panel could not load,
    Reply: 'reply', // the answer to a query,
    Stars: 'stars', // the watchlist changed: keep it,
    Notify: 'notify', // a signal event on a starred symbol,
    A11y: 'a11y', // the rows on screen as text,
    ScatterTip: 'scatterTip', // the tooltip of the dot under the pointer
  }),
});
