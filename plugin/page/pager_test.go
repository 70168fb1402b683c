package page

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

// manyState is a node with n buckets (b-0000 …) and m keys.
func manyState(n, m int) State {
	s := baseState()
	for i := range n {
		s.Buckets = append(s.Buckets, shared.Bucket{Name: fmt.Sprintf("b-%04d", i), Visibility: shared.Private, CreatedAt: now})
	}
	for i := range m {
		s.Keys = append(s.Keys, shared.Key{AccessKey: fmt.Sprintf("AK%018d", i), Name: fmt.Sprintf("app-%03d", i), Managed: true, CreatedAt: now,
			Owner: map[bool]string{true: "backup-agent"}[i%50 == 0]})
	}
	return s
}

func rowIDs(t *shared.Table) []string {
	ids := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		ids[i] = r.ID
	}
	return ids
}

func TestTablesAPageAtATime(t *testing.T) {
	// Up to a page: every row, no pager, no filter field.
	s := manyState(PageSize, 3)
	p := build(t, s)
	require.Len(t, section(t, p, "buckets").Table.Rows, PageSize)
	require.Nil(t, section(t, p, "buckets").Table.Pager)
	require.Nil(t, section(t, p, "keys").Table.Pager)

	// 250 buckets, 230 keys: the first page by default.
	s = manyState(250, 230)
	p = build(t, s)
	bt, kt := section(t, p, "buckets").Table, section(t, p, "keys").Table
	require.Len(t, bt.Rows, PageSize)
	require.Equal(t, "b-0000", bt.Rows[0].ID)
	require.Equal(t, &shared.Pager{Param: ParamBucketsPage, Page: 1, Pages: 3, Size: PageSize, Total: 250,
		FilterParam: ParamBucketsFilter, FilterLabel: "Bucket name contains…"}, bt.Pager)
	require.Equal(t, 3, kt.Pager.Pages)
	require.Len(t, kt.Rows, PageSize)

	// The last page has the rest; each table has its own page.
	s.Query = map[string]string{ParamBucketsPage: "3", ParamKeysPage: "2"}
	p = build(t, s)
	bt, kt = section(t, p, "buckets").Table, section(t, p, "keys").Table
	require.Len(t, bt.Rows, 50)
	require.Equal(t, "b-0200", bt.Rows[0].ID)
	require.Equal(t, "b-0249", bt.Rows[49].ID)
	require.Equal(t, 3, bt.Pager.Page)
	require.Equal(t, 2, kt.Pager.Page)
	require.Equal(t, "app-100", kt.Rows[0].Cells["name"].Text)

	// A page number that is not one, or out of range: the nearest page.
	for q, want := range map[string]int{"0": 1, "-4": 1, "x": 1, "": 1, "99": 3, " 2 ": 2, "1e3": 1} {
		s.Query = map[string]string{ParamBucketsPage: q}
		p = build(t, s)
		require.Equal(t, want, section(t, p, "buckets").Table.Pager.Page, "page %q", q)
	}

	// The filter: by bucket name, ignoring case, then paged.
	s.Query = map[string]string{ParamBucketsFilter: "  B-01 "}
	p = build(t, s)
	bt = section(t, p, "buckets").Table
	require.Equal(t, 100, bt.Pager.Total)
	require.Equal(t, "B-01", bt.Pager.Filter)
	require.Equal(t, "b-0100", bt.Rows[0].ID)
	require.Equal(t, "b-0199", bt.Rows[99].ID)
	// Forms still offer every bucket, whatever the table shows.
	require.Len(t, fieldOf(t, section(t, p, "quota"), "name").Options, 250)

	// Keys by name, access key, description or owner.
	s.Query = map[string]string{ParamKeysFilter: "backup-AGENT"}
	p = build(t, s)
	kt = section(t, p, "keys").Table
	require.Equal(t, []string{"AK000000000000000000", "AK000000000000000050", "AK000000000000000100", "AK000000000000000150", "AK000000000000000200"}, rowIDs(kt))
	require.Equal(t, 1, kt.Pager.Pages)

	// A filter that matches nothing says so; a filter on a small node
	// still shows (so that it can be cleared).
	s = manyState(3, 1)
	s.Query = map[string]string{ParamBucketsFilter: "<nope>"}
	p = build(t, s)
	bt = section(t, p, "buckets").Table
	require.Empty(t, bt.Rows)
	require.Equal(t, "No bucket name contains “<nope>”.", bt.Empty)
	require.Equal(t, &shared.Pager{Param: ParamBucketsPage, Page: 1, Pages: 1, Size: PageSize, Total: 0,
		FilterParam: ParamBucketsFilter, Filter: "<nope>", FilterLabel: "Bucket name contains…"}, bt.Pager)

	// An overlong filter is cut, never refused.
	s.Query = map[string]string{ParamBucketsFilter: strings.Repeat("é", 100)}
	p = build(t, s)
	require.LessOrEqual(t, len(section(t, p, "buckets").Table.Pager.Filter), maxFilter)
}

func fieldOf(t *testing.T, s shared.Section, name string) shared.Field {
	t.Helper()
	require.NotNil(t, s.Form, "section %q has no form", s.ID)
	for _, f := range s.Form.Fields {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("section %q has no field %q", s.ID, name)
	return shared.Field{}
}
