package buckets

import (
	"context"
	"errors"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
)

// listOf lists the given object versions, as minio-go's ListObjects does:
// from a goroutine that stops when the context ends.
func listOf(objs ...minio.ObjectInfo) func(context.Context) <-chan minio.ObjectInfo {
	return func(ctx context.Context) <-chan minio.ObjectInfo {
		ch := make(chan minio.ObjectInfo)
		go func() {
			defer close(ch)
			for _, o := range objs {
				select {
				case ch <- o:
				case <-ctx.Done():
					return
				}
			}
		}()
		return ch
	}
}

// remover removes the first take versions it is handed (all of them when
// take is negative), then reports fail, if any, and stops without reading
// the rest, as a remover that gives up after a failed call may.
func remover(take int, fail error) func(context.Context, <-chan minio.ObjectInfo) <-chan minio.RemoveObjectResult {
	return func(_ context.Context, objs <-chan minio.ObjectInfo) <-chan minio.RemoveObjectResult {
		res := make(chan minio.RemoveObjectResult)
		go func() {
			defer close(res)
			for i := 0; take < 0 || i < take; i++ {
				o, ok := <-objs
				if !ok {
					break
				}
				res <- minio.RemoveObjectResult{ObjectName: o.Key, ObjectVersionID: o.VersionID}
			}
			if fail != nil {
				res <- minio.RemoveObjectResult{Err: fail}
			}
		}()
		return res
	}
}

// TestRemoveListed is the pure part of a force delete: listing and
// removing run side by side, and the count and errors are read only once
// the lister has finished (run it with -race).
func TestRemoveListed(t *testing.T) {
	t.Parallel()
	v := func(key string) minio.ObjectInfo { return minio.ObjectInfo{Key: key, VersionID: key + "-v"} }
	marker := minio.ObjectInfo{Key: "gone", VersionID: "m", IsDeleteMarker: true}
	listFailed := errors.New("listing failed")
	removeFailed := errors.New("removal refused")
	cases := []struct {
		name          string
		objs          []minio.ObjectInfo
		take          int
		fail          error
		wantRemoved   int
		wantListErr   error
		wantRemoveErr error
	}{
		{name: "empty", take: -1},
		{name: "versions and a marker", objs: []minio.ObjectInfo{v("a"), v("b"), marker, v("c")}, take: -1, wantRemoved: 3},
		{name: "listing fails", objs: []minio.ObjectInfo{v("a"), v("b"), {Err: listFailed}, v("c")}, take: -1,
			wantRemoved: 2, wantListErr: listFailed},
		{name: "remover stops early", objs: []minio.ObjectInfo{v("a"), v("b"), v("c"), v("d")}, take: 1, fail: removeFailed,
			wantRemoved: 1, wantRemoveErr: removeFailed},
		{name: "remover stops at once", objs: []minio.ObjectInfo{v("a"), v("b")}, take: 0, fail: removeFailed,
			wantRemoveErr: removeFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			removed, listErr, removeErr := removeListed(context.Background(), listOf(tc.objs...), remover(tc.take, tc.fail))
			require.Equal(t, tc.wantRemoved, removed)
			require.Equal(t, tc.wantListErr, listErr)
			require.Equal(t, tc.wantRemoveErr, removeErr)
		})
	}
}
