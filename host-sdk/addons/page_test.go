package addons_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

func TestUninstallDialogOffersHoldings(t *testing.T) {
	list := []addons.Info{{ID: "backup-agent", Name: "Backup agent", State: "running"}, {ID: "object-storage", Name: "Object Storage", State: "running"}}
	held := map[string][]addons.Holdings{"backup-agent": {{Provider: "object-storage",
		Keys: []shared.Key{{AccessKey: "quazzar-AAAAAAAAAA", Name: "backup-agent"}}, Buckets: []string{"backups"}}}}
	p := addons.BuildPageWith(list, held)
	require.NoError(t, panel.Validate(p))
	var uninstall shared.RowAction
	for _, r := range p.Sections[0].Table.Rows {
		for _, a := range r.Actions {
			if a.Action == addons.ActionUninstall && r.ID == "backup-agent" {
				uninstall = a
			}
			if a.Action == addons.ActionUninstall && r.ID == "object-storage" {
				require.Empty(t, a.Choices, "nothing held, nothing offered")
			}
		}
	}
	require.Contains(t, uninstall.Confirm, "On object-storage it made access key quazzar-AAAAAAAAAA (backup-agent) and bucket backups.")
	require.Equal(t, []shared.Choice{
		{Field: "revoke_keys", Checked: true, Label: "Revoke its access key (quazzar-AAAAAAAAAA (backup-agent)); other keys are untouched"},
		{Field: "delete_buckets", Label: "Delete its bucket (backups) with everything in them; unticked, they are kept"},
	}, uninstall.Choices)
}
