// wamp.js: a small WAMP v2 client for the wampd console, over the browser's
// WebSocket with the JSON serializer (subprotocol wamp.2.json). It speaks
// what the console needs and no more: HELLO/WELCOME (anonymous, or ticket
// through CHALLENGE/AUTHENTICATE), CALL/RESULT/ERROR, SUBSCRIBE/SUBSCRIBED/
// EVENT, GOODBYE. No progressive results, no callee or publisher role.
(function (global) {
  "use strict";

  const HELLO = 1, WELCOME = 2, ABORT = 3, CHALLENGE = 4, AUTHENTICATE = 5,
    GOODBYE = 6, ERROR = 8, SUBSCRIBE = 32, SUBSCRIBED = 33, EVENT = 36,
    CALL = 48, RESULT = 50;

  // WampError is an ERROR or ABORT from the router: uri is the error URI.
  class WampError extends Error {
    constructor(uri, args, kwargs) {
      const text = args && args.length && typeof args[0] === "string" ? args[0] : (kwargs && kwargs.message) || "";
      super(text ? uri + ": " + text : uri);
      this.uri = uri;
      this.args = args || [];
      this.kwargs = kwargs || {};
    }
  }

  // Session is one joined WAMP session. Session.connect opens it.
  class Session {
    constructor(ws) {
      this.ws = ws;
      this.id = 0;
      this.details = {};
      this.nextRequest = 1;
      this.pending = new Map(); // request id -> {resolve, reject, handler?}
      this.handlers = new Map(); // subscription id -> event handler
      this.onclose = null; // called once with a reason when the session ends
      this.closed = false;
    }

    // connect joins realm at url. opts.authid and opts.ticket log in with
    // the ticket method; without a ticket the session is anonymous.
    static connect(url, realm, opts) {
      opts = opts || {};
      return new Promise((resolve, reject) => {
        let ws;
        try {
          ws = new WebSocket(url, ["wamp.2.json"]);
        } catch (e) {
          reject(e);
          return;
        }
        const s = new Session(ws);
        let joined = false;
        ws.onopen = () => {
          const details = {
            roles: { caller: { features: {} }, subscriber: { features: {} } },
            authmethods: opts.ticket ? ["ticket"] : ["anonymous"],
          };
          if (opts.authid) details.authid = opts.authid;
          s.send([HELLO, realm, details]);
        };
        ws.onmessage = (ev) => {
          let msg;
          try {
            msg = JSON.parse(ev.data);
          } catch (e) {
            ws.close(1003, "not JSON");
            return;
          }
          if (joined) {
            s.route(msg);
            return;
          }
          switch (msg[0]) {
            case WELCOME:
              joined = true;
              s.id = msg[1];
              s.details = msg[2] || {};
              resolve(s);
              break;
            case CHALLENGE:
              if (msg[1] !== "ticket" || !opts.ticket) {
                ws.close(1000);
                reject(new Error("router asked for " + msg[1]));
                return;
              }
              s.send([AUTHENTICATE, opts.ticket, {}]);
              break;
            case ABORT:
              ws.close(1000);
              reject(new WampError(msg[2], [msg[1] && msg[1].message].filter(Boolean)));
              break;
            default:
              ws.close(1002, "protocol error");
              reject(new Error("unexpected message " + msg[0] + " before WELCOME"));
          }
        };
        ws.onclose = (ev) => {
          if (!joined) {
            reject(new Error("WebSocket closed before WELCOME (code " + ev.code + ")"));
            return;
          }
          s.end("connection closed (code " + ev.code + ")");
        };
      });
    }

    send(msg) {
      this.ws.send(JSON.stringify(msg));
    }

    request() {
      return this.nextRequest++;
    }

    // call calls procedure and resolves with {args, kwargs} of the RESULT,
    // or rejects with a WampError.
    call(procedure, args, kwargs) {
      if (this.closed) return Promise.reject(new Error("session closed"));
      const id = this.request();
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        const msg = [CALL, id, {}, procedure, args || []];
        if (kwargs) msg.push(kwargs);
        this.send(msg);
      });
    }

    // subscribe subscribes handler(args, kwargs, details) to topic and
    // resolves with the subscription id.
    subscribe(topic, handler, options) {
      if (this.closed) return Promise.reject(new Error("session closed"));
      const id = this.request();
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, handler });
        this.send([SUBSCRIBE, id, options || {}, topic]);
      });
    }

    route(msg) {
      switch (msg[0]) {
        case RESULT: {
          const p = this.take(msg[1]);
          if (p) p.resolve({ args: msg[3] || [], kwargs: msg[4] || {}, details: msg[2] || {} });
          break;
        }
        case SUBSCRIBED: {
          const p = this.take(msg[1]);
          if (p) {
            this.handlers.set(msg[2], p.handler);
            p.resolve(msg[2]);
          }
          break;
        }
        case ERROR: {
          const p = this.take(msg[2]);
          if (p) p.reject(new WampError(msg[4], msg[5], msg[6]));
          break;
        }
        case EVENT: {
          const h = this.handlers.get(msg[1]);
          if (h) {
            try {
              h(msg[4] || [], msg[5] || {}, msg[3] || {});
            } catch (e) {
              console.error("event handler:", e);
            }
          }
          break;
        }
        case GOODBYE:
          if (!this.closed) this.send([GOODBYE, {}, "wamp.close.goodbye_and_out"]);
          this.end(msg[2] + (msg[1] && msg[1].message ? ": " + msg[1].message : ""));
          this.ws.close(1000);
          break;
        default:
          // Nothing else is expected for a caller and subscriber.
          this.ws.close(1002, "protocol error");
      }
    }

    take(id) {
      const p = this.pending.get(id);
      this.pending.delete(id);
      return p;
    }

    // end fails what is pending and reports reason once.
    end(reason) {
      if (this.closed) return;
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error(reason));
      this.pending.clear();
      if (this.onclose) this.onclose(reason);
    }

    // close says GOODBYE and closes the WebSocket.
    close() {
      if (this.closed) return;
      try {
        this.send([GOODBYE, {}, "wamp.close.close_realm"]);
      } catch (e) {
        // the socket is already gone
      }
      this.end("closed by the console");
      this.ws.close(1000);
    }
  }

  global.Wamp = { Session, WampError };
})(window);
