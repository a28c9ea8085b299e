package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree into the typed Config by reflection over
// the structs' yaml tags: the structs are the schema, so a new key is a
// new field. It does what yaml.v3's own decoding cannot: every error has
// the line and column of its node, unknown keys get a suggestion, and all
// problems are collected instead of the first. It records where each
// value was (by path, "realms[0].history[1].limit") for the checks that
// follow, and which paths failed, so that they do not report the same
// value twice.
type decoder struct {
	errs []*Error
	pos  map[string]Pos
	bad  map[string]bool
}

func newDecoder() *decoder {
	return &decoder{pos: map[string]Pos{}, bad: map[string]bool{}}
}

// reflectOf is the settable value p points to.
func reflectOf(p any) reflect.Value { return reflect.ValueOf(p).Elem() }

// textValue is a scalar type that parses itself (Size, Duration); want
// names it for messages ("a size").
type textValue interface {
	encoding.TextUnmarshaler
	want() string
}

// defaulter is a type with defaults Parse fills in before decoding an
// item (a list element or an optional section) into it.
type defaulter interface{ setDefaults() }

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// fail records a problem at n, and that path did not decode.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.errorf(n, format, args...)
}

// errorf records a problem at n (a key: its value still decodes).
func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: nodePos(n), Msg: fmt.Sprintf(format, args...)})
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// value decodes n into v, the value at path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.pos[path] = nodePos(n)
	if tv, ok := v.Addr().Interface().(textValue); ok {
		if d.scalar(n, path, tv.want()) {
			if err := tv.UnmarshalText([]byte(n.Value)); err != nil {
				d.fail(n, path, "%s: %v", path, err)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.Pointer:
		if isNull(n) && v.Type().Elem().Kind() == reflect.Struct {
			v.SetZero() // "tls:" with nothing under it: absent
			return
		}
		p := reflect.New(v.Type().Elem())
		setDefaults(p)
		d.value(n, p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.String:
		if d.scalar(n, path, "a string") && !isNull(n) {
			v.SetString(n.Value)
		} else {
			v.SetString("")
		}
	case reflect.Bool:
		var b bool
		if d.scalar(n, path, "true or false") && (n.Tag != "!!bool" || n.Decode(&b) != nil) {
			d.fail(n, path, "%s must be true or false, not %q", path, n.Value)
		}
		v.SetBool(b)
	case reflect.Int:
		if !d.scalar(n, path, "an integer") {
			return
		}
		i, err := strconv.Atoi(n.Value)
		if n.Tag != "!!int" || err != nil {
			d.fail(n, path, "%s must be an integer, not %q", path, n.Value)
		}
		v.SetInt(int64(i))
	default:
		panic("config: no YAML decoding for " + v.Type().String() + " at " + path)
	}
}

func setDefaults(p reflect.Value) {
	if d, ok := p.Interface().(defaulter); ok {
		d.setDefaults()
	}
}

// scalar reports whether n is a scalar, and says what was wanted if not.
func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "%s must be %s, not %s", path, want, kindName(n))
		return false
	}
	return true
}

// list decodes the sequence n into the slice v; a null is an empty list.
// The new list replaces what v held.
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "%s must be a list, not %s", path, kindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, it := range n.Content {
		e := out.Index(i)
		setDefaults(e.Addr())
		d.value(it, e, path+"["+strconv.Itoa(i)+"]")
	}
	v.Set(out)
}

// mapping decodes the mapping n into the struct v key by key, reporting
// unknown and duplicate keys; keys it omits keep v's values. A null
// ("limits:" with nothing under it) changes nothing.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	where := path
	if where == "" {
		where = "the top level"
	}
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "%s must be a mapping, not %s", where, kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.errorf(k, "duplicate key %q in %s", k.Value, where)
			continue
		}
		seen[k.Value] = true
		f, ok := fields.byKey[k.Value]
		if !ok {
			if s := suggest(k.Value, fields.keys); s != "" {
				d.errorf(k, "unknown key %q in %s (did you mean %q?)", k.Value, where, s)
			} else {
				d.errorf(k, "unknown key %q in %s (known: %s)", k.Value, where, strings.Join(fields.keys, ", "))
			}
			continue
		}
		child := k.Value
		if path != "" {
			child = path + "." + k.Value
		}
		d.value(val, v.Field(f), child)
	}
}

// structFields is a struct type's YAML keys, in declaration order, and the
// field index of each.
type structFields struct {
	keys  []string
	byKey map[string]int
}

var fieldCache sync.Map // reflect.Type -> *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{byKey: map[string]int{}}
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		f.keys = append(f.keys, key)
		f.byKey[key] = i
	}
	fieldCache.Store(t, f)
	return f
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "empty"
}

// suggest returns the key of keys closest to k by edit distance, if it is
// close enough to be a likely typo.
func suggest(k string, keys []string) string {
	best, bestD := "", 3
	for _, c := range keys {
		if dist := editDistance(strings.ToLower(k), c); dist < bestD {
			best, bestD = c, dist
		}
	}
	if best != "" && bestD*2 > len(best) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
