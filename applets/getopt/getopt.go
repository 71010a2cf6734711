// Package getopt parses a command line the way glibc's getopt_long does for
// Cyrus's programs: bundled short options (-uv, -Cfile, -C file), operands
// anywhere (glibc permutes them to the end), "--" ending options, and long
// options (--user, --config=file) where a program has them.
//
// An applet describes its options once, in a Table; the getopt string, the
// long options, the --help text and the urfave/cli flags (for help rendering
// and man pages) are all derived from it.
package getopt

import (
	"fmt"
	"strings"
)

// Opt is one option found, in command-line order.
type Opt struct {
	// Name is the option letter, or the long name's short equivalent; 0 for
	// a long-only option.
	Name byte
	// Long is the option's long name, however it was spelled ("" if it has
	// none).
	Long string
	// Arg is its argument, for options that take one.
	Arg string
}

// Long maps a long option to the letter it stands for.
type Long struct {
	// Name is the long option without "--".
	Name string
	// Short is the letter it is equivalent to; 0 for a long-only option.
	Short byte
	// HasArg says whether a long-only option takes an argument (a letter's
	// argument is the optstring's business).
	HasArg bool
}

// Error is a command-line problem, worded as glibc's getopt prints it.
type Error struct {
	// Msg is the message, without the program name.
	Msg string
	// After is how many options were found before it: a program that stops
	// at the first problem, as Cyrus's getopt loops do, has acted on
	// opts[:After] when it meets this one.
	After int
}

func (e *Error) Error() string { return e.Msg }

// MsgSeparate is what Cyrus's service wrapper (master/service.c) logs
// before exiting 64 when an option word holds more than one option or its
// argument.
const MsgSeparate = "options and arguments MUST be separated by whitespace"

// Parser is what getopt is given: the getopt string, the long options, and
// the letters that must stand alone.
type Parser struct {
	// Optstring is getopt's: a letter followed by ':' takes an argument.
	Optstring string
	// Longs are the long options; nil for a program that calls getopt()
	// rather than getopt_long() ("--x" is then an invalid option '-').
	Longs []Long
	// Separate lists the letters that must be a word of their own, their
	// argument the next word (Cyrus's service wrapper: "-U 5", never "-U5"
	// or "-DX"); such a word is refused with MsgSeparate.
	Separate string
}

// Parse reads args (without the program name). optstring is getopt's: a
// letter followed by ':' takes an argument. It returns the options in order,
// the operands, and the problems met (getopt reports them and goes on).
func Parse(args []string, optstring string, longs []Long) (opts []Opt, operands []string, errs []error) {
	return Parser{Optstring: optstring, Longs: longs}.Parse(args)
}

// Parse reads args (without the program name) as Parse does.
func (p Parser) Parse(args []string) (opts []Opt, operands []string, errs []error) {
	fail := func(format string, a ...any) {
		errs = append(errs, &Error{Msg: fmt.Sprintf(format, a...), After: len(opts)})
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			return
		case strings.HasPrefix(a, "--") && p.Longs != nil:
			name, val, hasVal := strings.Cut(a[2:], "=")
			match := p.long(name)
			if match == nil {
				fail("unrecognized option '%s'", a)
				continue
			}
			needs := match.HasArg
			if match.Short != 0 {
				_, needs = p.takesArg(match.Short)
			}
			switch {
			case needs && !hasVal && i+1 < len(args):
				i++
				val = args[i]
			case needs && !hasVal:
				fail("option '--%s' requires an argument", name)
				continue
			case !needs && hasVal:
				fail("option '--%s' doesn't allow an argument", name)
				continue
			}
			opts = append(opts, Opt{Name: match.Short, Long: match.Name, Arg: val})
		case len(a) > 1 && a[0] == '-':
			if len(a) > 2 && p.bundlesSeparate(a) {
				fail("%s", MsgSeparate)
				continue
			}
			for k := 1; k < len(a); k++ {
				c := a[k]
				known, needs := p.takesArg(c)
				if !known {
					fail("invalid option -- '%c'", c)
					continue
				}
				if !needs {
					opts = append(opts, Opt{Name: c, Long: p.longOf(c)})
					continue
				}
				if k+1 < len(a) {
					opts = append(opts, Opt{Name: c, Long: p.longOf(c), Arg: a[k+1:]})
				} else if i+1 < len(args) {
					i++
					opts = append(opts, Opt{Name: c, Long: p.longOf(c), Arg: args[i]})
				} else {
					fail("option requires an argument -- '%c'", c)
				}
				break
			}
		default:
			operands = append(operands, a)
		}
	}
	return
}

// takesArg says whether c is an option letter and whether it takes an
// argument.
func (p Parser) takesArg(c byte) (known, arg bool) {
	i := strings.IndexByte(p.Optstring, c)
	if i < 0 || c == ':' {
		return false, false
	}
	return true, i+1 < len(p.Optstring) && p.Optstring[i+1] == ':'
}

// bundlesSeparate says whether the option word a (longer than "-x") holds
// a letter that must stand alone: bundled with others, or with its argument
// attached.
func (p Parser) bundlesSeparate(a string) bool {
	for k := 1; k < len(a); k++ {
		if strings.IndexByte(p.Separate, a[k]) >= 0 {
			return true
		}
		if _, needs := p.takesArg(a[k]); needs {
			return false // the rest is the argument
		}
	}
	return false
}

func (p Parser) long(name string) *Long {
	for j := range p.Longs {
		if p.Longs[j].Name == name {
			return &p.Longs[j]
		}
	}
	return nil
}

// longOf is the long name of letter c, if it has one.
func (p Parser) longOf(c byte) string {
	for _, l := range p.Longs {
		if l.Short == c {
			return l.Name
		}
	}
	return ""
}
