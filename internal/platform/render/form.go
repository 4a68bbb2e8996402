package render

import (
	"strings"
	"time"

	"lawka/internal/platform/i18n"
)

// Form carries what a person typed and what is wrong with it back to the page, so
// nothing typed is lost and every problem is shown twice: in the summary at the top
// (as a link to its field) and beside the field.
type Form struct {
	Values  map[string]string
	Errors  map[string]string // field → translated message
	Order   []string          // fields in page order, for the summary
	General string            // a problem that belongs to no single field
	// Names say in the summary which field a message is about, where the message
	// alone does not (the same "answer this question" for every question of a form).
	Names map[string]string
}

// FieldError is one line of the error summary.
type FieldError struct {
	Field, Message string
}

// NewForm starts a form with the fields in page order.
func NewForm(order ...string) Form {
	return Form{Values: map[string]string{}, Errors: map[string]string{}, Order: order}
}

// Value is what was typed into field.
func (f Form) Value(field string) string { return f.Values[field] }

// Error is the message beside field.
func (f Form) Error(field string) string { return f.Errors[field] }

// HasErrors reports whether the page shows an error summary.
func (f Form) HasErrors() bool { return len(f.Errors) > 0 || f.General != "" }

// Summary lists the problems in page order; a general problem links to the first field.
func (f Form) Summary() []FieldError {
	var out []FieldError
	if f.General != "" {
		first := ""
		if len(f.Order) > 0 {
			first = f.Order[0]
		}
		out = append(out, FieldError{Field: first, Message: f.General})
	}
	for _, name := range f.Order {
		if msg, ok := f.Errors[name]; ok {
			if label := f.Names[name]; label != "" {
				msg = label + ": " + msg
			}
			out = append(out, FieldError{Field: name, Message: msg})
		}
	}
	return out
}

// DateTime joins a date field (name) and its time field (name_time) into what
// i18n.ParseTime reads ("2006-01-02T15:04"), or "" when both are empty.
func (f Form) DateTime(name string) string {
	d, t := f.Values[name], f.Values[name+"_time"]
	if d == "" && t == "" {
		return ""
	}
	return strings.TrimSpace(d) + "T" + strings.TrimSpace(t)
}

// SetDateTime fills a date field (name) and its time field (name_time) with t in Warsaw.
func (f Form) SetDateTime(name string, t time.Time) {
	t = t.In(i18n.Warsaw)
	f.Values[name], f.Values[name+"_time"] = t.Format(time.DateOnly), t.Format("15:04")
}
