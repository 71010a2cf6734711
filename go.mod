module github.com/cyrus-replication/cyrus-replication

go 1.26.8
