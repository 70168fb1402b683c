package hostapi

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestCheckForwarded(t *testing.T) {
	body := func(v any) []byte { b, _ := json.Marshal(v); return b }
	for _, c := range []struct {
		name, method string
		body         []byte
		code         shared.Code
	}{
		{"its own holdings", "Owned", body(shared.OwnedRequest{Plugin: "backup-agent"}), ""},
		{"another plugin's holdings", "Owned", body(shared.OwnedRequest{Plugin: "cdn"}), shared.CodePermission},
		{"everyone's holdings", "Owned", body(shared.OwnedRequest{}), shared.CodePermission},
		{"malformed", "Owned", []byte("{"), shared.CodeInvalidArgument},
		{"administrator key", "CreateKey", body(shared.CreateKeyRequest{Name: "x", Admin: true}), shared.CodePermission},
		{"S3 key", "CreateKey", body(shared.CreateKeyRequest{Name: "x"}), ""},
		{"rotation", "RotateKey", body(shared.RotateKeyRequest{AccessKey: "k"}), ""},
	} {
		err := checkForwarded("backup-agent", c.method, c.body)
		if c.code == "" {
			require.NoError(t, err, c.name)
			continue
		}
		require.Equal(t, c.code, shared.CodeOf(err), c.name)
	}
}
