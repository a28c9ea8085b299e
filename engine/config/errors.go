package config

import (
	"errors"
	"strconv"
)

// ErrInvalid wraps every configuration problem (each an *Error), matched
// with errors.Is.
var ErrInvalid = errors.New("config: invalid configuration")

// Pos is a place in the YAML file: 1-based line and column, 0 when unknown
// (a Config built in code, or a problem of the file as a whole).
type Pos struct {
	Line, Column int
}

// Error is one configuration problem and where it is.
type Error struct {
	Pos
	Msg string
}

// Error formats the problem as "line L, column C: msg" ("line L: msg" when
// only the line is known: yaml.v3 reports no column for syntax errors).
func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return e.Msg
	case e.Column == 0:
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ": " + e.Msg
}

// Unwrap makes every Error match ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }
