package getopt

import (
	"errors"
	"fmt"
	"strings"
)

// Option is one command-line option of an applet, described once: the
// parser, --help, the urfave/cli flags and the man page all derive from it.
type Option struct {
	// Short is the option letter; 0 for a long-only option.
	Short byte
	// Long is the long name, without "--"; "" for none (Cyrus gives -C no
	// long name).
	Long string
	// Arg names the option's argument in help ("FILE"); "" when it takes
	// none. Help mentions it.
	Arg string
	// Help says what the option does, in one line.
	Help string
	// Ours marks our extension: no Cyrus version has the option. Help
	// says "(ours)".
	Ours bool
	// Since is the Cyrus version that first has the option, when later
	// than the table's Cyrus ("3.8"); help says "(Cyrus 3.8)".
	Since string
	// Separate: the option must be a word of its own, its argument the
	// next word (Parser.Separate).
	Separate bool
}

// Table is an applet's command line: its options, in the order help lists
// them.
type Table struct {
	// Name is the program name, as Cyrus installs it.
	Name string
	// Usage is the usage line, as the program prints it.
	Usage string
	// Cyrus is the Cyrus version whose command line the table follows
	// ("3.6").
	Cyrus string
	// LongNames is the Cyrus version the long names come from, when later
	// than Cyrus: Cyrus 3.6's sync_client has none, 3.8's has them.
	LongNames string
	// Options are the options.
	Options []Option
}

// Optstring is the table's getopt string.
func (t *Table) Optstring() string {
	var b strings.Builder
	for _, o := range t.Options {
		if o.Short == 0 {
			continue
		}
		b.WriteByte(o.Short)
		if o.Arg != "" {
			b.WriteByte(':')
		}
	}
	return b.String()
}

// Longs are the table's long options; nil when it has none, so that the
// program parses as with getopt() rather than getopt_long().
func (t *Table) Longs() []Long {
	var l []Long
	for _, o := range t.Options {
		if o.Long != "" {
			l = append(l, Long{Name: o.Long, Short: o.Short, HasArg: o.Short == 0 && o.Arg != ""})
		}
	}
	return l
}

// Parser is the getopt configuration the table describes.
func (t *Table) Parser() Parser {
	var sep []byte
	for _, o := range t.Options {
		if o.Separate {
			sep = append(sep, o.Short)
		}
	}
	return Parser{Optstring: t.Optstring(), Longs: t.Longs(), Separate: string(sep)}
}

// Parse reads args (without the program name): see Parser.Parse.
func (t *Table) Parse(args []string) (opts []Opt, operands []string, errs []error) {
	return t.Parser().Parse(args)
}

// Text is o's help text as shown: Help, then "(ours)" or "(Cyrus 3.8)".
func (t *Table) Text(o Option) string {
	switch {
	case o.Ours:
		return o.Help + " (ours)"
	case o.Since != "" && o.Since != t.Cyrus:
		return o.Help + " (Cyrus " + o.Since + ")"
	}
	return o.Help
}

// Check reports what would make the table's derivations wrong: an option
// without a name, a letter or long name given twice, a letter getopt cannot
// take, an argument help does not mention, an option both ours and Cyrus's.
func (t *Table) Check() error {
	var errs []error
	if t.Name == "" || t.Usage == "" {
		errs = append(errs, fmt.Errorf("table %q: a table has a program name and a usage line", t.Name))
	}
	shorts := map[byte]bool{}
	longs := map[string]bool{}
	for _, o := range t.Options {
		name := o.Long
		if o.Short != 0 {
			name = string(o.Short)
		}
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s: option %q: %s", t.Name, name, fmt.Sprintf(format, a...)))
		}
		switch {
		case o.Short == 0 && o.Long == "":
			bad("neither a letter nor a long name")
		case o.Short != 0 && !isAlnum(o.Short):
			bad("getopt letters are letters or digits")
		case shorts[o.Short]:
			bad("letter given twice")
		case longs[o.Long]:
			bad("long name given twice")
		}
		if o.Short != 0 {
			shorts[o.Short] = true
		}
		if o.Long != "" {
			longs[o.Long] = true
			if strings.Trim(o.Long, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || o.Long[0] == '-' {
				bad("long names are lower-case letters, digits and '-'")
			}
		}
		if o.Help == "" || strings.ContainsAny(o.Help, "`\n") {
			bad("help is one line without backquotes")
		}
		if o.Arg != "" && wordIndex(o.Help, o.Arg) < 0 {
			bad("help does not mention the argument %s", o.Arg)
		}
		if o.Ours && o.Since != "" {
			bad("ours, yet in Cyrus %s", o.Since)
		}
		if o.Separate && o.Short == 0 {
			bad("only a letter can be required to stand alone")
		}
	}
	return errors.Join(errs...)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// wordIndex is where word first occurs in s as a whole word, or -1.
func wordIndex(s, word string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], word)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(word)
		if (i == 0 || !isWordByte(s[i-1])) && (end == len(s) || !isWordByte(s[end])) {
			return i
		}
		off = i + 1
	}
}

func isWordByte(c byte) bool { return isAlnum(c) || c == '_' }
