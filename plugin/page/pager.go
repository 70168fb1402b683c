package page

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// Query parameters of the page's pagers: the page of the bucket and key
// tables, and their filters.
const (
	ParamBucketsPage   = "buckets_page"
	ParamBucketsFilter = "buckets_filter"
	ParamKeysPage      = "keys_page"
	ParamKeysFilter    = "keys_filter"
)

// PageSize is the number of rows of a table's page. A node with more
// buckets (or keys) shows them a page at a time, with a filter by name:
// the page stays quick to send and to read whatever the node holds.
const PageSize = 100

// maxFilter bounds the filter text taken from the query.
const maxFilter = 128

// filterOf is the filter text a query asks for: trimmed, at most maxFilter
// bytes (cut at a rune).
func filterOf(query map[string]string, param string) string {
	f := strings.TrimSpace(query[param])
	if len(f) > maxFilter {
		f = strings.ToValidUTF8(f[:maxFilter], "")
	}
	return f
}

// matches reports whether any of texts contains filter, ignoring case.
func matches(filter string, texts ...string) bool {
	if filter == "" {
		return true
	}
	f := strings.ToLower(filter)
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), f) {
			return true
		}
	}
	return false
}

// tablePager names a table's pager: its query parameters, the filter's
// label, and the table's text when the filter matches nothing (%s: the
// filter).
type tablePager struct {
	page, filter, label, none string
}

// pageOf returns the rows of all that t shows: those whose texts contain
// the query's filter, on the page the query asks for. t gets a pager when
// all is longer than a page or a filter is in effect (so that it can be
// cleared).
func pageOf[T any](t *shared.Table, all []T, query map[string]string, tp tablePager, texts func(T) []string) []T {
	filter := filterOf(query, tp.filter)
	list := all
	if filter != "" {
		list = nil
		for _, v := range all {
			if matches(filter, texts(v)...) {
				list = append(list, v)
			}
		}
		t.Empty = fmt.Sprintf(tp.none, filter)
	}
	from, to, pager := paginate(len(list), query, tp.page, tp.filter, filter, tp.label)
	if len(all) > PageSize || filter != "" {
		t.Pager = pager
	}
	t.Rows = make([]shared.Row, 0, to-from)
	return list[from:to]
}

// paginate picks the page a query asks for of a list of n rows (already
// filtered) and returns its bounds and pager. A page number that is not a
// number or out of range is the nearest page there is: a link kept from a
// longer list still shows rows.
func paginate(n int, query map[string]string, param, filterParam, filter, label string) (from, to int, p *shared.Pager) {
	pages := max(1, (n+PageSize-1)/PageSize)
	page, err := strconv.Atoi(strings.TrimSpace(query[param]))
	if err != nil || page < 1 {
		page = 1
	}
	page = min(page, pages)
	from = (page - 1) * PageSize
	to = min(from+PageSize, n)
	return from, to, &shared.Pager{Param: param, Page: page, Pages: pages, Size: PageSize, Total: n,
		FilterParam: filterParam, Filter: filter, FilterLabel: label}
}
