package codec

import (
	"fmt"
	"math/bits"
	"strings"
)

// Option and detail keys, spelled once.
const (
	keyAcknowledge     = "acknowledge"
	keyExcludeMe       = "exclude_me"
	keyDiscloseMe      = "disclose_me"
	keyReceiveProgress = "receive_progress"
	keyProgress        = "progress"
	keyMatch           = "match"
	keyInvoke          = "invoke"
	keyTimeout         = "timeout"
	keyPublisher       = "publisher"
	keyCaller          = "caller"
	keyTopic           = "topic"
	keyProcedure       = "procedure"
	keyMode            = "mode"
	keyReason          = "reason"
	keyMessage         = "message"
	keyRetain          = "retain"
	keyGetRetained     = "get_retained"
	keyRetained        = "retained"
	keySubscription    = "subscription"
	keyRegistration    = "registration"
	keyPublisherAuthID = "publisher_authid"
	keyPublisherRole   = "publisher_authrole"
	keyCallerAuthID    = "caller_authid"
	keyCallerAuthRole  = "caller_authrole"
	keyPPTScheme       = "ppt_scheme"
	keyPPTSerializer   = "ppt_serializer"
	keyPPTCipher       = "ppt_cipher"
	keyPPTKeyID        = "ppt_keyid"
	keyDiscloseCaller  = "disclose_caller"
)

var matchNames = [...]string{MatchExact: "exact", MatchPrefix: "prefix", MatchWildcard: "wildcard"}

var invokeNames = [...]string{
	InvokeSingle: "single", InvokeRoundRobin: "roundrobin", InvokeRandom: "random",
	InvokeFirst: "first", InvokeLast: "last",
}

// String returns the spec's name of the match policy.
func (m Match) String() string {
	if int(m) < len(matchNames) {
		return matchNames[m]
	}
	return "unknown"
}

// ParseMatch maps a match policy's name to the policy; "" is exact, the
// default of SUBSCRIBE and REGISTER (configuration and the meta API use it
// too).
func ParseMatch(name string) (Match, bool) {
	if name == "" {
		return MatchExact, true
	}
	m, err := lookupName(matchNames[:], name, Match(0))
	return m, err == nil
}

// String returns the spec's name of the invocation policy.
func (i Invoke) String() string {
	if int(i) < len(invokeNames) {
		return invokeNames[i]
	}
	return "unknown"
}

// decodeOptions scans the dict at c into o. Keys the router reads are
// decoded (no allocation: strings alias the input); other keys of the
// Advanced Profile whose type the spec fixes are type-checked, so a
// protocol violation is caught here and not deep in the realm; all other
// keys are skipped. Errors name the key.
func decodeOptions(c *cursor, o *Options) error {
	return c.eachEntry(func(k []byte) error {
		if err := decodeOption(c, o, str(k)); err != nil {
			return fmt.Errorf("%w (key %q)", err, k)
		}
		return nil
	})
}

