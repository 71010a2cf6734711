package dlist_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/cyrus-replication/cyrus-replication/dlist"
)

func ExampleDecoder_ReadItem() {
	in := "MAILBOX %(UNIQUEID po2w8t230b06ew2rjg0udbqv MBOXNAME user.cassandane LAST_UID 4 " +
		"ACL \"cassandane\tlrswipkxtecdan\t\" RECORD (%(UID 1 FLAGS (\\Seen))))\r\n"
	d := dlist.NewDecoder(bufio.NewReader(strings.NewReader(in)), nil)
	key, mb, err := d.ReadItem()
	if err == nil {
		err = d.ReadLineEnd()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	name, _ := mb.GetString("MBOXNAME")
	last, _ := mb.GetUint32("LAST_UID")
	recs, _ := mb.GetList("RECORD")
	_, err = mb.GetUint32("ACL")
	fmt.Println(key, name, last, len(recs))
	fmt.Println(err)
	// Output:
	// MAILBOX user.cassandane 4 1
	// dlist: key "ACL": want uint32, got string "cassandane\tlrswipkxtecdan\t" (not a decimal number)
}

func ExampleEncoder() {
	var rec dlist.Value
	rec.Append("UID", dlist.Uint32(5))
	rec.Append("FLAGS", dlist.List(dlist.Flag(`\Seen`), dlist.Flag("$Label1")))
	rec.Append("VALUE", dlist.String(`\Sent`))
	rec.Append("EMPTY", dlist.String(""))
	rec.Append("NAME", dlist.String("NIL"))
	var buf bytes.Buffer
	enc := dlist.NewEncoder(&buf, &dlist.EncodeOptions{NonSyncLiterals: true}) // client side
	enc.WriteRaw("APPLY ")
	enc.EncodeItem("X", rec)
	enc.WriteRaw("\r\n")
	enc.Flush()
	fmt.Printf("%q\n", buf.String())
	// Output:
	// "APPLY X %(UID 5 FLAGS (\\Seen $Label1) VALUE {5+}\r\n\\Sent EMPTY \"\" NAME \"NIL\")\r\n"
}

func ExampleFileFunc() {
	msg := "Subject: hi\r\n\r\nhello\r\n"
	in := "MESSAGE (%{default 9d4bac053d2367b1cbbdbc836fb2b00afb674fac " + fmt.Sprint(len(msg)) + "}\r\n" + msg + ")\r\n"
	d := dlist.NewDecoder(bufio.NewReader(strings.NewReader(in)), &dlist.DecodeOptions{
		File: func(partition, guid string, size int64, r io.Reader) error {
			n, err := io.Copy(io.Discard, r) // e.g. into a staging file
			fmt.Println(partition, size, n, err)
			return err
		},
	})
	_, _, err := d.ReadItem()
	fmt.Println(err)
	// Output:
	// default 22 22 <nil>
	// <nil>
}
