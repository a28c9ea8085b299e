// Package codec holds the WAMP message model and its three serializers
// (JSON, MessagePack, CBOR). Decoding reads only what routing needs; the
// application payload (Arguments, ArgumentsKw) stays as the sender's raw
// encoded bytes and is spliced into outgoing messages, transcoded only when
// the receiver uses another serializer.
//
// # Libraries and hand-written code
//
// The hot path (Decode, Append, Transcode) is hand-written over one cursor
// and one writer for all three serializers: a JSON scanner and appenders, a
// CBOR head reader and writer, and tinylib/msgp's Read*Bytes/Append* for
// MessagePack. It needs the extents of Args and Kwargs as sub-slices of the
// input, which goccy/go-json and fxamacker/cbor cannot give without
// allocating (BenchmarkDecode_Call64B_Library and docs/benchmarks.md).
// Generic values (DecodeValue, AppendValue, Message.Details) go through
// goccy/go-json and fxamacker/cbor, wrapped to keep one set of Go types and
// the spec's binary-in-JSON rule (see value.go).
//
// # What is zero-copy and what allocates
//
// Decode allocates nothing for a well-formed message except:
//   - the Details map of session-control messages (HELLO, WELCOME, ...),
//     which DecodeLean leaves out;
//   - a URI or option string containing a JSON escape (it is unescaped
//     into a new string) or a chunked CBOR string;
//   - the error value when decoding fails.
//
// URI, the strings in Options, Dict, Args and Kwargs alias the input: they
// are valid only while the input buffer is (see Message).
//
// Append allocates nothing when dst has room and the payload is spliced
// (m.PayloadSer equals the target serializer), or the dict comes from
// Options. Writing Details, or transcoding Dict/Args/Kwargs to another
// serializer, allocates (see Transcode). DecodeValue and AppendValue always
// allocate; they are for control messages and tests.
//
// # Validation of passed-through payloads
//
// The router splices Args, Kwargs and unknown option values into other
// sessions' messages, so Decode checks their whole structure: exact
// extents, heads and lengths, nesting depth, string map keys, the JSON
// grammar and escapes, no JSON number beyond float64's range, no extension
// types or unknown simple values (see skip.go). What it does not check is UTF-8 inside MessagePack and CBOR
// strings of a payload. Both specs require valid UTF-8 there, but a bad
// byte inside a length-prefixed string cannot move an extent or make the
// spliced message malformed for its serializer: a receiver of the same
// serializer gets the sender's bytes unchanged, as if no router were
// there. It is checked where it matters: transcoding to another serializer
// (JSON text must be UTF-8, CBOR text too) refuses it with ErrInvalidUTF8,
// and so do DecodeValue and the URI and option strings Decode reads. JSON
// payloads are checked in full, JSON text being UTF-8 by definition, but
// only strings with a non-ASCII byte go through utf8.Valid.
//
// Args may also hold a Payload Passthru Mode payload (Advanced Profile: an
// encrypted or otherwise opaque application payload carried as one binary
// value instead of the Arguments list): a bin/byte string in MessagePack and
// CBOR, a "\u0000"+base64 string in JSON. Kwargs is then absent.
package codec

// Type is a WAMP message type code.
type Type uint8

// WAMP message type codes (Basic and Advanced Profile).
const (
	Hello        Type = 1
	Welcome      Type = 2
	Abort        Type = 3
	Challenge    Type = 4
	Authenticate Type = 5
	Goodbye      Type = 6
	Error        Type = 8
	Publish      Type = 16
	Published    Type = 17
	Subscribe    Type = 32
	Subscribed   Type = 33
	Unsubscribe  Type = 34
	Unsubscribed Type = 35
	Event        Type = 36
	Call         Type = 48
	Cancel       Type = 49
	Result       Type = 50
	Register     Type = 64
	Registered   Type = 65
	Unregister   Type = 66
	Unregistered Type = 67
	Invocation   Type = 68
	Interrupt    Type = 69
	Yield        Type = 70
)

