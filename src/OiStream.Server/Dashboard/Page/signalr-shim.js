// The browser build of @microsoft/signalr (signalr.min.js: a <script> in index.html, importScripts in the table worker)
// defines the global `signalR`. The package's ESM build imports files without extensions, which browsers cannot load,
// so the hub serves the OiStream JavaScript client with its '@microsoft/signalr' import pointed here (see
// DashboardEndpoints): the client then runs unchanged in Node, in the page and in the worker.
const signalR = globalThis.signalR;
if (!signalR) {
  throw new Error('signalr.min.js did not load before the OiStream client.');
}
export const { HubConnectionBuilder, HubConnectionState, HttpTransportType, LogLevel } = signalR;
