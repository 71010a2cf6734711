package dlist

import (
	"fmt"
	"math"
)

// Limits bounds everything a peer can make the decoder allocate or read
// outside of file literals. A zero field means "use the default" (see
// [DefaultLimits]); a negative field means "no limit" and should only be used
// for trusted input.
type Limits struct {
	// MaxAtom is the longest atom (bare word, flag, NIL) accepted.
	// cyrus: config maxword, default 131072 (imap/imapparse.c, 3.6.7).
	MaxAtom int64
	// MaxQuoted is the longest quoted string content accepted.
	// cyrus: config maxquoted, default 131072 (imap/imapparse.c, 3.6.1).
	MaxQuoted int64
	// MaxLiteral is the largest non-file literal {n} / {n+} accepted.
	// Cyrus servers enforce maxliteral (131072) on client input from 3.6.5
	// on; Cyrus clients only the 31-bit length limit. Default 64 MiB.
	MaxLiteral int64
	// MaxFileSize is the largest file literal %{p g size} accepted.
	// cyrus: getuint32, i.e. 4294967295 (imap/dlist.c, 3.6.1).
	MaxFileSize int64
	// MaxDepth is the deepest nesting of lists and kvlists (the top-level
	// list counts as 1). Cyrus has no limit (it recurses); its own data
	// never nests deeper than 6. Default 64.
	MaxDepth int64
	// MaxListItems is the largest number of elements in one list or of
	// key/value pairs in one kvlist. Default 4194304.
	MaxListItems int64
	// MaxTotal bounds the estimated memory of one top-level value: every
	// byte consumed from the input (file literal payloads excluded) plus
	// NodeCost for every value created. It also bounds the length of a
	// line. Default 1 GiB, enough for a RECORD list of about 350,000
	// messages.
	MaxTotal int64
}

// NodeCost is the amount charged against Limits.MaxTotal for every value the
// decoder creates, an estimate of the memory of one Value plus its slot.
const NodeCost = 96

// DefaultLimits returns the limits used for zero fields of a Limits.
func DefaultLimits() Limits {
	return Limits{
		MaxAtom:      131072,
		MaxQuoted:    131072,
		MaxLiteral:   64 << 20,
		MaxFileSize:  math.MaxUint32,
		MaxDepth:     64,
		MaxListItems: 4 << 20,
		MaxTotal:     1 << 30,
	}
}

// resolve returns l with zero fields replaced by defaults and negative
// fields replaced by "unlimited".
func (l Limits) resolve() Limits {
	d := DefaultLimits()
	pick := func(v, def int64) int64 {
		switch {
		case v == 0:
			return def
		case v < 0:
			return math.MaxInt64
		}
		return v
	}
	return Limits{
		MaxAtom:      pick(l.MaxAtom, d.MaxAtom),
		MaxQuoted:    pick(l.MaxQuoted, d.MaxQuoted),
		MaxLiteral:   pick(l.MaxLiteral, d.MaxLiteral),
		MaxFileSize:  pick(l.MaxFileSize, d.MaxFileSize),
		MaxDepth:     pick(l.MaxDepth, d.MaxDepth),
		MaxListItems: pick(l.MaxListItems, d.MaxListItems),
		MaxTotal:     pick(l.MaxTotal, d.MaxTotal),
	}
}

// Limit names one field of [Limits] in a [LimitError].
type Limit uint8

// The limits a [LimitError] can report.
const (
	LimitAtom      Limit = iota + 1 // Limits.MaxAtom
	LimitQuoted                     // Limits.MaxQuoted
	LimitLiteral                    // Limits.MaxLiteral
	LimitFileSize                   // Limits.MaxFileSize
	LimitDepth                      // Limits.MaxDepth
	LimitListItems                  // Limits.MaxListItems
	LimitTotal                      // Limits.MaxTotal
)

// String returns the name of the Limits field.
func (l Limit) String() string {
	switch l {
	case LimitAtom:
		return "MaxAtom"
	case LimitQuoted:
		return "MaxQuoted"
	case LimitLiteral:
		return "MaxLiteral"
	case LimitFileSize:
		return "MaxFileSize"
	case LimitDepth:
		return "MaxDepth"
	case LimitListItems:
		return "MaxListItems"
	case LimitTotal:
		return "MaxTotal"
	}
	return fmt.Sprintf("Limit(%d)", uint8(l))
}

// LimitError reports input that exceeds one of the [Limits]. Cyrus treats the
// equivalent conditions as fatal (it drops the connection), and so should a
// caller: the rest of the line has not been consumed.
type LimitError struct {
	Limit  Limit // which limit was hit
	Max    int64 // its value
	Offset int64 // input offset at which it was detected
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("dlist: input exceeds %s (%d) at offset %d", e.Limit, e.Max, e.Offset)
}
