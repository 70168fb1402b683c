package layout

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestSetSizeParityTolerance(t *testing.T) {
	t.Parallel()
	cases := []struct {
		drives, set, parity, reads, writes int
	}{
		{1, 1, 0, 0, 0},
		{2, 2, 1, 1, 0}, // data 1 = parity 1: writes need both
		{3, 3, 1, 1, 1},
		{4, 4, 2, 2, 1}, // data 2 = parity 2: write quorum 3
		{5, 5, 2, 2, 2},
		{6, 6, 3, 3, 2},
		{7, 7, 3, 3, 3},
		{8, 8, 4, 4, 3},
		{12, 12, 4, 4, 4},
		{16, 16, 4, 4, 4},
		{32, 16, 4, 4, 4},
		{18, 9, 4, 4, 4},
		{17, 0, 0, 0, 0}, // prime above 16: MinIO refuses it
	}
	for _, c := range cases {
		set := SetSize(c.drives)
		require.Equal(t, c.set, set, "set size of %d drives", c.drives)
		if set == 0 {
			continue
		}
		p := DefaultParity(set)
		require.Equal(t, c.parity, p, "default parity of %d drives", set)
		r, w := Tolerance(set, p)
		require.Equal(t, c.reads, r, "reads of %d drives, parity %d", set, p)
		require.Equal(t, c.writes, w, "writes of %d drives, parity %d", set, p)
	}
	r, w := Tolerance(8, 2)
	require.Equal(t, [2]int{2, 2}, [2]int{r, w}, "a storage class of EC:2 on 8 drives")
}

func cluster() Layout {
	return Layout{Cluster: "c1", Self: "10.0.0.1:9000", Pools: []Pool{{Nodes: []Node{
		{Address: "10.0.0.1:9000", Drives: []string{"/mnt/a", "/mnt/b"}},
		{Address: "10.0.0.2:9000", Drives: []string{"/mnt/a", "/mnt/b"}},
	}}}}
}

func TestEndpointsAndCommand(t *testing.T) {
	t.Parallel()
	single := Single([]string{"/d1", "/d2", "/d3", "/d4"})
	args, cfg := single.Command("/state/pools.json")
	require.Equal(t, []string{"/d1", "/d2", "/d3", "/d4"}, args)
	require.Nil(t, cfg, "one pool goes on the command line")

	c := cluster()
	require.Equal(t, []string{"http://10.0.0.1:9000/mnt/a", "http://10.0.0.2:9000/mnt/a", "http://10.0.0.1:9000/mnt/b", "http://10.0.0.2:9000/mnt/b"},
		c.Endpoints(), "the first drive of every node, then the second: sets spread over the nodes")
	require.Equal(t, []string{"/mnt/a", "/mnt/b"}, c.Local())
	require.Equal(t, []string{"10.0.0.2:9000"}, c.Peers())
	require.NoError(t, c.Validate())

	two, err := single.Expand([]string{"/e1", "/e2", "/e3", "/e4"}, 2)
	require.NoError(t, err)
	args, cfg = two.Command("/state/pools.json")
	require.Equal(t, []string{"--config", "/state/pools.json"}, args)
	var doc struct {
		Version string
		Pools   []struct{ Args []string }
	}
	require.NoError(t, json.Unmarshal(cfg, &doc))
	require.Equal(t, "v2", doc.Version)
	require.Len(t, doc.Pools, 2)
	require.Equal(t, []string{"/e1", "/e2", "/e3", "/e4"}, doc.Pools[1].Args)
	require.Equal(t, []string{"/d1", "/d2", "/d3", "/d4", "/e1", "/e2", "/e3", "/e4"}, two.Local())
}