var typeNames = [...]string{
	Hello: "HELLO", Welcome: "WELCOME", Abort: "ABORT", Challenge: "CHALLENGE",
	Authenticate: "AUTHENTICATE", Goodbye: "GOODBYE", Error: "ERROR", Publish: "PUBLISH",
	Published: "PUBLISHED", Subscribe: "SUBSCRIBE", Subscribed: "SUBSCRIBED",
	Unsubscribe: "UNSUBSCRIBE", Unsubscribed: "UNSUBSCRIBED", Event: "EVENT", Call: "CALL",
	Cancel: "CANCEL", Result: "RESULT", Register: "REGISTER", Registered: "REGISTERED",
	Unregister: "UNREGISTER", Unregistered: "UNREGISTERED", Invocation: "INVOCATION",
	Interrupt: "INTERRUPT", Yield: "YIELD",
}

// String returns the spec's name of the type, or "UNKNOWN".
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "UNKNOWN"
}

// Valid reports whether t is a message type this codec knows.
func (t Type) Valid() bool { return int(t) < len(typeNames) && typeNames[t] != "" }

// SessionControl reports whether t belongs to session establishment or
// closing. Decode decodes their dicts in full into Message.Details;
// DecodeLean leaves them raw for WalkDict (the router's HELLO, where a
// reconnect storm makes the allocations count); all other dicts are only
// scanned for the keys in Options.
func (t Type) SessionControl() bool {
	switch t {
	case Hello, Welcome, Abort, Challenge, Authenticate, Goodbye:
		return true
	}
	return false
}

// Serializer identifies a WAMP serializer. The values are the RawSocket
// serializer ids of the spec.
type Serializer uint8

// Serializers.
const (
	JSON    Serializer = 1
	MsgPack Serializer = 2
	CBOR    Serializer = 3
)

// String returns the serializer's short name (json, msgpack, cbor).
func (s Serializer) String() string {
	switch s {
	case JSON:
		return "json"
	case MsgPack:
		return "msgpack"
	case CBOR:
		return "cbor"
	}
	return "unknown"
}

// Subprotocol returns the WebSocket subprotocol name of s (wamp.2.json, ...).
func (s Serializer) Subprotocol() string { return "wamp.2." + s.String() }

// Binary reports whether s is a binary serializer (sent in WebSocket binary
// frames; JSON goes in text frames).
func (s Serializer) Binary() bool { return s != JSON }

// Message is one WAMP message of any type, flattened so that decoding and
// encoding need no per-type allocation. Which fields are used depends on Type:
//
//	HELLO        [1, URI(realm), Details]
//	WELCOME      [2, ID(session), Details]
//	ABORT        [3, Details, URI(reason)]
//	CHALLENGE    [4, URI(authmethod), Details(extra)]
//	AUTHENTICATE [5, URI(signature), Details(extra)]
//	GOODBYE      [6, Details, URI(reason)]
//	ERROR        [8, ReqType, Request, Dict/Options, URI(error), Args?, Kwargs?]
//	PUBLISH      [16, Request, Dict/Options, URI(topic), Args?, Kwargs?]
//	PUBLISHED    [17, Request, ID(publication)]
//	SUBSCRIBE    [32, Request, Dict/Options, URI(topic)]
//	SUBSCRIBED   [33, Request, ID(subscription)]
//	UNSUBSCRIBE  [34, Request, ID(subscription)]
//	UNSUBSCRIBED [35, Request]
//	EVENT        [36, ID(subscription), ID2(publication), Dict/Options, Args?, Kwargs?]
//	CALL         [48, Request, Dict/Options, URI(procedure), Args?, Kwargs?]
//	CANCEL       [49, Request, Dict/Options]
//	RESULT       [50, Request, Dict/Options, Args?, Kwargs?]
//	REGISTER     [64, Request, Dict/Options, URI(procedure)]
//	REGISTERED   [65, Request, ID(registration)]
//	UNREGISTER   [66, Request, ID(registration)]
//	UNREGISTERED [67, Request]
//	INVOCATION   [68, Request, ID(registration), Dict/Options, Args?, Kwargs?]
//	INTERRUPT    [69, Request, Dict/Options]
//	YIELD        [70, Request, Dict/Options, Args?, Kwargs?]
//
// Zero-copy contract: after Decode, URI, Dict, Args and Kwargs alias the
// decoded input. They are valid only while that buffer is; whoever keeps one
// longer (a subscription's topic, say) clones it.
type Message struct {
	Type    Type
	ReqType Type   // ERROR: type of the request that failed
	Request uint64 // request id (or the id of the request answered)
	ID      uint64 // session, subscription, registration or publication id
	ID2     uint64 // EVENT: publication id
	URI     string // realm, topic, procedure, reason, error URI, authmethod or signature

	// Options holds the dict keys routing needs, decoded without allocation.
	// On encode it is written when Details is nil and Dict is empty.
	Options Options
	// Details is the whole dict, decoded only for session control messages
	// (see Type.SessionControl). On encode, a non-nil Details wins.
	Details map[string]any
	// Dict is the raw encoded dict as received (in PayloadSer). On encode it
	// is used when Details is nil and Dict is non-empty (transcoded if needed).
	Dict []byte

	// Args and Kwargs are the raw encoded Arguments list and ArgumentsKw dict
	// in PayloadSer, nil when absent.
	Args   []byte
	Kwargs []byte
	// PayloadSer is the serializer Dict, Args and Kwargs are encoded in.
	PayloadSer Serializer
}

