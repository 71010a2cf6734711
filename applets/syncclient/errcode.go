package syncclient

import (
	"errors"

	"github.com/cyrus-replication/cyrus-replication/protocol"
	"github.com/cyrus-replication/cyrus-replication/spool"
)

// The places in Cyrus's imap_err.et of the codes sync_client ends with.
// Cyrus's com_err codes are the table's base (a multiple of 256) plus the
// place, so exit(code) leaves the place as the exit status.
//
// cyrus: imap/imap_err.et (3.6.1)
const (
	placeIOError       = 1
	placeSyncChecksum  = 11
	placeSyncChanged   = 12
	placeSyncBadSieve  = 13
	placeNotSupported  = 15
	placeNonexistent   = 16
	placeMoved         = 20
	placeLocked        = 22
	placeProtocolError = 35
	placeRemoteDenied  = 46
	placeAgain         = 47
	placeInvalidUser   = 51
	placeByeLogout     = 75
)

var remotePlaces = map[protocol.Code]int{
	protocol.CodeInvalidUser:        placeInvalidUser,
	protocol.CodeMailboxNonexistent: placeNonexistent,
	protocol.CodeMailboxLocked:      placeLocked,
	protocol.CodeMailboxMoved:       placeMoved,
	protocol.CodeMailboxNotSupp:     placeNotSupported,
	protocol.CodeSyncChecksum:       placeSyncChecksum,
	protocol.CodeSyncChanged:        placeSyncChanged,
	protocol.CodeSyncBadSieve:       placeSyncBadSieve,
	protocol.CodeProtocolError:      placeProtocolError,
}

// fileExitStatus is what `sync_client -r -f FILE` exits with when the file
// could not be processed: Cyrus exits with the error code itself, of which
// the system keeps the low 8 bits (a missing file: IMAP_IOERROR, 1).
//
// cyrus: imap/sync_client.c main, do_sync_filename (3.6.1)
func fileExitStatus(err error) int {
	var re *protocol.RemoteError
	var pe *protocol.ProtocolError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &re):
		if p, ok := remotePlaces[re.Code]; ok {
			return p
		}
		return placeRemoteDenied
	case locked(err):
		return placeLocked
	case errors.Is(err, spool.ErrNotFound):
		return placeNonexistent
	case errors.Is(err, errAgain):
		return placeAgain
	case errors.Is(err, errChanged):
		return placeSyncChanged
	case errors.Is(err, protocol.ErrBye):
		return placeByeLogout
	case errors.As(err, &pe):
		return placeProtocolError
	case errors.Is(err, spool.ErrUnsupported):
		return placeNotSupported
	}
	return placeIOError
}
