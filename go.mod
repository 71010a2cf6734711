module github.com/cyrus-replication/cyrus-replication

go 1.26.8

require github.com/emersion/go-imap/v2 v2.0.0-beta.8 // indirect
