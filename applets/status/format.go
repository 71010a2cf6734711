package status

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cyrus-replication/cyrus-replication/synclog"
)

// formats are the --format values; "" is text.
var formats = map[string]func(io.Writer, []Channel, time.Time) error{
	"":           writeText,
	"text":       writeText,
	"json":       writeJSON,
	"prometheus": writePrometheus,
}

// channelName is how text shows a channel.
func channelName(name string) string {
	if name == "" {
		return `"" (default)`
	}
	return strconv.Quote(name)
}

func ago(now, t time.Time) string {
	return fmt.Sprintf("%s, %s ago", t.UTC().Format(time.RFC3339), now.Sub(t).Truncate(time.Second))
}

func writeText(w io.Writer, chs []Channel, now time.Time) error {
	var b strings.Builder
	for i, ch := range chs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "channel %s: %s\n", channelName(ch.Name), ch.Dir)
		fmt.Fprintf(&b, "  backlog: %d items, %d bytes", ch.Items, ch.Bytes)
		var parts []string
		for _, f := range ch.Files {
			parts = append(parts, fmt.Sprintf("%s: %d items, %d bytes", f.Name, f.Items, f.Bytes))
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
		}
		b.WriteByte('\n')
		if ch.Malformed > 0 {
			fmt.Fprintf(&b, "  malformed lines (skipped by sync_client): %d\n", ch.Malformed)
		}
		if !ch.Oldest.IsZero() {
			fmt.Fprintf(&b, "  oldest unprocessed item: %s (%s)\n", ago(now, ch.Oldest), ch.OldestFrom)
		}
		if ch.ClientRunning {
			b.WriteString("  rolling client: running")
			if c := ch.Client; c != nil {
				fmt.Fprintf(&b, " (pid %d, started %s)", c.PID, ago(now, c.Started))
			}
			b.WriteByte('\n')
		} else {
			b.WriteString("  rolling client: none of ours\n")
		}
		if c := ch.Client; c != nil && !c.LastCycle.IsZero() {
			fmt.Fprintf(&b, "  last successful cycle: %s, %d items\n", ago(now, c.LastCycle), c.LastItems)
		} else {
			b.WriteString("  last successful cycle: none recorded\n")
		}
		if c := ch.Client; c != nil && !c.LastFailure.IsZero() {
			fmt.Fprintf(&b, "  last failed cycle: %s: %s\n", ago(now, c.LastFailure), c.LastError)
		}
		if c := ch.Client; c != nil && len(c.Retrying) > 0 {
			fmt.Fprintf(&b, "  users waiting for retry: %d\n", len(c.Retrying))
			for _, u := range c.Retrying {
				fmt.Fprintf(&b, "    %s: %d failed attempts since %s, %d items, retry %s: %s\n", retryUser(u.User),
					u.Attempts, u.Since.UTC().Format(time.RFC3339), u.Items, due(now, u.Next), u.Error)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// retryUser is how text shows a user waiting for retry.
func retryUser(u string) string {
	if u == "" {
		return "(shared mailboxes)"
	}
	return u
}

// due is when a retry is due, relative to now.
func due(now, t time.Time) string {
	if !t.After(now) {
		return "due now"
	}
	return "in " + t.Sub(now).Truncate(time.Second).String()
}

func writeJSON(w io.Writer, chs []Channel, _ time.Time) error {
	if chs == nil {
		chs = []Channel{}
	}
	for i := range chs {
		if chs[i].Files == nil {
			chs[i].Files = []FileBacklog{}
		}
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(struct {
		Channels []Channel `json:"channels"`
	}{chs})
}

// metric is one gauge of the Prometheus output: a value per channel, or
// none for a channel where value says so.
type metric struct {
	name, help string
	value      func(Channel) (float64, bool)
}

type clientState = synclog.ClientState

var metrics = []metric{
	{"cyrus_replication_backlog_items", "Items waiting in the channel's sync log (log-run and log).",
		func(c Channel) (float64, bool) { return float64(c.Items), true }},
	{"cyrus_replication_backlog_bytes", "Bytes of the channel's sync log files (log-run and log).",
		func(c Channel) (float64, bool) { return float64(c.Bytes), true }},
	{"cyrus_replication_backlog_malformed_lines", "Lines of the channel's sync log that sync_client will skip.",
		func(c Channel) (float64, bool) { return float64(c.Malformed), true }},
	{"cyrus_replication_backlog_oldest_age_seconds", "Age of the oldest waiting item (of the file holding it); 0 without backlog.",
		func(c Channel) (float64, bool) { return c.OldestAge, true }},
	{"cyrus_replication_client_running", "1 if a rolling sync_client of cyrus-replication holds the channel.",
		func(c Channel) (float64, bool) { return b2f(c.ClientRunning), true }},
	{"cyrus_replication_last_cycle_timestamp_seconds", "When the rolling client last processed a log file completely.",
		func(c Channel) (float64, bool) {
			return unixSeconds(c.Client, func(s *clientState) time.Time { return s.LastCycle })
		}},
	{"cyrus_replication_last_cycle_items", "Items of the log file the rolling client last processed completely.",
		func(c Channel) (float64, bool) {
			if c.Client == nil || c.Client.LastCycle.IsZero() {
				return 0, false
			}
			return float64(c.Client.LastItems), true
		}},
	{"cyrus_replication_users_retrying", "Users whose items failed and wait for their own retry (--workers > 1).",
		func(c Channel) (float64, bool) {
			if c.Client == nil {
				return 0, false
			}
			return float64(len(c.Client.Retrying)), true
		}},
	{"cyrus_replication_last_failure_timestamp_seconds", "When processing a log file last failed.",
		func(c Channel) (float64, bool) {
			return unixSeconds(c.Client, func(s *clientState) time.Time { return s.LastFailure })
		}},
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(s *clientState, field func(*clientState) time.Time) (float64, bool) {
	if s == nil || field(s).IsZero() {
		return 0, false
	}
	return float64(field(s).UnixMilli()) / 1000, true
}

// labelValue escapes a label value as the text exposition format wants.
var labelValue = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func writePrometheus(w io.Writer, chs []Channel, _ time.Time) error {
	var b strings.Builder
	for _, m := range metrics {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", m.name, m.help, m.name)
		for _, c := range chs {
			if v, ok := m.value(c); ok {
				fmt.Fprintf(&b, "%s{channel=\"%s\"} %s\n", m.name, labelValue.Replace(c.Name),
					strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
	}
	retryMetric(&b, chs)
	_, err := io.WriteString(w, b.String())
	return err
}

// retryMetric writes the failed attempts of each user waiting for retry.
func retryMetric(b *strings.Builder, chs []Channel) {
	const name = "cyrus_replication_user_retry_attempts"
	fmt.Fprintf(b, "# HELP %s Failed attempts in a row of a user waiting for retry (user \"\": shared mailboxes).\n# TYPE %s gauge\n", name, name)
	for _, c := range chs {
		if c.Client == nil {
			continue
		}
		for _, u := range c.Client.Retrying {
			fmt.Fprintf(b, "%s{channel=\"%s\",user=\"%s\"} %d\n", name, labelValue.Replace(c.Name), labelValue.Replace(u.User), u.Attempts)
		}
	}
}
