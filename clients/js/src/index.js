// The package entry for Node and bundlers: the client with @microsoft/signalr set (see client.js).
import * as signalR from '@microsoft/signalr';
import { useSignalR } from './client.js';

useSignalR(signalR);

export * from './client.js';
