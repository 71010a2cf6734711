package syncclient

import (
	"context"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

// Users sent ahead (ours, with pipelining): a worker that knows which
// user it does next sends that user's GET USER while the current user's
// replies are awaited, so that a user costs one round trip (its updates)
// instead of two. Cyrus's sync_client reads each user's state after
// locking the user; so does this: the user's sync lock is taken first,
// without waiting (another client holding it: nothing is sent ahead, the
// user is done the ordinary way later), and held until the user is done.
// The reply is kept until the user's turn, and used for its first try
// only (a retry reads the state again, as Cyrus does).

// userAhead is one user's GET USER sent ahead, on the connection c.
// A worker has at most two: the user it starts and the one after.
type userAhead struct {
	userid string
	locks  userLocks
	c      *protocol.Client
	p      *protocol.Pending
}

// sendUserAhead locks userid and sends its GET USER, if pipelining is on
// and the session is up; it does nothing otherwise, or when the lock is
// held elsewhere.
func (s *syncer) sendUserAhead(ctx context.Context, userid string) {
	if s.o.Pipeline <= 1 || s.c == nil || s.c.Err() != nil || ctx.Err() != nil {
		return
	}
	for _, a := range s.ahead {
		if a.userid == userid && a.c == s.c {
			return
		}
	}
	// Not logged when busy (3.10's line): the user is locked again, and
	// logged as usual, in its turn.
	locks, err := lockUsers(ctx, s.sp, s.servername, []string{userid}, true, nil)
	if err != nil {
		return
	}
	p, err := s.c.SendAhead(ctx, &protocol.GetUser{UserID: userid}, nil)
	if err != nil {
		locks.release()
		return
	}
	s.ahead = append(s.ahead, &userAhead{userid: userid, locks: locks, c: s.c, p: p})
}

// takeAhead returns userid's GET USER sent ahead on the current session,
// with its locks, and forgets it; nil if there is none (what was sent on
// a session since closed is dropped).
func (s *syncer) takeAhead(userid string) *userAhead {
	for i, a := range s.ahead {
		if a.userid != userid {
			continue
		}
		s.ahead = append(s.ahead[:i:i], s.ahead[i+1:]...)
		if a.c != s.c {
			a.locks.release()
			return nil
		}
		return a
	}
	return nil
}

// dropAhead releases the locks of the users sent ahead that will not be
// done by this worker; their replies, if the session lives on, are read
// and ignored before the next waiting command.
func (s *syncer) dropAhead() {
	for _, a := range s.ahead {
		a.locks.release()
	}
	s.ahead = nil
}

// lockedUser locks userid for doUser: with the locks and the GET USER
// reply pending of a user sent ahead, or afresh.
func (s *syncer) lockedUser(ctx context.Context, userid string) (userLocks, *protocol.Pending, error) {
	if a := s.takeAhead(userid); a != nil {
		return a.locks, a.p, nil
	}
	locks, err := s.lockUsers(ctx, []string{userid})
	return locks, nil, err
}
