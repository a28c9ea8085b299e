package codec

import "fmt"

// field is the role of one element of a WAMP message array.
type field uint8

const (
	fReqType field = iota + 1
	fRequest
	fID
	fID2
	fURI
	fDict
	fArgs
	fKwargs
)

var fieldNames = [...]string{
	fReqType: "request type", fRequest: "request id", fID: "id", fID2: "publication id",
	fURI: "uri", fDict: "dict", fArgs: "args", fKwargs: "kwargs",
}

// layout is the element list of a message type after the type code; the
// first min are mandatory.
type layout struct {
	fields []field
	min    int
}

var layouts = [...]layout{
	Hello:        {[]field{fURI, fDict}, 2},
	Welcome:      {[]field{fID, fDict}, 2},
	Abort:        {[]field{fDict, fURI}, 2},
	Challenge:    {[]field{fURI, fDict}, 2},
	Authenticate: {[]field{fURI, fDict}, 2},
	Goodbye:      {[]field{fDict, fURI}, 2},
	Error:        {[]field{fReqType, fRequest, fDict, fURI, fArgs, fKwargs}, 4},
	Publish:      {[]field{fRequest, fDict, fURI, fArgs, fKwargs}, 3},
	Published:    {[]field{fRequest, fID}, 2},
	Subscribe:    {[]field{fRequest, fDict, fURI}, 3},
	Subscribed:   {[]field{fRequest, fID}, 2},
	Unsubscribe:  {[]field{fRequest, fID}, 2},
	Unsubscribed: {[]field{fRequest, fDict}, 1}, // Details: router-initiated revocation
	Event:        {[]field{fID, fID2, fDict, fArgs, fKwargs}, 3},
	Call:         {[]field{fRequest, fDict, fURI, fArgs, fKwargs}, 3},
	Cancel:       {[]field{fRequest, fDict}, 2},
	Result:       {[]field{fRequest, fDict, fArgs, fKwargs}, 2},
	Register:     {[]field{fRequest, fDict, fURI}, 3},
	Registered:   {[]field{fRequest, fID}, 2},
	Unregister:   {[]field{fRequest, fID}, 2},
	Unregistered: {[]field{fRequest, fDict}, 1}, // Details: router-initiated revocation
	Invocation:   {[]field{fRequest, fID, fDict, fArgs, fKwargs}, 3},
	Interrupt:    {[]field{fRequest, fDict}, 2},
	Yield:        {[]field{fRequest, fDict, fArgs, fKwargs}, 2},
}

// Decode parses one WAMP message encoded with s from data into m.
// m's URI, Dict, Args and Kwargs alias data (see Message). m is reset
// first, but for m.Options.Ext: an OptionsExt it points to is reused for
// the rarer keys (its fields are valid only where Options.Has says so);
// on error m's content is unspecified.
func Decode(s Serializer, data []byte, m *Message) error {
	return decode(s, data, m, false)
}

// DecodeLean is Decode without Message.Details: the dict of a
// session-control message (HELLO, WELCOME, ABORT, ...) is checked and left
// raw in Message.Dict, for WalkDict to read the few entries the caller
// needs. Building the whole dict as Go values cost the router's HELLO ~80
// allocations.
func DecodeLean(s Serializer, data []byte, m *Message) error {
	return decode(s, data, m, true)
}

func decode(s Serializer, data []byte, m *Message, lean bool) error {
	if !s.valid() {
		return ErrSerializer
	}
	ext := m.Options.Ext // the caller's storage for the rarer keys, kept
	*m = Message{PayloadSer: s}
	m.Options.Ext = ext // what an earlier message left is zeroed on first write (Options.ext)
	c := cursor{s: s, b: data, lean: lean}
	if k, err := c.peek(); err != nil {
		return fmt.Errorf("decode %s: %w", s, err)
	} else if k != kArray {
		return fmt.Errorf("decode %s: %w", s, ErrNotArray)
	}
	it, err := c.arrayBegin()
	if err != nil {
		return fmt.Errorf("decode %s: %w", s, err)
	}
	if ok, err := c.more(&it); err != nil {
		return fmt.Errorf("decode %s: %w", s, err)
	} else if !ok {
		return fmt.Errorf("decode %s: empty array: %w", s, ErrShort)
	}
	code, err := c.readUint()
	if err != nil {
		return fmt.Errorf("decode %s: message type: %w", s, err)
	}
	if code > 0xff || !Type(code).Valid() {
		return fmt.Errorf("decode %s: %w %d", s, ErrUnknownType, code)
	}
	m.Type = Type(code)
	lay := &layouts[m.Type]
	if it.n >= 0 {
		switch n := it.n - 1; {
		case n < lay.min:
			return fmt.Errorf("decode %s %s: %d fields, want %d: %w", s, m.Type, n, lay.min, ErrShort)
		case n > len(lay.fields):
			return fmt.Errorf("decode %s %s: %d fields, want at most %d: %w", s, m.Type, n, len(lay.fields), ErrTooManyFields)
		}
	}
	for i, f := range lay.fields {
		ok, err := c.more(&it)
		if err != nil {
			return fmt.Errorf("decode %s %s: %w", s, m.Type, err)
		}
		if !ok {
			if i < lay.min {
				return fmt.Errorf("decode %s %s: %d fields, want %d: %w", s, m.Type, i, lay.min, ErrShort)
			}
			return c.end()
		}
		if err := decodeField(&c, m, f); err != nil {
			return fmt.Errorf("decode %s %s: %s: %w", s, m.Type, fieldNames[f], err)
		}
	}
	if ok, err := c.more(&it); err != nil {
		return fmt.Errorf("decode %s %s: %w", s, m.Type, err)
	} else if ok {
		return fmt.Errorf("decode %s %s: %w", s, m.Type, ErrTooManyFields)
	}
	if err := c.end(); err != nil {
		return fmt.Errorf("decode %s %s: %w", s, m.Type, err)
	}
	return nil
}

