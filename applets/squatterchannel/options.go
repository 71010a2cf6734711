package squatterchannel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cyrus-replication/cyrus-replication/applets/getopt"
	"github.com/cyrus-replication/cyrus-replication/conf"
	"github.com/cyrus-replication/cyrus-replication/internal/libc"
)

// mode is what Cyrus's squatter was asked to do; ours does two of them.
type mode int

const (
	modeUnknown mode = iota
	modeIndexer      // no mode flag, -r, -a, -s: index mailboxes
	modeSearch       // -e, -m (Cyrus's testing modes)
	modeRolling      // -R
	modeSynclog      // -f
	modeCompact      // -z, -t, -T (Xapian)
	modeAudit        // -A
	modeList         // -l
)

// Options is the command line.
type Options struct {
	// Config is -C.
	Config string
	// Rolling is -R, File is -f: exactly one is the mode (a later -f
	// wins over -R, as in Cyrus).
	Rolling bool
	File    string
	// Channel is -n (default "squatter").
	Channel string
	// Foreground is -d.
	Foreground bool
	// Sleep is -S: the pause after each mailbox.
	Sleep time.Duration
	// Verbose is how often -v was given.
	Verbose int
	// StartName is -N: mailboxes whose name sorts before it are skipped.
	StartName string
	// Index are the index-mode modifiers, handed to the Indexer.
	Index IndexOptions
	// Parallel is --parallel (ours): how many mailboxes are indexed at
	// once; 1 is Cyrus's behaviour.
	Parallel int
}

// IndexOptions are the index-mode modifiers Cyrus's squatter passes to its
// search engine for each mailbox (-i, -p, -P, -L, -Z, -D). With the SQUAT
// engine only incremental indexing (always on with -R and -f) has an
// effect; the others are Xapian's.
//
// cyrus: imap/squatter.c index_one (3.6.1)
type IndexOptions struct {
	Incremental     bool // -i; implied by -R
	AllowPartials   bool // -p
	ReindexPartials bool // -P
	MinLevel        int  // -L
	InternalIndex   bool // -Z, and implied by -P and -L
	AllowDuplicates bool // -D
}

// DefaultChannel is the channel -R reads without -n.
const DefaultChannel = "squatter"

// usageLine is the usage line (Cyrus's is "usage: squatter [mode] [options]
// [source]", followed by every mode's options).
const usageLine = "usage: squatter-channel -R [-C FILE] [-n CHANNEL] [-d] [-S SECONDS] [-v] [-N NAME] [--parallel N] | -f FILE [...]"

// maxIndexLevel is SEARCH_INDEXLEVEL_MAX, the highest -L.
//
// cyrus: imap/search_engines.h (3.6.1)
const maxIndexLevel = 0x7f