// Reset clears m for reuse, keeping nothing that aliases old input.
func (m *Message) Reset() { *m = Message{} }

// Match policies of SUBSCRIBE and REGISTER (option "match").
type Match uint8

// Match values; MatchExact is the default when the option is absent.
const (
	MatchExact Match = iota
	MatchPrefix
	MatchWildcard
)

// Invoke policies of REGISTER (option "invoke").
type Invoke uint8

// Invoke values; InvokeSingle is the default when the option is absent.
const (
	InvokeSingle Invoke = iota
	InvokeRoundRobin
	InvokeRandom
	InvokeFirst
	InvokeLast
)

// Options holds the dict entries the router reads or writes on the hot path.
// Decoding fills only the keys present (Has records which); unknown keys are
// skipped. Encoding writes only the keys whose Has bit is set, in a fixed
// order, so a router-built dict costs no map.
//
// The keys of the Advanced Profile that most messages lack (passthru mode,
// the authid/authrole of disclosure, the black/white lists) live out of
// line, in Ext: a Message stays small (it is zeroed for every decode and
// built for every routed message), and a message without those keys never
// touches Ext. Decode fills the OptionsExt that Ext points to when the
// caller gave one (the realm's Inbound carries its own, so the hot path
// allocates nothing), else it allocates one for a message that has such a
// key.
type Options struct {
	Has OptionBits

	Acknowledge     bool   // PUBLISH "acknowledge"
	ExcludeMe       bool   // PUBLISH "exclude_me" (default true when absent)
	DiscloseMe      bool   // PUBLISH/CALL "disclose_me"
	DiscloseCaller  bool   // REGISTER "disclose_caller": caller disclosure on every call
	ReceiveProgress bool   // CALL option / INVOCATION detail "receive_progress"
	Progress        bool   // RESULT/YIELD/CALL/INVOCATION "progress"
	Retain          bool   // PUBLISH "retain"
	GetRetained     bool   // SUBSCRIBE "get_retained"
	Retained        bool   // EVENT detail "retained"
	Match           Match  // SUBSCRIBE/REGISTER "match"
	Invoke          Invoke // REGISTER "invoke"
	Timeout         int64  // CALL/INVOCATION "timeout" in ms
	Publisher       uint64 // EVENT detail "publisher"
	Caller          uint64 // INVOCATION detail "caller"
	Subscription    uint64 // UNSUBSCRIBED detail "subscription" (revocation)
	Registration    uint64 // UNREGISTERED detail "registration" (revocation)
	Topic           string // EVENT detail "topic" (pattern subscriptions)
	Procedure       string // INVOCATION detail "procedure" (pattern registrations)
	Mode            string // CANCEL/INTERRUPT "mode"
	Reason          string // INTERRUPT/UNSUBSCRIBED/UNREGISTERED "reason"
	Message         string // ABORT/GOODBYE/ERROR detail "message"

	// Ext holds the rarer keys (see above); nil when there are none.
	Ext *OptionsExt
}