func decodeOption(c *cursor, o *Options, k string) error {
	// The cursor reads through CBOR tags, fxamacker/cbor turns the date
	// tags 0 and 1 into strings (value.go): a value the router reads must
	// be untagged, so that the Options and the Details of one dict agree.
	tagged := c.s == CBOR && c.p < len(c.b) && c.b[c.p]>>5 == cborTag
	var err error
	switch k {
	case keyAcknowledge:
		o.Acknowledge, err = c.readBool()
		o.Has |= HasAcknowledge
	case keyExcludeMe:
		o.ExcludeMe, err = c.readBool()
		o.Has |= HasExcludeMe
	case keyDiscloseMe:
		o.DiscloseMe, err = c.readBool()
		o.Has |= HasDiscloseMe
	case keyReceiveProgress:
		o.ReceiveProgress, err = c.readBool()
		o.Has |= HasReceiveProgress
	case keyProgress:
		o.Progress, err = c.readBool()
		o.Has |= HasProgress
	case keyMatch:
		var v string
		if v, err = c.readString(); err == nil {
			o.Match, err = lookupName(matchNames[:], v, Match(0))
		}
		o.Has |= HasMatch
	case keyInvoke:
		var v string
		if v, err = c.readString(); err == nil {
			o.Invoke, err = lookupName(invokeNames[:], v, Invoke(0))
		}
		o.Has |= HasInvoke
	case keyTimeout:
		o.Timeout, err = c.readInt()
		if err == nil && o.Timeout < 0 {
			err = ErrBadValue
		}
		o.Has |= HasTimeout
	case keyPublisher:
		o.Publisher, err = c.readID()
		o.Has |= HasPublisher
	case keyCaller:
		o.Caller, err = c.readID()
		o.Has |= HasCaller
	case keyTopic:
		o.Topic, err = c.readString()
		o.Has |= HasTopic
	case keyProcedure:
		o.Procedure, err = c.readString()
		o.Has |= HasProcedure
	case keyMode:
		o.Mode, err = c.readString()
		o.Has |= HasMode
	case keyReason:
		o.Reason, err = c.readString()
		o.Has |= HasReason
	case keyMessage:
		o.Message, err = c.readString()
		o.Has |= HasMessage

	case keyDiscloseCaller:
		o.DiscloseCaller, err = c.readBool()
		o.Has |= HasDiscloseCaller
	case keyRetain:
		o.Retain, err = c.readBool()
		o.Has |= HasRetain
	case keyGetRetained:
		o.GetRetained, err = c.readBool()
		o.Has |= HasGetRetained
	case keyRetained:
		o.Retained, err = c.readBool()
		o.Has |= HasRetained
	case keySubscription:
		o.Subscription, err = c.readID()
		o.Has |= HasSubscription
	case keyRegistration:
		o.Registration, err = c.readID()
		o.Has |= HasRegistration
	case keyPublisherAuthID:
		o.ext().PublisherAuthID, err = c.readString()
		o.Has |= HasPublisherAuthID
	case keyPublisherRole:
		o.ext().PublisherAuthRole, err = c.readString()
		o.Has |= HasPublisherAuthRole
	case keyCallerAuthID:
		o.ext().CallerAuthID, err = c.readString()
		o.Has |= HasCallerAuthID
	case keyCallerAuthRole:
		o.ext().CallerAuthRole, err = c.readString()
		o.Has |= HasCallerAuthRole
	case keyPPTScheme:
		o.ext().PPTScheme, err = c.readString()
		o.Has |= HasPPTScheme
	case keyPPTSerializer:
		o.ext().PPTSerializer, err = c.readString()
		o.Has |= HasPPTSerializer
	case keyPPTCipher:
		o.ext().PPTCipher, err = c.readString()
		o.Has |= HasPPTCipher
	case keyPPTKeyID:
		o.ext().PPTKeyID, err = c.readString()
		o.Has |= HasPPTKeyID
	case "exclude", "eligible", "exclude_authid", "exclude_authrole", "eligible_authid", "eligible_authrole":
		err = o.readList(c, k)

	// Type-checked only.
	case "x_acknowledged_delivery":
		_, err = c.readBool()
	case "transaction_hash", "enc_serializer", "enc_key":
		_, err = c.readStr()
	case "enc_algo":
		var v string
		if v, err = c.readString(); err == nil && !validEncAlgo(v) {
			err = ErrBadValue
		}
	case "forward_for":
		err = checkList(c, kMap)
	default:
		_, err = c.skip(1)
		return err
	}
	if err == nil && tagged {
		err = fmt.Errorf("%w: a tagged value", ErrBadField)
	}
	return err
}

// validEncAlgo reports whether v is a payload encryption algorithm of the
// spec (Payload Passthru Mode) or a custom "x_" one.
func validEncAlgo(v string) bool {
	switch v {
	case "cryptobox", "mqtt", "xbr":
		return true
	}
	return strings.HasPrefix(v, "x_")
}

// lookupName maps a policy name to its index in names.
func lookupName[T ~uint8](names []string, v string, _ T) (T, error) {
	for i, n := range names {
		if n == v {
			return T(i), nil
		}
	}
	return 0, ErrBadValue
}

// readList reads the black/white list k into Ext.
func (o *Options) readList(c *cursor, k string) error {
	e := o.ext()
	dst, want := &e.ExcludeAuthID, kString
	switch k {
	case "exclude":
		dst, want = &e.Exclude, kUint
	case "eligible":
		dst, want = &e.Eligible, kUint
	case "exclude_authrole":
		dst = &e.ExcludeAuthRole
	case "eligible_authid":
		dst = &e.EligibleAuthID
	case "eligible_authrole":
		dst = &e.EligibleAuthRole
	}
	var err error
	*dst, err = rawList(c, want)
	o.Has |= HasLists
	return err
}

// rawList consumes a list whose elements must all be of kind want and
// returns its raw bytes (aliasing the input), non-nil even when empty.
func rawList(c *cursor, want kind) ([]byte, error) {
	if c.s == JSON {
		c.jsonWS()
	}
	start := c.p
	if err := checkList(c, want); err != nil {
		return nil, err
	}
	return c.b[start:c.p:c.p], nil
}

