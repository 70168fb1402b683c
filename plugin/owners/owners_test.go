package owners

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/store"
)

func TestOwnersSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{NoSync: true})
	require.NoError(t, err)
	o, err := Open(db)
	require.NoError(t, err)
	require.NoError(t, o.Set(Key, "quazzar-AAAAAAAAAA", "backup-agent"))
	require.NoError(t, o.Set(Key, "quazzar-BBBBBBBBBB", "cdn"))
	require.NoError(t, o.Set(Key, "quazzar-CCCCCCCCCC", ""), "the node owner's key records nothing")
	require.NoError(t, o.Set(Bucket, "backups", "backup-agent"))
	require.NoError(t, o.Forget(Key, "quazzar-BBBBBBBBBB"))
	require.NoError(t, o.Forget(Key, "never-recorded"))
	require.NoError(t, db.Close())

	db, err = store.Open(dir, store.Options{NoSync: true})
	require.NoError(t, err)
	defer db.Close()
	o, err = Open(db)
	require.NoError(t, err)
	require.Equal(t, "backup-agent", o.Of(Key, "quazzar-AAAAAAAAAA"))
	require.Equal(t, "", o.Of(Key, "quazzar-BBBBBBBBBB"))
	require.Equal(t, "", o.Of(Key, "quazzar-CCCCCCCCCC"))
	require.Equal(t, []string{"quazzar-AAAAAAAAAA"}, o.Owned(Key, "backup-agent"))
	require.Equal(t, []string{"backups"}, o.Owned(Bucket, "backup-agent"))
	require.Equal(t, []string{}, o.Owned(Bucket, "cdn"))
}
