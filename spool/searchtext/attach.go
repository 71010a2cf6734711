package searchtext

import (
	"fmt"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/spool/cache"
)

// WantsAttachExtract reports whether Cyrus 3.10 would hand a part of msg
// (the message itself, any part below it, enclosed messages included) to
// an attachment extractor; its squatter indexes such messages in a
// second pass (see spool/squatindex).
//
// cyrus: imap/index.c index_want_attachextract; imap/search_engines.c
// create_withattach (3.10.2)
func WantsAttachExtract(msg []byte) (bool, error) {
	top, _, err := cache.Parts(msg, newMultiByte)
	if err != nil {
		return false, fmt.Errorf("searchtext: %w", err)
	}
	return wantsAttachExtract(top), nil
}

func wantsAttachExtract(p *cache.Part) bool {
	if attachExtractType(p.Type, p.Subtype) {
		return true
	}
	for _, c := range p.Parts {
		if wantsAttachExtract(c) {
			return true
		}
	}
	return false
}

// attachExtractType is index_want_attachextract: application/* but
// calendars, crypto, executables and a few more, and text/rtf.
func attachExtractType(typ, subtype string) bool {
	typ, subtype = strings.ToUpper(typ), strings.ToUpper(subtype)
	switch typ {
	case "APPLICATION":
		switch subtype {
		case "ICS", "PKCS7-MIME", "PKCS7-ENCRYPTED", "PKCS7-SIGNATURE", "PGP-SIGNATURE", "PGP-KEYS",
			"PGP-ENCRYPTED", "X-MSDOWNLOAD", "X-SHAREDLIB", "X-ELF", "X-OBJECT", "X-EXECUTABLE",
			"X-COREDUMP", "MBOX", "MP4":
			return false
		}
		return true
	case "TEXT":
		return subtype == "RTF"
	}
	return false
}
