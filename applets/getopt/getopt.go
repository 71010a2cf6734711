// Package getopt parses a command line the way glibc's getopt_long does for
// Cyrus's programs: bundled short options (-uv, -Cfile, -C file), operands
// anywhere (glibc permutes them to the end), "--" ending options, and long
// options (--user, --config=file) where a program has them.
package getopt

import (
	"fmt"
	"strings"
)

// Opt is one option found, in command-line order.
type Opt struct {
	// Name is the option letter, or the long name's short equivalent.
	Name byte
	// Arg is its argument, for options that take one.
	Arg string
}

// Long maps a long option to the letter it stands for.
type Long struct {
	// Name is the long option without "--".
	Name string
	// Short is the letter it is equivalent to.
	Short byte
}

// Error is a command-line problem, worded as glibc's getopt prints it.
type Error struct {
	// Msg is the message, without the program name.
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Parse reads args (without the program name). optstring is getopt's: a
// letter followed by ':' takes an argument. It returns the options in order,
// the operands, and the problems met (getopt reports them and goes on).
func Parse(args []string, optstring string, longs []Long) (opts []Opt, operands []string, errs []error) {
	takesArg := func(c byte) (known, arg bool) {
		i := strings.IndexByte(optstring, c)
		if i < 0 || c == ':' {
			return false, false
		}
		return true, i+1 < len(optstring) && optstring[i+1] == ':'
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			return
		case strings.HasPrefix(a, "--") && longs != nil:
			name, val, hasVal := strings.Cut(a[2:], "=")
			var match *Long
			for j := range longs {
				if longs[j].Name == name {
					match = &longs[j]
					break
				}
			}
			if match == nil {
				errs = append(errs, &Error{fmt.Sprintf("unrecognized option '%s'", a)})
				continue
			}
			_, needs := takesArg(match.Short)
			switch {
			case needs && !hasVal && i+1 < len(args):
				i++
				val = args[i]
			case needs && !hasVal:
				errs = append(errs, &Error{fmt.Sprintf("option '--%s' requires an argument", name)})
				continue
			case !needs && hasVal:
				errs = append(errs, &Error{fmt.Sprintf("option '--%s' doesn't allow an argument", name)})
				continue
			}
			opts = append(opts, Opt{Name: match.Short, Arg: val})
		case len(a) > 1 && a[0] == '-':
			for k := 1; k < len(a); k++ {
				c := a[k]
				known, needs := takesArg(c)
				if !known {
					errs = append(errs, &Error{fmt.Sprintf("invalid option -- '%c'", c)})
					continue
				}
				if !needs {
					opts = append(opts, Opt{Name: c})
					continue
				}
				if k+1 < len(a) {
					opts = append(opts, Opt{Name: c, Arg: a[k+1:]})
				} else if i+1 < len(args) {
					i++
					opts = append(opts, Opt{Name: c, Arg: args[i]})
				} else {
					errs = append(errs, &Error{fmt.Sprintf("option requires an argument -- '%c'", c)})
				}
				break
			}
		default:
			operands = append(operands, a)
		}
	}
	return
}
