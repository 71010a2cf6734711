package integration

import "testing"

// TestSyncServerScenarios runs the sync_client scenarios with our
// sync_server as the replica's csync service (launched by Cyrus's master),
// replicated into by Cyrus's own sync_client and by ours: after each, the
// replica (served by Cyrus's imapd, checked by Cyrus's tools) agrees with
// the master, and neither client finds anything left to send.
func TestSyncServerScenarios(t *testing.T) {
	RequireCyrus(t)
	for _, client := range []string{"cyrus-client", "our-client"} {
		t.Run(client, func(t *testing.T) {
			sc := &scenario{p: NewPairOurServer(t), channel: "csync", cyrusClient: client == "cyrus-client"}
			sc.run(t)
		})
	}
}
