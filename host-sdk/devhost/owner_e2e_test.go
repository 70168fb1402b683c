package devhost_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/internal/browsertest"
	"github.com/quazzar/object-storage/shared"
)

// TestUninstallReleasesWhatAPluginMade: the backup agent's key shows its
// owner and its last use; uninstalling the agent offers its key and bucket
// in the same dialog (headless Chromium); accepting revokes its key and
// leaves the other keys (and, unticked, its bucket) alone.
func TestUninstallReleasesWhatAPluginMade(t *testing.T) {
	t.Parallel()
	plugins := t.TempDir()
	baInstall(t, plugins, baAddon, nil)
	baInstall(t, plugins, baBackupAgent, nil)
	h := adStart(t, plugins, nil)
	h.waitMinIO(t)
	lines := baAgentDetail(t, h.Server, 1)
	m := regexp.MustCompile(`^backup ok: .* key (quazzar-[A-Za-z0-9]+) `).FindStringSubmatch(lines[0])
	require.NotNil(t, m, "backup line: %s", lines[0])
	agentKey := m[1]

	// The node owner's own key, which the uninstall must leave alone.
	postJSON := func(path string, v any) shared.ActionResult {
		b, _ := json.Marshal(v)
		resp, err := http.Post(h.URL+path, "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var res shared.ActionResult
		require.NoError(t, json.Unmarshal(raw, &res), "POST %s: %s", path, raw)
		return res
	}
	own := postJSON("/api/plugins/"+addonID+"/actions/create_key", map[string]any{"name": "ops"})
	require.True(t, own.OK, own.Message)

	// The state API: owner, last use of the agent's upload and read-back.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st, ok := h.state(t)
		if !assert.True(c, ok) {
			return
		}
		assert.True(c, st.Tracking, "last use tracked: %s", st.TrackingProblem)
		for _, k := range st.Keys {
			switch k.AccessKey {
			case agentKey:
				assert.Equal(c, "backup-agent", k.Owner)
				assert.False(c, k.LastUsed.IsZero(), "the agent used its key")
				assert.NotEmpty(c, k.LastOperation)
				assert.Positive(c, k.Requests24h)
			case own.AccessKey:
				assert.Equal(c, "", k.Owner)
				assert.True(c, k.LastUsed.IsZero())
			}
		}
	}, 60*time.Second, 200*time.Millisecond)

	// What the host knows the agent made, and the dialog that offers it.
	resp, err := http.Get(h.URL + "/api/addons/backup-agent/holdings")
	require.NoError(t, err)
	var held []addons.Holdings
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&held))
	resp.Body.Close()
	require.Len(t, held, 1)
	require.Equal(t, addonID, held[0].Provider)
	require.Len(t, held[0].Keys, 1)
	require.Equal(t, agentKey, held[0].Keys[0].AccessKey)
	require.Equal(t, []string{"backups"}, held[0].Buckets)

	resp, err = http.Get(h.URL + "/api/plugins/" + addons.PageID + "/page")
	require.NoError(t, err)
	var p shared.Page
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
	resp.Body.Close()
	var dialog shared.RowAction
	for _, s := range p.Sections {
		if s.Table == nil {
			continue
		}
		for _, r := range s.Table.Rows {
			for _, a := range r.Actions {
				if r.ID == "backup-agent" && a.Action == addons.ActionUninstall {
					dialog = a
				}
			}
		}
	}
	require.Contains(t, dialog.Confirm, "it made access key "+agentKey+" (backup-agent) and bucket backups")
	require.Len(t, dialog.Choices, 2)
	require.Equal(t, "revoke_keys", dialog.Choices[0].Field)
	require.True(t, dialog.Choices[0].Checked)
	require.Equal(t, "delete_buckets", dialog.Choices[1].Field)
	require.False(t, dialog.Choices[1].Checked)

	// In the browser: the dialog shows the holdings with their
	// checkboxes; accept with the defaults: revoke its key, keep its
	// bucket.
	ctx := browsertest.NewContext(t)
	row := `tr[data-row-id="backup-agent"]`
	uiDo(t, ctx, chromedp.Navigate(h.URL+addons.PageRoute), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] `+row)))
	uiDo(t, ctx, uiClickText(row+` button[data-row-action]`, "Uninstall"), chromedp.WaitVisible(chromedp.CSS(`[data-confirm-ok]`)))
	require.Contains(t, uiText(t, ctx, ".modal-confirm"), "it made access key "+agentKey+" (backup-agent) and bucket backups")
	ticked, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](
		`[...document.querySelectorAll('.modal-confirm input[data-choice]')].map(b => b.checked)`))
	require.NoError(t, err)
	require.Equal(t, []bool{true, false}, ticked, "revoke its keys ticked, delete its buckets not")
	uiDo(t, ctx, chromedp.Click(chromedp.CSS(`[data-confirm-ok]`)))
	uiWaitText(t, ctx, "body", "revoked its keys "+agentKey+" on "+addonID)
	require.Empty(t, browsertest.Exceptions(ctx), "no script errors")
	_, still := h.addons(t)["backup-agent"]
	require.False(t, still, "the agent is uninstalled")
	st, ok := h.state(t)
	require.True(t, ok)
	var left []string
	for _, k := range st.Keys {
		left = append(left, k.AccessKey)
	}
	require.Equal(t, []string{own.AccessKey}, left, "the agent's key is revoked, the owner's key is untouched")
	var buckets []string
	for _, b := range st.Buckets {
		buckets = append(buckets, b.Name)
	}
	require.Equal(t, []string{"backups"}, buckets, "its bucket is kept when not ticked")
}