// OptionsExt holds the Advanced Profile keys kept out of line (see
// Options). The black/white lists of PUBLISH are the raw encoded lists
// (aliasing the input, in the message's serializer, nil when absent): the
// router reads them only for a publication that has them, with IDList and
// StringList, and never writes them.
type OptionsExt struct {
	// Disclosure (EVENT and INVOCATION details).
	PublisherAuthID   string // "publisher_authid"
	PublisherAuthRole string // "publisher_authrole"
	CallerAuthID      string // "caller_authid"
	CallerAuthRole    string // "caller_authrole"

	// Payload Passthru Mode, forwarded unchanged from PUBLISH to EVENT,
	// CALL to INVOCATION, YIELD to RESULT and ERROR to ERROR.
	PPTScheme     string // "ppt_scheme"
	PPTSerializer string // "ppt_serializer"
	PPTCipher     string // "ppt_cipher"
	PPTKeyID      string // "ppt_keyid"

	// Subscriber black/white listing of PUBLISH, raw encoded lists.
	Exclude          []byte // "exclude": session ids
	ExcludeAuthID    []byte // "exclude_authid": strings
	ExcludeAuthRole  []byte // "exclude_authrole": strings
	Eligible         []byte // "eligible": session ids
	EligibleAuthID   []byte // "eligible_authid": strings
	EligibleAuthRole []byte // "eligible_authrole": strings

	used bool // written by a Decode since the last Reset
}

// ext returns o.Ext for writing, allocating it when the caller gave none,
// and zeroing what an earlier Decode left in it when this is the first of
// the message's keys to go there (no Has bit of Ext's keys is set yet).
// A message with none of those keys never touches Ext.
func (o *Options) ext() *OptionsExt {
	if o.Ext == nil {
		o.Ext = new(OptionsExt)
	}
	if o.Has&(hasExt|HasLists) == 0 && o.Ext.used {
		*o.Ext = OptionsExt{}
	}
	o.Ext.used = true
	return o.Ext
}

// OptionBits records which Options fields are present.
type OptionBits uint64

// Option presence bits, one per encodable Options field, in the order
// appendOptions writes them.
const (
	HasAcknowledge OptionBits = 1 << iota
	HasExcludeMe
	HasDiscloseMe
	HasReceiveProgress
	HasProgress
	HasRetain
	HasGetRetained
	HasRetained
	HasMatch
	HasInvoke
	HasTimeout
	HasPublisher
	HasCaller
	HasSubscription
	HasRegistration
	HasTopic
	HasProcedure
	HasMode
	HasReason
	HasMessage
	HasPublisherAuthID
	HasPublisherAuthRole
	HasCallerAuthID
	HasCallerAuthRole
	HasPPTScheme
	HasPPTSerializer
	HasPPTCipher
	HasPPTKeyID
	HasDiscloseCaller
	// HasLists records that at least one black/white list is in Ext (the
	// lists themselves are never encoded).
	HasLists
)

// HasPPT covers the Payload Passthru Mode keys.
const HasPPT = HasPPTScheme | HasPPTSerializer | HasPPTCipher | HasPPTKeyID

// hasExt covers the encodable keys that live in Ext.
const hasExt = HasPPT | HasPublisherAuthID | HasPublisherAuthRole | HasCallerAuthID | HasCallerAuthRole

// PPTOn reports whether o uses Payload Passthru Mode (ppt_scheme present
// and not empty, as the spec says).
func (o *Options) PPTOn() bool {
	return o.Has&HasPPTScheme != 0 && o.Ext != nil && o.Ext.PPTScheme != ""
}

// Filtered reports whether o carries any subscriber black/white list.
func (o *Options) Filtered() bool { return o.Has&HasLists != 0 }

// Reset empties e for reuse as a Decode target (at no cost when no Decode
// wrote to it), so nothing aliasing an old input stays.
func (e *OptionsExt) Reset() {
	if e.used {
		*e = OptionsExt{}
	}
}
