// What the dashboard page's modules share: the table worker and its messages (messages.js), the state more than one
// module reads, the hub's REST with the page's API key, and small DOM helpers.
export const $ = (id) => document.getElementById(id);
export const { ToWorker, ToPage } = globalThis.OiStreamMessages;
export const worker = new Worker('table-worker.js');

export const state = {
  F: {}, // field name → position in a table row (rows from the worker are the hub's arrays)
  known: new Set(), // every symbol the worker has seen
  watchedRows: new Map(), // symbol → newest row, for the symbols on the chart
  columns: [], // the table's columns, as the worker built them
  viewLength: 0, // rows in the filtered view
  selected: null, // the charted symbol
  reveal: false, // scroll the next selection into view (keys, ?symbol=)
};

export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

// ---- access ------------------------------------------------------------------------------------------------------
// A hub with API keys (docs/security.md) is opened once as /?access_token=KEY: the key is kept for this tab only and
// taken out of the address bar, so it is not bookmarked, shared or sent as a referrer.
export const apiKey = (() => {
  const url = new URL(location.href);
  const given = url.searchParams.get('access_token');
  if (given) {
    sessionStorage.setItem('oistream.apiKey', given);
    url.searchParams.delete('access_token');
    history.replaceState(null, '', url);
  }
  return sessionStorage.getItem('oistream.apiKey');
})();

export function api(path) {
  return fetch(path, apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : undefined);
}


// The worker's answers to window.oistream's questions (tests, benches).
const replies = new Map(); // query id → resolve
let queryId = 0;
export function ask(what, ...args) {
  return new Promise((resolve, reject) => {
    const id = ++queryId;
    const timer = setTimeout(() => {
      replies.delete(id);
      reject(new Error(`the table worker did not answer '${what}' within 10 s (see the console for its error)`));
    }, 10_000);
    replies.set(id, (result) => {
      clearTimeout(timer);
      resolve(result);
    });
    worker.postMessage({ type: ToWorker.Query, id, what, args });
  });
}


/** Hands a query's answer to whoever asked. */
export function answered(m) {
  replies.get(m.id)?.(m.result);
  replies.delete(m.id);
}
