package config

import (
	"bytes"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// yamlMsg splits yaml.v3's error text, "yaml: line N: problem" (the line is
// optional), into its line and problem. yaml.v3 exports no position for
// syntax errors, so its text is all there is to read.
var yamlMsg = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// maxSyntaxSearch bounds the prefix search of syntaxError (each step parses
// a prefix again); past it yaml.v3's own line is reported.
const maxSyntaxSearch = 5000

// syntaxError turns a YAML syntax error of data into an *Error at the line
// where the problem is, with yaml.v3's package prefix dropped. It has no
// column: yaml.v3 keeps the problem's mark to itself and formats only a
// line, and guessing one would point at the wrong character as often as not.
//
// yaml.v3 reports the line where the enclosing construct began, not the
// problem's, and one too low for parser errors (its decode.go fail() adds
// 1 to the 0-based mark only for scanner errors): a bad indent on line 3
// under a list begun on line 2 reads "line 1". The problem's line is the
// first line whose prefix of the document fails with the same problem, so
// syntaxError parses growing prefixes until one does (configurations are
// short; this runs only on a broken file).
func syntaxError(data []byte, err error) error {
	m := yamlMsg.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{Msg: "YAML: " + err.Error()}
	}
	problem := m[2]
	line, _ := strconv.Atoi(m[1])
	if found := problemLine(data, problem); found > 0 {
		line = found
	}
	return &Error{Pos: Pos{Line: line}, Msg: "YAML syntax: " + problem}
}

// problemLine returns the 1-based line of data at which a prefix of data
// first fails to parse with problem, or 0.
func problemLine(data []byte, problem string) int {
	end := 0
	for n := 1; n <= maxSyntaxSearch && end < len(data); n++ {
		if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
			end += i + 1
		} else {
			end = len(data)
		}
		var doc yaml.Node
		err := yaml.Unmarshal(data[:end], &doc)
		if err == nil {
			continue
		}
		if m := yamlMsg.FindStringSubmatch(err.Error()); m != nil && m[2] == problem {
			return n
		}
	}
	return 0
}