func decodeField(c *cursor, m *Message, f field) error {
	var err error
	switch f {
	case fReqType:
		var v uint64
		if v, err = c.readUint(); err == nil {
			if v > 0xff || !Type(v).Valid() {
				return ErrUnknownType
			}
			m.ReqType = Type(v)
		}
	case fRequest:
		m.Request, err = c.readID()
	case fID:
		m.ID, err = c.readID()
	case fID2:
		m.ID2, err = c.readID()
	case fURI:
		m.URI, err = c.readString()
	case fDict:
		start := c.p
		if c.s == JSON {
			c.jsonWS()
			start = c.p
		}
		if err = decodeOptions(c, &m.Options); err != nil {
			return err
		}
		m.Dict = c.b[start:c.p]
		if m.Type.SessionControl() && !c.lean {
			m.Details, err = decodeDetails(c.s, m.Dict)
		}
	case fArgs:
		var k kind
		if k, err = c.peek(); err != nil {
			return err
		}
		switch {
		case k == kArray, k == kBinary:
		case k == kString && c.s == JSON && hasJSONBinPrefix(c.b[c.p:]):
		default:
			return fmt.Errorf("%w: %s, want array or binary payload", ErrBadField, k)
		}
		m.Args, err = c.skip(1)
	case fKwargs:
		m.Kwargs, err = c.skipKind(kMap, "kwargs")
	}
	return err
}

// hasJSONBinPrefix reports whether b starts a JSON string carrying binary:
// "\u0000" then unescaped standard base64 up to the closing quote.
func hasJSONBinPrefix(b []byte) bool {
	if len(b) <= len(jsonBinPrefix) || b[0] != '"' || str(b[1:1+len(jsonBinPrefix)]) != jsonBinPrefix {
		return false
	}
	b = b[1+len(jsonBinPrefix):]
	n := 0
	for n < len(b) && b[n] != '"' {
		n++
	}
	return n < len(b) && validBase64(b[:n])
}

// validBase64 reports whether b is padded standard base64, without
// decoding it.
func validBase64(b []byte) bool {
	if len(b)%4 != 0 {
		return false
	}
	for i, ch := range b {
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '+', ch == '/':
		case ch == '=' && (i == len(b)-1 || i == len(b)-2 && b[len(b)-1] == '='):
		default:
			return false
		}
	}
	return true
}

// Append encodes m with s and appends it to dst. Args, Kwargs and Dict are
// spliced as they are when m.PayloadSer == s, and transcoded otherwise.
// The dict written is Details if non-nil, else Dict if non-empty, else the
// Options fields whose Has bit is set ({} when none). Kwargs is omitted
// when nil; Args is written as [] when only Kwargs is present.
// On error dst is returned unchanged (as to its length).
func Append(s Serializer, dst []byte, m *Message) ([]byte, error) {
	if !s.valid() {
		return dst, ErrSerializer
	}
	if !m.Type.Valid() {
		return dst, fmt.Errorf("encode %s: %w %d", s, ErrUnknownType, m.Type)
	}
	lay := &layouts[m.Type]
	n := lay.min
	if optionalDict(m) {
		n++ // UNSUBSCRIBED/UNREGISTERED of a revocation
	} else if len(lay.fields) > n && (m.Args != nil || m.Kwargs != nil) {
		n++
		if m.Kwargs != nil {
			n++
		}
	}
	w := writer{s: s, b: dst}
	w.arrayStart(n + 1)
	w.uint(uint64(m.Type))
	for i, f := range lay.fields[:n] {
		w.elem(i + 1)
		if err := appendField(&w, m, f); err != nil {
			return dst, fmt.Errorf("encode %s %s: %s: %w", s, m.Type, fieldNames[f], err)
		}
	}
	w.arrayEnd()
	return w.b, nil
}

// optionalDict reports whether m is an UNSUBSCRIBED or UNREGISTERED with
// details (the router revoking a subscription or registration).
func optionalDict(m *Message) bool {
	return (m.Type == Unsubscribed || m.Type == Unregistered) &&
		(m.Options.Has != 0 || len(m.Dict) > 0 || m.Details != nil)
}

func appendField(w *writer, m *Message, f field) error {
	switch f {
	case fReqType:
		w.uint(uint64(m.ReqType))
	case fRequest:
		w.uint(m.Request)
	case fID:
		w.uint(m.ID)
	case fID2:
		w.uint(m.ID2)
	case fURI:
		return w.str(m.URI)
	case fDict:
		switch {
		case m.Details != nil:
			var err error
			w.b, err = appendGeneric(w.s, w.b, m.Details, 1)
			return err
		case len(m.Dict) > 0:
			return appendRaw(w, m.PayloadSer, m.Dict)
		}
		return appendOptions(w, &m.Options)
	case fArgs:
		if m.Args == nil {
			w.arrayStart(0)
			w.arrayEnd()
			return nil
		}
		return appendRaw(w, m.PayloadSer, m.Args)
	case fKwargs:
		return appendRaw(w, m.PayloadSer, m.Kwargs)
	}
	return nil
}

// appendRaw splices raw (encoded with from) or transcodes it.
func appendRaw(w *writer, from Serializer, raw []byte) error {
	if from == w.s {
		w.raw(raw)
		return nil
	}
	if !from.valid() {
		return ErrSerializer
	}
	c := cursor{s: from, b: raw}
	if err := transcodeValue(&c, w, 1); err != nil {
		return err
	}
	return c.end()
}
