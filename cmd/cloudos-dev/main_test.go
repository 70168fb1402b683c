package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestAddonSettingsLiveUnderTheStateFolder(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	f := addonFlags{s3Address: "127.0.0.1:9000", consoleAddress: "127.0.0.1:9001", minioBinary: "minio", scannerSpeed: "fast"}
	got, err := addonSettings(state, f)
	require.NoError(t, err)
	require.Equal(t, "minio", got["minio_binary"])
	require.Equal(t, filepath.Join(state, "objects"), got["data_dir"])
	require.Equal(t, filepath.Join(state, "minio.env"), got["env_file"])
	require.Equal(t, filepath.Join(state, "object-storage"), got["state_dir"])
	require.Equal(t, "127.0.0.1:9000", got["s3_address"])
	require.Equal(t, "fast", got["scanner_speed"])

	got, err = addonSettings(".state", f)
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(got["data_dir"]), "a relative --state-dir becomes absolute: %s", got["data_dir"])

	f.minioBinary = ".tools/bin/minio"
	got, err = addonSettings(state, f)
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(got["minio_binary"]), "a relative --minio-binary path becomes absolute (the add-on runs in its own folder): %s", got["minio_binary"])

	f.minioBinary = "minio"
	f.dataDirs = "/mnt/d1, /mnt/d2,rel/d3"
	got, err = addonSettings(state, f)
	require.NoError(t, err)
	require.Equal(t, "/mnt/d1", got["data_dir"])
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.Equal(t, "/mnt/d1,/mnt/d2,"+filepath.Join(wd, "rel", "d3"), got["data_dirs"], "--data-dirs are the drives, made absolute")
	require.Equal(t, filepath.Join(state, "minio.env"), got["env_file"], "the env file stays under the state folder")

	f.dataDirs = "/mnt/d1,/mnt/d1"
	_, err = addonSettings(state, f)
	require.ErrorIs(t, err, shared.ErrInvalidArgument, "a drive listed twice is refused before anything starts")
	f.dataDirs = ""

	f.s3Address = "nonsense"
	_, err = addonSettings(state, f)
	require.ErrorIs(t, err, shared.ErrInvalidArgument, "a bad flag is refused before anything starts")
	require.Contains(t, err.Error(), "s3_address")
}
