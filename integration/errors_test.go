package integration

import (
	"errors"

	"github.com/cyrus-replication/cyrus-replication/protocol"
)

func errorsIsCode(err error, c protocol.Code) bool { return errors.Is(err, protocol.ErrCode(c)) }
