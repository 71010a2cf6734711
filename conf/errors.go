package conf

import "fmt"

// ExitConfig is EX_CONFIG, the exit status of every Cyrus tool whose
// configuration cannot be read.
const ExitConfig = 78

// Error is a configuration error. Its text starts with Cyrus's own wording
// (so that a grep written for Cyrus's messages still matches) and, where
// Cyrus leaves them out, adds the file: Cyrus says "non-switch value for
// sync_log in line 2", we say "non-switch value for sync_log in line 2 of
// configuration file /etc/imapd.conf".
type Error struct {
	// File is the configuration file the error is in ("" if none applies).
	File string
	// Line is the 1-based line number (0 if none applies).
	Line int
	// Option is the option concerned, lower case ("" if none applies).
	Option string
	// Text is the whole message.
	Text string
}

func (e *Error) Error() string { return e.Text }

// lineError is an error about one line whose Cyrus wording lacks the file.
func lineError(file string, line int, option, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{File: file, Line: line, Option: option,
		Text: fmt.Sprintf("%s of configuration file %s", msg, file)}
}
