package codec

// Decode parses one WAMP message encoded with s from data into m.
// m's URI, Dict, Args and Kwargs alias data (see Message).
// TODO(codec helper): implement; this stub keeps the tree compiling.
func Decode(s Serializer, data []byte, m *Message) error {
	return ErrSerializer
}

// Append encodes m with s and appends it to dst. Args, Kwargs and Dict are
// spliced as they are when m.PayloadSer == s, and transcoded otherwise.
// TODO(codec helper): implement; this stub keeps the tree compiling.
func Append(s Serializer, dst []byte, m *Message) ([]byte, error) {
	return dst, ErrSerializer
}
