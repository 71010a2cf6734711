package getopt

import (
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

// CLIFlags are the table's options as urfave/cli flags, for rendering help
// and man pages only: the command line is parsed by Parse, once. An
// option's argument name is its placeholder ("-S HOST, --server HOST").
func (t *Table) CLIFlags() []cli.Flag {
	flags := make([]cli.Flag, 0, len(t.Options))
	for _, o := range t.Options {
		var names []string
		if o.Short != 0 {
			names = append(names, string(o.Short))
		}
		if o.Long != "" {
			names = append(names, o.Long)
		}
		usage := t.Text(o)
		if o.Arg == "" {
			flags = append(flags, &cli.BoolFlag{Name: names[0], Aliases: names[1:], Usage: usage, DisableDefaultText: true})
			continue
		}
		// urfave/cli takes the first `quoted` word of the usage as the
		// placeholder (Check makes sure there is one).
		if i := wordIndex(usage, o.Arg); i >= 0 {
			usage = usage[:i] + "`" + o.Arg + "`" + usage[i+len(o.Arg):]
		}
		flags = append(flags, &cli.StringFlag{Name: names[0], Aliases: names[1:], Usage: usage})
	}
	return flags
}

// Entry is one option as help and a man page show it.
type Entry struct {
	// Option is the table's option.
	Option Option
	// Names are its spellings with the argument: "-n CHANNEL, --channel
	// CHANNEL".
	Names string
	// Text is its help text, marked "(ours)" or "(Cyrus 3.8)".
	Text string
}

// Entries are the table's options as help and a man page show them,
// rendered by urfave/cli.
func (t *Table) Entries() []Entry {
	entries := make([]Entry, len(t.Options))
	for i, f := range t.CLIFlags() {
		names, text, _ := strings.Cut(cli.FlagStringer(f), "\t")
		entries[i] = Entry{Option: t.Options[i], Names: names, Text: text}
	}
	return entries
}

// Help is the --help text: the usage line, then the options, one a line.
func (t *Table) Help() string {
	var b strings.Builder
	b.WriteString(t.Usage + "\n\nOptions")
	switch {
	case t.Cyrus != "" && t.LongNames != "" && t.LongNames != t.Cyrus:
		b.WriteString(" (Cyrus " + t.Cyrus + "'s, with " + t.LongNames + "'s long names)")
	case t.Cyrus != "":
		b.WriteString(" (Cyrus " + t.Cyrus + "'s)")
	}
	b.WriteString(":\n")
	w := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, e := range t.Entries() {
		w.Write([]byte("  " + e.Names + "\t" + e.Text + "\n"))
	}
	w.Flush()
	return b.String()
}
