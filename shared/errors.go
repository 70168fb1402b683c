package shared

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error class. Codes cross the wire
// unchanged; messages are for people.
type Code string

// The error codes of the contract. New codes may be added; existing ones
// never change meaning.
const (
	CodeNotFound        Code = "not_found"
	CodeInvalidArgument Code = "invalid_argument"
	CodeConflict        Code = "conflict"
	CodeNotEnabled      Code = "not_enabled"
	CodeUnavailable     Code = "unavailable"
	CodePermission      Code = "permission_denied"
	CodeNeedsRestart    Code = "needs_restart"
	CodeInternal        Code = "internal"
)

// Codes lists every code, for tests and documentation.
var Codes = []Code{
	CodeNotFound, CodeInvalidArgument, CodeConflict, CodeNotEnabled,
	CodeUnavailable, CodePermission, CodeNeedsRestart, CodeInternal,
}

// Error is the one error type that crosses the host/plugin boundary. Field,
// when set, names the input field the error is about (a form field of the
// page, or a request field).
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	cause   error
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return e.Message
}

// Unwrap returns the local cause. It does not survive the wire: only code,
// message and field do.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, shared.ErrNotFound) works on both sides of the wire.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Sentinels for errors.Is. They carry no message, so they match any error of
// their code.
var (
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrInvalidArgument = &Error{Code: CodeInvalidArgument}
	ErrConflict        = &Error{Code: CodeConflict}
	ErrNotEnabled      = &Error{Code: CodeNotEnabled}
	ErrUnavailable     = &Error{Code: CodeUnavailable}
	ErrPermission      = &Error{Code: CodePermission}
	ErrNeedsRestart    = &Error{Code: CodeNeedsRestart}
	ErrInternal        = &Error{Code: CodeInternal}
)

// Errorf builds an *Error with a formatted message. A %w verb in the format
// keeps the cause for local errors.Is/As; the message keeps its text.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), cause: errors.Unwrap(err)}
}

// FieldError builds an invalid_argument error bound to one input field.
func FieldError(field, format string, args ...any) *Error {
	e := Errorf(CodeInvalidArgument, format, args...)
	e.Field = field
	return e
}

// AsError converts any error into an *Error for the wire. An error that is
// not already one becomes CodeInternal with its message.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: err.Error(), cause: err}
}

// CodeOf returns the code of err, or "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return AsError(err).Code
}
