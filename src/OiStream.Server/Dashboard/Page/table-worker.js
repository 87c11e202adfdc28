// The dashboard's table worker: it holds the page's hub connection (the OiStream JavaScript client), the model of every
// instrument, the sorted and filtered view, and draws the visible rows on the page's canvas (an OffscreenCanvas), the
// coin panel's rows and the price/OI scatter on two more.
//
// Why a worker: with 600+ instruments changing every second, receiving the overview, sorting it and drawing a
// screenful of changed numbers cost the page's main thread several times its budget as DOM rows, and about as much on
// a main-thread canvas (Chromium's software rasteriser draws and commits a canvas on the thread that owns it; figures
// in docs/dashboard.md). Here all of that runs beside the page: the main thread keeps the header, the controls and the
// chart, and hears from this worker once per drawn batch.
//
// A classic worker, not a module one: SignalR's browser build (signalr.min.js) defines a global, which the client
// module is handed with useSignalR. Its parts, one concern each, share the worker's global scope:
importScripts(
  'signalr.min.js',
  'messages.js', // the page ↔ worker messages, shared with the page
  'worker-format.js', // how numbers read
  'worker-model.js', // columns, rows, filter, sort, view
  'worker-table.js', // the table canvas
  'worker-coins.js', // the coin panel canvas
  'worker-scatter.js', // the price/OI scatter canvas
  'worker-a11y.js', // the rows as text for screen readers
  'worker-main.js', // frames, the page's messages and queries, the hub
);
