package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wampd/wampd/codec"
)

// errBadRequest wraps what the bridge refuses to send (400): a body or
// message that does not decode.
var errBadRequest = errors.New("bridge: bad request")

// request is the JSON body of /publish and /call. Args, Kwargs and Options
// stay raw: they are spliced into the WAMP message as they are.
type request struct {
	Topic     string          `json:"topic"`
	Procedure string          `json:"procedure"`
	Args      json.RawMessage `json:"args"`
	Kwargs    json.RawMessage `json:"kwargs"`
	Options   json.RawMessage `json:"options"`
}

// reply is the JSON of every answer: the publication id, a RESULT's args
// and kwargs, or an error (a WAMP error's URI with its args and kwargs, or
// the bridge's own with a message).
type reply struct {
	ID      uint64          `json:"id,omitempty"`
	Error   string          `json:"error,omitempty"`
	Message string          `json:"message,omitempty"`
	Args    json.RawMessage `json:"args,omitempty"`
	Kwargs  json.RawMessage `json:"kwargs,omitempty"`
}

func write(w http.ResponseWriter, status int, rep reply) {
	b, err := json.Marshal(rep)
	if err != nil { // a payload that does not re-encode: say so, not 200
		status, b = http.StatusBadGateway, []byte(`{"error":"`+string(codec.ErrInvalidArgument)+`","message":"answer is not JSON"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// fail answers with the bridge's own error.
func fail(w http.ResponseWriter, status int, uri codec.URI, msg string) {
	write(w, status, reply{Error: string(uri), Message: msg})
}

// decodeRequest parses a /publish or /call body, checking the shapes of
// args (a list), kwargs and options (dicts); null is absent.
func decodeRequest(body []byte) (request, error) {
	var req request
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&req); err != nil {
		return req, fmt.Errorf("body is not a valid request: %w", err)
	}
	if d.More() {
		return req, errors.New("body has data after the JSON object")
	}
	for _, f := range [...]struct {
		name string
		v    *json.RawMessage
		open byte
	}{{"args", &req.Args, '['}, {"kwargs", &req.Kwargs, '{'}, {"options", &req.Options, '{'}} {
		switch {
		case len(*f.v) == 0 || string(*f.v) == "null":
			*f.v = nil
		case (*f.v)[0] != f.open:
			kind := "a list"
			if f.open == '{' {
				kind = "an object"
			}
			return req, fmt.Errorf("%s must be %s", f.name, kind)
		}
	}
	return req, nil
}

// options is a request's options object as keys to raw values.
func options(raw json.RawMessage) map[string]json.RawMessage {
	o := map[string]json.RawMessage{}
	if raw != nil {
		_ = json.Unmarshal(raw, &o) // decodeRequest checked it is an object
	}
	return o
}

// message is a WAMP message as JSON text: [typ, req, options, uri, args?,
// kwargs?].
func message(typ codec.Type, req uint64, opts map[string]json.RawMessage, uri string, args, kwargs json.RawMessage) []byte {
	o, _ := json.Marshal(opts) // raw values already valid JSON
	u, _ := json.Marshal(uri)
	b := fmt.Appendf(nil, "[%d,%d,%s,%s", typ, req, o, u)
	if args != nil || kwargs != nil {
		if args == nil {
			args = json.RawMessage("[]")
		}
		b = append(append(b, ','), args...)
	}
	if kwargs != nil {
		b = append(append(b, ','), kwargs...)
	}
	return append(b, ']')
}

// publish serves POST /publish: an acknowledged PUBLISH, answered with the
// publication id.
func (b *Bridge) publish(w http.ResponseWriter, r *http.Request, p *principal, body []byte) {
	req, err := decodeRequest(body)
	if err != nil {
		fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, err.Error())
		return
	}
	if req.Topic == "" || req.Procedure != "" {
		fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, "publish needs a topic (and no procedure)")
		return
	}
	b.sendPublish(w, r, p, req.Topic, options(req.Options), req.Args, req.Kwargs)
}

func (b *Bridge) sendPublish(w http.ResponseWriter, r *http.Request, p *principal, topic string, opts map[string]json.RawMessage, args, kwargs json.RawMessage) {
	opts["acknowledge"] = json.RawMessage("true") // the id is the answer
	ctx, cancel := context.WithTimeout(r.Context(), b.timeout)
	defer cancel()
	a, err := p.request(ctx, func(req uint64) []byte {
		return message(codec.Publish, req, opts, topic, args, kwargs)
	})
	if err != nil {
		b.failed(w, err)
		return
	}
	if a.typ == codec.Error {
		write(w, statusOf(a.uri), reply{Error: a.uri, Args: a.args, Kwargs: a.kwargs})
		return
	}
	write(w, http.StatusOK, reply{ID: a.id})
}

// call serves POST /call: a CALL whose RESULT is the answer. The call's
// timeout is options.timeout (ms) when it is shorter than call_timeout,
// else call_timeout; the dealer enforces it (wamp.error.timeout, 504), and
// the bridge gives up a moment later if no answer came.
func (b *Bridge) call(w http.ResponseWriter, r *http.Request, p *principal, body []byte) {
	req, err := decodeRequest(body)
	if err != nil {
		fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, err.Error())
		return
	}
	if req.Procedure == "" || req.Topic != "" {
		fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, "call needs a procedure (and no topic)")
		return
	}
	opts := options(req.Options)
	timeout := b.timeout
	if raw, ok := opts["timeout"]; ok {
		var ms float64
		if err := json.Unmarshal(raw, &ms); err != nil || ms < 0 || ms > math.MaxInt32 || ms != math.Trunc(ms) {
			fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, "options.timeout must be a whole number of milliseconds")
			return
		}
		if d := time.Duration(ms) * time.Millisecond; d > 0 && d < timeout {
			timeout = d
		}
	}
	opts["timeout"] = json.RawMessage(strconv.FormatInt(timeout.Milliseconds(), 10))
	delete(opts, "receive_progress") // one answer per request: the final RESULT
	ctx, cancel := context.WithTimeout(r.Context(), timeout+time.Second)
	defer cancel()
	a, err := p.request(ctx, func(id uint64) []byte {
		return message(codec.Call, id, opts, req.Procedure, req.Args, req.Kwargs)
	})
	if err != nil {
		b.failed(w, err)
		return
	}
	if a.typ == codec.Error {
		write(w, statusOf(a.uri), reply{Error: a.uri, Args: a.args, Kwargs: a.kwargs})
		return
	}
	rep := reply{Args: a.args, Kwargs: a.kwargs}
	if rep.Args == nil {
		rep.Args = json.RawMessage("[]")
	}
	if rep.Kwargs == nil {
		rep.Kwargs = json.RawMessage("{}")
	}
	write(w, http.StatusOK, rep)
}

// webhook serves POST /webhook/NAME: the body (parsed when the request
// says it is JSON, else as a string, or as binary by the spec's "\u0000" +
// base64 convention when it is not UTF-8) is the event's one argument;
// kwargs.headers holds the webhook's selected headers (the first value of
// each that is present).
func (b *Bridge) webhook(w http.ResponseWriter, r *http.Request, p *principal, h webhook, body []byte) {
	var arg json.RawMessage
	if isJSON(r.Header.Get("Content-Type")) {
		if !json.Valid(body) {
			var v any
			err := json.Unmarshal(body, &v)
			fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, fmt.Sprintf("body is not valid JSON: %v", err))
			return
		}
		arg = body
	} else {
		s := string(body)
		if !utf8.Valid(body) {
			s = "\x00" + base64.StdEncoding.EncodeToString(body)
		}
		arg, _ = json.Marshal(s)
	}
	headers := make(map[string]string, len(h.headers))
	for _, name := range h.headers {
		if v := r.Header.Get(name); v != "" {
			headers[name] = v
		}
	}
	kw, _ := json.Marshal(map[string]any{"headers": headers})
	args := append(append(json.RawMessage("["), arg...), ']')
	b.sendPublish(w, r, p, h.topic, map[string]json.RawMessage{}, args, kw)
}

// isJSON reports whether a Content-Type is JSON (application/json or a
// +json type).
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json")
}

// failed answers a request that got no answer from the realm.
func (b *Bridge) failed(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errBadRequest):
		fail(w, http.StatusBadRequest, codec.ErrInvalidArgument, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		fail(w, http.StatusGatewayTimeout, codec.ErrTimeout, "no answer in time")
	case errors.Is(err, context.Canceled): // the client went away
		fail(w, http.StatusServiceUnavailable, codec.ErrCanceled, "request canceled")
	default:
		b.log.Debug("bridge request failed", "realm", b.realm, "err", err)
		fail(w, http.StatusServiceUnavailable, codec.ErrSystemShutdown, "session closed")
	}
}