// flags is Cyrus 3.6 squatter's whole command line (each option parses as
// in Cyrus, so that the same words are refused or taken), our --parallel
// and our --help. Only -R and -f are modes of ours; the others are
// accepted so that Cyrus's usage rules apply, then refused.
//
// cyrus: imap/squatter.c main (3.6.1)
var flags = &getopt.Table{
	Name:  "squatter-channel",
	Usage: usageLine,
	Cyrus: "3.6",
	Options: []getopt.Option{
		{Short: 'R', Long: "rolling", Help: "rolling indexer: index the mailboxes the channel's sync log names, cycle after cycle"},
		{Short: 'f', Long: "synclog", Arg: "FILE", Help: "index the mailboxes sync log FILE names, once (the file is kept)"},
		{Short: 'C', Arg: "FILE", Help: "read FILE instead of " + conf.DefaultPath},
		{Short: 'n', Long: "channel", Arg: "CHANNEL", Help: "rolling: read the sync log of CHANNEL (squatter)"},
		{Short: 'd', Long: "nodaemon", Help: "rolling: stay in the foreground"},
		{Short: 'S', Long: "sleep", Arg: "SECONDS", Help: "pause SECONDS (fractional) after each mailbox"},
		{Short: 'v', Long: "verbose", Help: "more output; twice: syslog each mailbox as it is taken up"},
		{Short: 'N', Long: "name", Arg: "NAME", Help: "skip mailboxes whose internal name sorts before NAME"},
		{Short: 'i', Long: "incremental", Help: "index incrementally (always so with -R and -f)"},
		{Short: 'p', Long: "allow-partials", Help: "accepted; no effect with SQUAT (Xapian's)"},
		{Short: 'P', Long: "reindex-partials", Help: "accepted; no effect with SQUAT (Xapian's)"},
		{Short: 'L', Long: "reindex-minlevel", Arg: "LEVEL", Help: "accepted (LEVEL 1 to 127); no effect with SQUAT (Xapian's)"},
		{Short: 'Z', Long: "internalindex", Help: "accepted; no effect with SQUAT (Xapian's)"},
		{Short: 'D', Long: "index-duplicates", Help: "accepted; no effect with SQUAT (Xapian's)"},
		{Short: 'u', Long: "user", Help: "accepted; no effect with -R and -f, as in Cyrus"},
		{Short: 'A', Long: "audit", Help: "Cyrus's audit mode: not ours, run Cyrus's squatter"},
		{Short: 'l', Long: "list", Help: "Cyrus's list mode: not ours, run Cyrus's squatter"},
		{Short: 'r', Long: "recursive", Help: "Cyrus's index mode: not ours, run Cyrus's squatter"},
		{Short: 'a', Long: "squat-annot", Help: "Cyrus's index mode: not ours, run Cyrus's squatter"},
		{Short: 's', Long: "squat-skip", Arg: "DELTA", Help: "Cyrus's index mode (skip mailboxes unmodified for DELTA seconds): not ours"},
		{Short: 'e', Long: "search-term", Arg: "QUERY", Help: "Cyrus's search mode (QUERY): not ours, run Cyrus's squatter"},
		{Short: 'm', Long: "search-multifolder", Help: "Cyrus's search mode: not ours, run Cyrus's squatter"},
		{Short: 'z', Long: "compact", Arg: "TIER", Help: "Cyrus's compact mode (Xapian, to TIER): not ours"},
		{Short: 't', Long: "srctier", Arg: "TIERS", Help: "Cyrus's compact mode (from TIERS): not ours"},
		{Short: 'T', Long: "reindex-tier", Arg: "TIERS", Help: "Cyrus's compact mode (reindex TIERS): not ours"},
		{Short: 'F', Long: "filter", Help: "compact mode only; accepted and without effect"},
		{Short: 'X', Long: "reindex", Help: "compact mode only; accepted and without effect"},
		{Short: 'o', Long: "copydb", Help: "compact mode only; accepted and without effect"},
		{Short: 'U', Long: "only-upgrade", Help: "compact mode only; accepted and without effect"},
		{Short: 'B', Long: "skip-locked", Help: "compact mode only; accepted and without effect"},
		{Long: "parallel", Arg: "N", Ours: true, Help: "index up to N mailboxes at once, never one mailbox twice at a time (1: as Cyrus)"},
		{Short: 'h', Long: "help", Help: "print this help and exit 0 (Cyrus: its usage on stderr, exit 64)"},
	},
}

// Flags is the command line, for help and man pages.
func Flags() *getopt.Table { return flags }

// UsageError is a command line Cyrus refuses with its usage (exit 64).
type UsageError struct {
	// Message is printed before the usage ("" for none).
	Message string
	// NoUsage: the message alone (Cyrus's -L complaint).
	NoUsage bool
}

func (e *UsageError) Error() string { return e.Message }

// NotOursError is a mode of Cyrus's squatter that this applet does not do.
type NotOursError struct{ Mode string }

func (e *NotOursError) Error() string {
	return fmt.Sprintf("only Cyrus's rolling mode (-R) and sync log file mode (-f) are ours; "+
		"for %s run Cyrus's own squatter (%s)", e.Mode, "/usr/lib/cyrus/bin/squatter")
}

var errHelp = errors.New("help requested")

