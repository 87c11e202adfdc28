// The browser build of @microsoft/signalr (signalr.min.js, loaded by index.html before any module) defines the global
// `signalR`. The package's ESM build imports files without extensions, which browsers cannot load, so the import map
// in index.html points '@microsoft/signalr' here: the OiStream JavaScript client then runs unchanged in Node and here.
const signalR = globalThis.signalR;
if (!signalR) {
  throw new Error('signalr.min.js did not load before the dashboard.');
}
export const { HubConnectionBuilder, HubConnectionState, HttpTransportType, LogLevel } = signalR;
