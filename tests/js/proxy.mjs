// A loopback TCP proxy in front of the hub for the client tests: it can cut every connection (a dropped network),
// drop one server→client SignalR message (a missed update) and hold one back until another has passed (messages
// reordered, as the hub may send them), so reconnect, seq-gap resync and ordering are tested against the real hub
// rather than a mock of it.
import net from 'node:net';

const RECORD_SEPARATOR = 0x1e;

/**
 * @param {string} target the hub's base URL (http://127.0.0.1:port)
 */
export async function startProxy(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  let dropNext = null; // predicate over a SignalR JSON message; the first match is dropped
  let dropped = 0;
  let hold = null; // { match, release, message, timer }: the first match is held until a `release` match has passed
  let releasedBy = null;

  let lastClient = null;
  const server = net.createServer((client) => {
    lastClient = client;
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);

    // Server → client: pass the HTTP upgrade response through, then parse WebSocket frames (unmasked from a server).
    let headerDone = false;
    let buffer = Buffer.alloc(0);
    upstream.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!headerDone) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        client.write(buffer.subarray(0, end + 4));
        buffer = buffer.subarray(end + 4);
        headerDone = true;
      }
      for (;;) {
        const frame = readFrame(buffer);
        if (!frame) return;
        buffer = buffer.subarray(frame.length);
        client.write(filterFrame(frame));
      }
    });
  });

  const parse = (m) => {
    try {
      return JSON.parse(m.toString('utf8'));
    } catch {
      return null;
    }
  };
  const records = (messages) => encodeText(Buffer.concat(messages.map((m) => Buffer.concat([m, Buffer.from([RECORD_SEPARATOR])]))));

  function filterFrame(frame) {
    if ((!dropNext && !hold) || frame.opcode !== 1 || !frame.fin) return frame.raw;
    const messages = splitRecords(frame.payload);
    let changed = false;
    if (dropNext) {
      const index = messages.findIndex((m) => dropNext(parse(m)));
      if (index >= 0) {
        dropNext = null;
        dropped++;
        messages.splice(index, 1);
        changed = true;
      }
    }
    let release = false;
    if (hold && !hold.message) {
      const index = messages.findIndex((m) => hold.match(parse(m)));
      if (index >= 0) {
        hold.message = messages.splice(index, 1)[0];
        changed = true;
        const held = hold;
        // Never hold for ever: a test waiting on the held message would hang.
        held.timer = setTimeout(() => held.flush('timeout'), 10_000);
      }
    } else if (hold?.message && messages.some((m) => hold.release(parse(m)))) {
      release = true;
    }
    let out = changed ? (messages.length === 0 ? Buffer.alloc(0) : records(messages)) : frame.raw;
    if (release) {
      const held = hold;
      clearTimeout(held.timer);
      hold = null;
      releasedBy = 'release';
      out = Buffer.concat([out, records([held.message])]);
    }
    return out;
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Cuts every open connection, as a network failure would. */
    cutAll() {
      const n = [...sockets].length / 2;
      for (const s of sockets) s.destroy();
      sockets.clear();
      return n;
    },
    /** Drops the next server→client message that matches. */
    dropNextMessage(predicate) {
      dropNext = predicate;
    },
    /**
     * Holds the next server→client message that matches `match` and sends it right after the first later message that
     * matches `release` (or after 10 s). `releasedBy` then says which: 'release' or 'timeout'.
     */
    holdUntil(match, release) {
      releasedBy = null;
      hold = {
        match, release, message: null, timer: 0,
        flush(why) {
          if (hold !== this) return;
          hold = null;
          releasedBy = why;
          lastClient?.write(records([this.message]));
        },
      };
    },
    get releasedBy() {
      return releasedBy;
    },
    get dropped() {
      return dropped;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function readFrame(buf) {
  if (buf.length < 2) return null;
  const fin = (buf[0] & 0x80) !== 0;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let len = buf[1] & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (masked) offset += 4; // never from a server, but keep the framing right
  if (buf.length < offset + len) return null;
  return { fin, opcode, payload: buf.subarray(offset, offset + len), raw: buf.subarray(0, offset + len), length: offset + len };
}

function splitRecords(payload) {
  const out = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    if (payload[i] === RECORD_SEPARATOR) {
      out.push(payload.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

function encodeText(payload) {
  let header;
  if (payload.length < 126) {
    header = Buffer.from([0x81, payload.length]);
  } else if (payload.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([header, payload]);
}