// ParseArgs reads the command line (without argv[0]) as Cyrus's getopt
// loop does: options in order, the first problem ends it (an unknown
// option, a mode flag after another mode, a bad -L or -s value); operands
// are ignored, as with -R and -f in Cyrus. -h anywhere before a problem
// asks for the help.
//
// cyrus: imap/squatter.c main (3.6.1)
func ParseArgs(args []string) (*Options, error) {
	opts, _, errs := flags.Parse(args)
	firstErr := len(opts)
	var getoptErr error
	if len(errs) > 0 {
		getoptErr = errs[0]
		var ge *getopt.Error
		if errors.As(errs[0], &ge) {
			firstErr = ge.After
		}
	}
	o := &Options{Channel: DefaultChannel, Parallel: 1}
	m := modeUnknown
	var desttier, srctiers bool
	only := func(allowed ...mode) error {
		if m == modeUnknown {
			return nil
		}
		for _, a := range allowed {
			if m == a {
				return nil
			}
		}
		return &UsageError{}
	}
	for _, opt := range opts[:firstErr] {
		var err error
		switch opt.Name {
		case 'h':
			return nil, errHelp
		case 'A':
			err = only()
			m = modeAudit
		case 'l':
			err = only()
			m = modeList
		case 'R':
			err = only()
			m = modeRolling
			o.Index.Incremental = true
		case 'e', 'm':
			err = only(modeSearch)
			m = modeSearch
		case 'f':
			o.File = opt.Arg
			m = modeSynclog
		case 'r':
			err = only(modeIndexer, modeAudit)
			if m == modeUnknown {
				m = modeIndexer
			}
		case 'a':
			err = only(modeIndexer)
			m = modeIndexer
		case 's':
			if err = only(modeIndexer); err == nil {
				if v, perr := strconv.ParseInt(opt.Arg, 10, 64); perr != nil || v < 0 || v > 1<<31-1 {
					err = &UsageError{}
				}
			}
			m = modeIndexer
		case 'z':
			err = only(modeCompact)
			m, desttier = modeCompact, true
		case 't':
			err = only(modeCompact)
			m, srctiers = modeCompact, true
		case 'T':
			err = only(modeCompact)
			m = modeCompact
		case 'L':
			o.Index.MinLevel = libc.Atoi(opt.Arg)
			if o.Index.MinLevel < 1 || o.Index.MinLevel > maxIndexLevel {
				return nil, &UsageError{Message: opt.Arg + ": invalid level argument", NoUsage: true}
			}
			o.Index.InternalIndex = true
		default:
			err = o.set(opt)
		}
		if err != nil {
			return nil, err
		}
	}
	if getoptErr != nil {
		return nil, &UsageError{Message: getoptErr.Error()}
	}
	if m == modeCompact && !(desttier && srctiers) {
		return nil, &UsageError{}
	}
	switch m {
	case modeRolling:
		o.Rolling = true
	case modeSynclog:
		o.Rolling = false
	case modeSearch:
		return nil, &NotOursError{Mode: "searching (-e, -m)"}
	case modeCompact:
		return nil, &NotOursError{Mode: "compacting (-z, -t, -T)"}
	case modeAudit:
		return nil, &NotOursError{Mode: "an audit (-A)"}
	case modeList:
		return nil, &NotOursError{Mode: "listing (-l)"}
	default:
		return nil, &NotOursError{Mode: "indexing mailboxes or users named on the command line"}
	}
	return o, nil
}

// set takes an option that does not choose a mode.
func (o *Options) set(opt getopt.Opt) error {
	switch opt.Name {
	case 'C':
		o.Config = opt.Arg
	case 'n':
		o.Channel = opt.Arg
	case 'd':
		o.Foreground = true
	case 'S':
		// Cyrus: atof() seconds, as whole microseconds
		o.Sleep = time.Duration(atof(opt.Arg)*1e6) * time.Microsecond
	case 'v':
		o.Verbose++
	case 'N':
		o.StartName = opt.Arg
	case 'i':
		o.Index.Incremental = true
	case 'p':
		o.Index.AllowPartials = true
	case 'P':
		o.Index.ReindexPartials, o.Index.InternalIndex = true, true
	case 'Z':
		o.Index.InternalIndex = true
	case 'D':
		o.Index.AllowDuplicates = true
	case 0:
		if opt.Long == "parallel" {
			n, err := strconv.Atoi(opt.Arg)
			if err != nil || n < 1 {
				return &UsageError{Message: fmt.Sprintf("--parallel %s: not a number of mailboxes (1 or more)", opt.Arg)}
			}
			o.Parallel = n
		}
	}
	return nil
}

// atof is C's atof(): the longest prefix of s (after white space) that
// reads as a number, 0 for none.
func atof(s string) float64 {
	s = strings.TrimLeftFunc(s, libc.IsSpaceRune)
	for end := len(s); end > 0; end-- {
		if v, err := strconv.ParseFloat(s[:end], 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return v
		}
	}
	return 0
}
