// Package problem holds the typed errors services return. The HTTP layer maps them
// once to a status, a JSON error body or an HTML page; messages are translation keys,
// so the same error reads well in Polish, English and Ukrainian.
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is a failure a client can understand and act on.
type Error struct {
	Status     int               // HTTP status
	Code       string            // snake_case, stable for API clients
	Key        string            // translation key of the message
	Args       []any             // name/value pairs for the message
	Fields     map[string]string // field name → translation key of why it is wrong
	RetryAfter time.Duration     // for 429 and 503
	Cause      error             // logged, never shown
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %v", e.Code, e.Cause)
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.Cause }

// As finds a *Error in err's chain.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// NotFound: the thing does not exist, or the caller may not know it exists.
func NotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Key: "error.not_found"}
}

// Unauthorized: sign in first.
func Unauthorized() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Key: "error.unauthorized"}
}

// Forbidden: signed in, but not allowed.
func Forbidden() *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Key: "error.forbidden"}
}

// Conflict: the request clashes with the current state (code names how).
func Conflict(code, key string) *Error {
	return &Error{Status: http.StatusConflict, Code: code, Key: key}
}

// Invalid: the input is wrong; fields maps each bad field to the key of its message.
func Invalid(fields map[string]string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Key: "error.validation_failed", Fields: fields}
}

// TooMany: rate limited; try again after d.
func TooMany(d time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Key: "error.rate_limited", RetryAfter: d}
}

// Unavailable: a dependency is down; nothing was saved; try again after d.
func Unavailable(d time.Duration, cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Key: "error.unavailable", RetryAfter: d, Cause: cause}
}

// BadRequest: the request itself is malformed (code says how).
func BadRequest(code, key string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Key: key}
}

// Fields collects per-field problems while validating; Err returns nil when there are none.
type Fields map[string]string

// Add records the first problem of a field.
func (f Fields) Add(field, key string) {
	if _, ok := f[field]; !ok {
		f[field] = key
	}
}

// Err is Invalid(f) when any field failed.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f)
}
