package pwcheck

import "fmt"

// Code is a Cyrus SASL result code (sasl.h).
type Code int

// The codes a password check can end with.
const (
	OK      Code = 0
	Fail    Code = -1
	BufOver Code = -3
	NoMech  Code = -4
	BadAuth Code = -13
	NoUser  Code = -20
)

// String is sasl_errstring's text, which Cyrus's sync_server sends the
// client after "NO ".
func (c Code) String() string {
	switch c {
	case OK:
		return "successful result"
	case Fail:
		return "generic failure"
	case BufOver:
		return "overflowed buffer"
	case NoMech:
		return "no mechanism available"
	case BadAuth:
		return "authentication failure"
	case NoUser:
		return "user not found"
	}
	return "undefined error!"
}

// Error is a refused login: the result libsasl would have returned and,
// for our log, what exactly went wrong (user, file, method).
type Error struct {
	// Code is libsasl's result.
	Code Code
	// Detail is the last text libsasl would have set with sasl_seterror
	// ("checkpass failed" after any verifier failure; canonicalisation
	// texts otherwise).
	Detail string

	why string // ours, for the log
	err error  // the cause, if any
}

func (e *Error) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: %v", e.why, e.err)
	}
	return e.why
}

func (e *Error) Unwrap() error { return e.err }

// ReplyText is what Cyrus's server sends after "NO " for the refusal:
// sasl_errstring of the result.
func (e *Error) ReplyText() string { return e.Code.String() }

// ErrDetail is sasl_errdetail as Cyrus's badlogin line shows it, for a
// login by mech (PLAIN replaces "checkpass failed" by its own text).
func (e *Error) ErrDetail(mech string) string {
	code := e.Code
	if code == NoUser {
		code = BadAuth // sasl_usererr hides unknown users in the number
	}
	detail := e.Detail
	if mech == "PLAIN" && detail == checkpassFailed {
		detail = "Password verification failed"
	}
	return fmt.Sprintf("SASL(%d): %s: %s", code, e.Code, detail)
}

const checkpassFailed = "checkpass failed"
