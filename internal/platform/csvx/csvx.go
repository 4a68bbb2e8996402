// Package csvx writes CSV exports that are safe to open in a spreadsheet: a cell that
// would start a formula (=, +, -, @, or a tab or carriage return before one) gets a
// leading apostrophe, so text people typed is shown as text, never run
// (OWASP "CSV injection"). Numbers are written as they are.
package csvx

import (
	"encoding/csv"
	"io"
	"strings"
)

// Writer is a csv.Writer that neutralises formula cells.
type Writer struct{ w *csv.Writer }

// NewWriter writes to out.
func NewWriter(out io.Writer) *Writer { return &Writer{w: csv.NewWriter(out)} }

// Write writes one record.
func (w *Writer) Write(record ...string) error {
	safe := make([]string, len(record))
	for i, cell := range record {
		safe[i] = Cell(cell)
	}
	return w.w.Write(safe)
}

// Flush writes what is buffered and returns the first error of any write.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Cell is s as a spreadsheet will show it, never as a formula. A plain number (a
// count, a negative amount) stays as it is.
func Cell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNumber(s) {
		return s
	}
	return "'" + s
}

func isNumber(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	dot := false
	for _, r := range s {
		switch {
		case r == '.' && !dot:
			dot = true
		case r < '0' || r > '9':
			return false
		}
	}
	return true
}