// IDList appends the ids of raw, a list of ids encoded with s (such as
// Options.Exclude), to dst.
func IDList(s Serializer, raw []byte, dst []uint64) ([]uint64, error) {
	c := cursor{s: s, b: raw}
	it, err := c.arrayBegin()
	if err != nil {
		return dst, err
	}
	for {
		ok, err := c.more(&it)
		if err != nil || !ok {
			return dst, err
		}
		v, err := c.readID()
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
}

// StringList appends the strings of raw, a list of strings encoded with s
// (such as Options.ExcludeAuthID), to dst. The strings alias raw unless
// they had to be unescaped.
func StringList(s Serializer, raw []byte, dst []string) ([]string, error) {
	c := cursor{s: s, b: raw}
	it, err := c.arrayBegin()
	if err != nil {
		return dst, err
	}
	for {
		ok, err := c.more(&it)
		if err != nil || !ok {
			return dst, err
		}
		v, err := c.readString()
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
}

// checkList consumes a list whose elements must all be of kind want (ids
// for kUint).
func checkList(c *cursor, want kind) error {
	it, err := c.arrayBegin()
	if err != nil {
		return err
	}
	for {
		ok, err := c.more(&it)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		k, err := c.peek()
		if err != nil {
			return err
		}
		if k != want {
			return ErrBadField
		}
		switch want {
		case kUint:
			_, err = c.readID()
		case kString:
			_, err = c.readStr() // checks UTF-8, which skip does not in binary serializers
		default:
			_, err = c.skip(1)
		}
		if err != nil {
			return err
		}
	}
}

// appendOptions writes the Options fields whose Has bit is set, in a fixed
// order, as a dict: a router-built dict costs no map.
func appendOptions(w *writer, o *Options) error {
	has := o.Has & hasAll
	if o.Ext == nil {
		has &^= hasExt
	}
	w.mapStart(bits.OnesCount64(uint64(has)))
	if has == 0 {
		w.mapEnd() // most router-built dicts: {}
		return nil
	}
	i := 0
	// next writes the key of the next present field.
	next := func(bit OptionBits, k string) bool {
		if has&bit == 0 {
			return false
		}
		_ = w.key(i, k) // option keys are ASCII constants: cannot fail
		i++
		return true
	}
	if next(HasAcknowledge, keyAcknowledge) {
		w.bool(o.Acknowledge)
	}
	if next(HasExcludeMe, keyExcludeMe) {
		w.bool(o.ExcludeMe)
	}
	if next(HasDiscloseMe, keyDiscloseMe) {
		w.bool(o.DiscloseMe)
	}
	if next(HasReceiveProgress, keyReceiveProgress) {
		w.bool(o.ReceiveProgress)
	}
	if next(HasProgress, keyProgress) {
		w.bool(o.Progress)
	}
	if next(HasRetain, keyRetain) {
		w.bool(o.Retain)
	}
	if next(HasGetRetained, keyGetRetained) {
		w.bool(o.GetRetained)
	}
	if next(HasRetained, keyRetained) {
		w.bool(o.Retained)
	}
	if next(HasMatch, keyMatch) {
		_ = w.str(o.Match.String())
	}
	if next(HasInvoke, keyInvoke) {
		_ = w.str(o.Invoke.String())
	}
	if next(HasTimeout, keyTimeout) {
		w.int(o.Timeout)
	}
	if next(HasPublisher, keyPublisher) {
		w.uint(o.Publisher)
	}
	if next(HasCaller, keyCaller) {
		w.uint(o.Caller)
	}
	if next(HasSubscription, keySubscription) {
		w.uint(o.Subscription)
	}
	if next(HasRegistration, keyRegistration) {
		w.uint(o.Registration)
	}
	var err error
	str := func(bit OptionBits, k, v string) {
		if err == nil && next(bit, k) {
			err = w.str(v)
		}
	}
	str(HasTopic, keyTopic, o.Topic)
	str(HasProcedure, keyProcedure, o.Procedure)
	str(HasMode, keyMode, o.Mode)
	str(HasReason, keyReason, o.Reason)
	str(HasMessage, keyMessage, o.Message)
	if e := o.Ext; has&hasExt != 0 {
		str(HasPublisherAuthID, keyPublisherAuthID, e.PublisherAuthID)
		str(HasPublisherAuthRole, keyPublisherRole, e.PublisherAuthRole)
		str(HasCallerAuthID, keyCallerAuthID, e.CallerAuthID)
		str(HasCallerAuthRole, keyCallerAuthRole, e.CallerAuthRole)
		str(HasPPTScheme, keyPPTScheme, e.PPTScheme)
		str(HasPPTSerializer, keyPPTSerializer, e.PPTSerializer)
		str(HasPPTCipher, keyPPTCipher, e.PPTCipher)
		str(HasPPTKeyID, keyPPTKeyID, e.PPTKeyID)
	}
	if err == nil && next(HasDiscloseCaller, keyDiscloseCaller) {
		w.bool(o.DiscloseCaller)
	}
	w.mapEnd()
	return err
}

// hasAll masks the defined option bits.
const hasAll = HasDiscloseCaller<<1 - 1