func TestCheck(t *testing.T) {
	t.Parallel()
	four := Single([]string{"/d1", "/d2", "/d3", "/d4"})
	cases := []struct {
		name   string
		rec    Layout
		drives []string
		self   string
		kind   Kind
		msg    string
	}{
		{"same", four, []string{"/d1", "/d2", "/d3", "/d4"}, "", Same, ""},
		{"drives added at the end", four, []string{"/d1", "/d2", "/d3", "/d4", "/e1", "/e2"}, "", Expansion, "2 new drive(s) at its end (/e1, /e2)"},
		{"a drive missing", four, []string{"/d1", "/d2", "/d3"}, "", Changed, "missing: /d4"},
		{"a drive replaced by another path", four, []string{"/d1", "/d2", "/d3", "/x"}, "", Changed, "missing: /d4; new: /x"},
		{"the same drives in another order", four, []string{"/d2", "/d1", "/d3", "/d4"}, "", Changed, "the same drives in another order"},
		{"new drives in the middle", four, []string{"/d1", "/x", "/d2", "/d3", "/d4"}, "", Changed, "new: /x"},
		{"one drive grown to four", Single([]string{"/d1"}), []string{"/d1", "/d2", "/d3", "/d4"}, "", Expansion, "new pool"},
		{"cluster, same", cluster(), []string{"/mnt/a", "/mnt/b"}, "10.0.0.1:9000", Same, ""},
		{"cluster, address changed", cluster(), []string{"/mnt/a", "/mnt/b"}, "127.0.0.1:9000", Changed, "put s3_address back to 10.0.0.1:9000"},
		{"cluster, drives added", cluster(), []string{"/mnt/a", "/mnt/b", "/mnt/c"}, "10.0.0.1:9000", Changed, "in cluster c1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Check(tc.rec, tc.drives, tc.self)
			require.Equal(t, tc.kind, v.Kind)
			if tc.kind == Same {
				require.NoError(t, v.Err)
				return
			}
			require.ErrorIs(t, v.Err, shared.ErrConflict)
			require.Contains(t, v.Err.Error(), tc.msg)
			require.Contains(t, v.Err.Error(), "was not started")
		})
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	four := Single([]string{"/d1", "/d2", "/d3", "/d4"})
	cases := []struct {
		name   string
		rec    Layout
		added  []string
		parity int
		msg    string
	}{
		{"four more drives", four, []string{"/e1", "/e2", "/e3", "/e4"}, 2, ""},
		{"a single drive cannot grow", Single([]string{"/d1"}), []string{"/e1", "/e2", "/e3", "/e4"}, 0, "parity 0"},
		{"a cluster does not grow from one node", cluster(), []string{"/mnt/c", "/mnt/d"}, 1, "belongs to cluster c1"},
		{"one new drive", four, []string{"/e1"}, 2, "at least 2 drives"},
		{"too few for the parity", four, []string{"/e1", "/e2"}, 2, "parity 2 for every pool, which needs erasure sets of at least 4 drives"},
		{"a count MinIO refuses", Single([]string{"/d1", "/d2"}), []string{"/e01", "/e02", "/e03", "/e04", "/e05", "/e06", "/e07", "/e08", "/e09", "/e10", "/e11", "/e12", "/e13", "/e14", "/e15", "/e16", "/e17"}, 1, "cannot be cut into erasure sets"},
		{"a drive it has", four, []string{"/e1", "/e2", "/e3", "/d1"}, 1, "already one of MinIO's drives"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.rec.Expand(tc.added, tc.parity)
			if tc.msg == "" {
				require.NoError(t, err)
				require.Len(t, out.Pools, len(tc.rec.Pools)+1)
				require.Len(t, tc.rec.Pools, 1, "the layout expanded is not changed")
				return
			}
			require.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestReadWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, ok, err := Read(dir)
	require.NoError(t, err)
	require.False(t, ok, "no record yet")

	require.NoError(t, Write(dir, cluster()))
	got, ok, err := Read(dir)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, cluster().Pools, got.Pools)
	require.False(t, got.Updated.IsZero())
	st, err := os.Stat(filepath.Join(dir, FileName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	bad := cluster()
	bad.Self = "10.0.0.9:9000"
	require.ErrorContains(t, Write(dir, bad), "not one of the layout's nodes", "an unusable layout is never written")
	got, _, err = Read(dir)
	require.NoError(t, err)
	require.Equal(t, "10.0.0.1:9000", got.Self)

	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName), []byte("{garbled"), 0o600))
	_, _, err = Read(dir)
	require.ErrorContains(t, err, "MinIO was not started")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		l    Layout
		msg  string
	}{
		{"no pool", Layout{}, "no pool"},
		{"relative drive", Single([]string{"d1", "/d2"}), "not an absolute path"},
		{"drive twice", Single([]string{"/d1", "/d1"}), "twice"},
		{"five drives make one set", Single([]string{"/1", "/2", "/3", "/4", "/5"}), ""},
		{"seventeen drives", Single([]string{"/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9", "/10", "/11", "/12", "/13", "/14", "/15", "/16", "/17"}), "cannot cut into erasure sets"},
		{"loopback node", Layout{Cluster: "c", Self: "127.0.0.1:9000", Pools: []Pool{{Nodes: []Node{{Address: "127.0.0.1:9000", Drives: []string{"/a"}}, {Address: "10.0.0.2:9000", Drives: []string{"/a"}}}}}}, "loopback"},
		{"node without address in a cluster", Layout{Cluster: "c", Self: "10.0.0.1:9000", Pools: []Pool{{Nodes: []Node{{Address: "10.0.0.1:9000", Drives: []string{"/a"}}, {Drives: []string{"/a"}}}}}}, "mixes nodes"},
		{"node twice", Layout{Cluster: "c", Self: "10.0.0.1:9000", Pools: []Pool{{Nodes: []Node{{Address: "10.0.0.1:9000", Drives: []string{"/a"}}, {Address: "10.0.0.1:9000", Drives: []string{"/b"}}}}}}, "twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.l.Validate()
			if tc.msg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.msg)
		})
	}
	for _, a := range []string{"localhost:9000", "[::1]:9000", "0.0.0.0:9000", "10.0.0.1", "minio.localhost:9000"} {
		require.Error(t, CheckAddress(a), a)
	}
	require.NoError(t, CheckAddress("node2.example.net:9000"))
}
