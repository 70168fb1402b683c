package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/store"
	"github.com/quazzar/object-storage/shared"
)

func stateDoc(t *testing.T, a *Addon, query map[string]string) StateDocument {
	t.Helper()
	res, err := a.State(context.Background(), shared.StateRequest{Query: query})
	require.NoError(t, err)
	var doc StateDocument
	require.NoError(t, json.Unmarshal(res.Document, &doc))
	return doc
}

// TestHistoryInState: after a few refreshes the state API returns each
// bucket's and the drive's samples under ?history=1 (and only then), in
// the one database file in the state folder, and the page charts them.
func TestHistoryInState(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": "growing", "visibility": "private"}).OK)
	c := f.rootClient(t)
	for i := range 3 {
		_, err := c.PutObject(ctx, "growing", string(rune('a'+i)), bytes.NewReader(make([]byte, 100<<10)), 100<<10, minio.PutObjectOptions{})
		require.NoError(t, err)
	}
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		doc := stateDoc(t, f.a, map[string]string{"history": "1"})
		if !assert.Len(ct, doc.Capacity.Drives, 1) || !assert.Len(ct, doc.Buckets, 1) {
			return
		}
		assert.NotEmpty(ct, doc.Capacity.Drives[0].History, "drive samples")
		h := doc.Buckets[0].History
		if assert.NotEmpty(ct, h, "bucket samples") {
			assert.EqualValues(ct, 300<<10, h[len(h)-1].Value, "the newest sample is the scanned size")
		}
	}, 3*time.Minute, time.Second, "samples in the state API")

	doc := stateDoc(t, f.a, nil)
	require.Empty(t, doc.Buckets[0].History, "no history without ?history=1")
	require.Empty(t, doc.Capacity.Drives[0].History)
	require.NotEqual(t, shared.CapacityUnknown, doc.Capacity.Level)
	require.FileExists(t, f.settings[settings.KeyStateDir]+"/"+store.FileName)

	s, ok := pageSection(t, f.a, "bucket-growth")
	require.True(t, ok)
	require.NotEmpty(t, s.Charts[0].Series[0].Points)
	d, ok := pageSection(t, f.a, "disk-growth")
	require.True(t, ok)
	require.NotEmpty(t, d.Charts[0].Series[0].Points)
	require.NotEmpty(t, d.Charts[0].Forecast, "the disk chart says where it is heading")
}
