package panel

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// SchemaError says why a page cannot be rendered: every problem found, in
// words a plugin author can act on.
type SchemaError struct {
	Problems []string
}

func (e *SchemaError) Error() string {
	return "the page cannot be rendered: " + strings.Join(e.Problems, "; ")
}

var knownLevels = map[shared.Level]bool{
	"": true, shared.LevelInfo: true, shared.LevelWarning: true,
	shared.LevelError: true, shared.LevelSuccess: true,
}

var knownFields = map[shared.FieldType]bool{
	shared.FieldText: true, shared.FieldSelect: true, shared.FieldTextarea: true,
	shared.FieldCheckbox: true, shared.FieldDateTime: true, shared.FieldFile: true, shared.FieldNumber: true,
}

var knownUnits = map[shared.ChartUnit]bool{shared.UnitNone: true, shared.UnitBytes: true}

// Validate checks that the renderer understands every part of p: the schema
// version, each section kind and its payload, each field type, notice levels,
// row-action inputs, meters and charts. It returns a *SchemaError listing every problem, or
// nil. Plugins can call it in their tests to check the pages they build.
func Validate(p shared.Page) error {
	v := &validator{}
	if p.SchemaVersion != shared.SchemaVersion {
		v.addf("schema_version is %d, but this panel renders version %d: build the plugin against the host's shared package",
			p.SchemaVersion, shared.SchemaVersion)
	}
	if p.RefreshSeconds < 0 {
		v.addf("refresh_seconds is %d; it must be 0 (never) or a positive number of seconds", p.RefreshSeconds)
	}
	if p.Banner != nil {
		v.notice("banner", p.Banner)
	}
	ids := map[string]bool{}
	for i, s := range p.Sections {
		where := fmt.Sprintf("section %d", i+1)
		if s.ID != "" {
			where = fmt.Sprintf("section %q", s.ID)
			if ids[s.ID] {
				v.addf("%s: the id is used by more than one section", where)
			}
			ids[s.ID] = true
		}
		v.section(where, s)
	}
	if len(v.problems) > 0 {
		return &SchemaError{Problems: v.problems}
	}
	return nil
}

type validator struct {
	problems []string
	// params are the query parameters of the page's pagers, each with the
	// section that uses it.
	params map[string]string
}

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) section(where string, s shared.Section) {
	switch s.Kind {
	case shared.SectionInfo:
		if s.Info == nil {
			v.addf("%s: kind %q has no info payload", where, s.Kind)
			return
		}
		if s.Info.Form != nil {
			v.form(where, s.Info.Form)
		}
	case shared.SectionTable:
		if s.Table == nil {
			v.addf("%s: kind %q has no table payload", where, s.Kind)
			return
		}
		v.table(where, s.Table)
	case shared.SectionForm:
		if s.Form == nil {
			v.addf("%s: kind %q has no form payload", where, s.Kind)
			return
		}
		v.form(where, s.Form)
	case shared.SectionNotice:
		if s.Notice == nil {
			v.addf("%s: kind %q has no notice payload", where, s.Kind)
			return
		}
		v.notice(where, s.Notice)
	case shared.SectionCharts:
		if len(s.Charts) == 0 {
			v.addf("%s: kind %q has no charts", where, s.Kind)
			return
		}
		for i, c := range s.Charts {
			v.chart(fmt.Sprintf("%s, chart %d", where, i+1), c)
		}
	default:
		v.addf("%s: unknown section kind %q (this panel knows info, table, form, notice and charts)", where, s.Kind)
	}
}

func (v *validator) level(where string, l shared.Level) {
	if !knownLevels[l] {
		v.addf("%s: unknown level %q (this panel knows info, warning, error and success)", where, l)
	}
}

func (v *validator) chart(where string, c shared.Chart) {
	if !knownUnits[c.Unit] {
		v.addf("%s: unknown unit %q (this panel knows bytes, or none)", where, c.Unit)
	}
	v.level(where, c.Level)
	if c.Limit != nil && !finite(c.Limit.Value) {
		v.addf("%s: the limit is not a finite number", where)
	}
	for i, s := range c.Series {
		for j, p := range s.Points {
			if !finite(p.V) {
				v.addf("%s: series %d, point %d is not a finite number", where, i+1, j+1)
				return
			}
			if j > 0 && p.T.Before(s.Points[j-1].T) {
				v.addf("%s: series %d: points must be oldest first (point %d is older than the one before)", where, i+1, j+1)
				return
			}
		}
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (v *validator) notice(where string, n *shared.Notice) {
	if !knownLevels[n.Level] {
		v.addf("%s: unknown notice level %q (this panel knows info, warning, error and success)", where, n.Level)
	}
}

// pagerParam is what a pager's query parameter may look like.
var pagerParam = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func (v *validator) pager(where string, p *shared.Pager, rows int) {
	if v.params == nil {
		v.params = map[string]string{}
	}
	for i, name := range []string{p.Param, p.FilterParam} {
		if i == 1 && name == "" {
			continue // no filter
		}
		if !pagerParam.MatchString(name) {
			v.addf("%s: pager parameter %q is not valid: use lowercase letters, digits and '_', starting with a letter (at most 32)", where, name)
			continue
		}
		if other, ok := v.params[name]; ok {
			v.addf("%s: pager parameter %q is also used by %s", where, name, other)
		}
		v.params[name] = where
	}
	if p.Pages < 1 || p.Page < 1 || p.Page > p.Pages {
		v.addf("%s: pager is on page %d of %d; pages count from 1 and there is at least one", where, p.Page, p.Pages)
	}
	if p.Size < 1 || p.Total < 0 || rows > p.Size || (p.Total+p.Size-1)/p.Size > max(p.Pages, 1) {
		v.addf("%s: pager's size %d, total %d and %d pages do not fit the %d rows shown", where, p.Size, p.Total, p.Pages, rows)
	}
}

func (v *validator) table(where string, t *shared.Table) {
	if t.Pager != nil {
		v.pager(where, t.Pager, len(t.Rows))
	}
	cols := map[string]bool{}
	for i, c := range t.Columns {
		if c.ID == "" {
			v.addf("%s: column %d has no id", where, i+1)
		}
		if cols[c.ID] {
			v.addf("%s: column id %q is used twice", where, c.ID)
		}
		cols[c.ID] = true
	}
	for i, r := range t.Rows {
		for col, c := range r.Cells {
			if m := c.Meter; m != nil {
				if !finite(m.Value) || !finite(m.Max) || m.Max <= 0 {
					v.addf("%s: row %d, cell %q: a meter needs a finite value and a positive max", where, i+1, col)
				}
				v.level(fmt.Sprintf("%s: row %d, cell %q", where, i+1, col), m.Level)
			}
		}
		for j, a := range r.Actions {
			if a.Action == "" {
				v.addf("%s: row %d, action %d has no action id", where, i+1, j+1)
			}
			if len(a.Input) > 0 && !isJSONObject(a.Input) {
				v.addf("%s: row %d, action %q has an input that is not a JSON object", where, i+1, a.Action)
			}
			if a.Prompt != nil && (a.Prompt.Expect == "" || a.Prompt.Field == "") {
				v.addf("%s: row %d, action %q has a prompt without the text to expect or the input field to fill", where, i+1, a.Action)
			}
			if len(a.Choices) > 0 && (a.Confirm == "" || a.Prompt != nil) {
				v.addf("%s: row %d, action %q has choices without a confirmation to show them in (or with a prompt)", where, i+1, a.Action)
			}
			for _, c := range a.Choices {
				if c.Field == "" || c.Label == "" {
					v.addf("%s: row %d, action %q has a choice without a field or a label", where, i+1, a.Action)
				}
			}
		}
	}
}

func (v *validator) form(where string, f *shared.Form) {
	if f.Action == "" {
		v.addf("%s: the form has no action id", where)
	}
	if f.Post != "" && !strings.HasPrefix(f.Post, "/api/") {
		v.addf("%s: the form posts to %q, which is not a path of the host's API (/api/...)", where, f.Post)
	}
	names := map[string]bool{}
	for i, fl := range f.Fields {
		if fl.Name == "" {
			v.addf("%s: field %d has no name", where, i+1)
		}
		if names[fl.Name] {
			v.addf("%s: field name %q is used twice", where, fl.Name)
		}
		names[fl.Name] = true
		if !knownFields[fl.Type] {
			v.addf("%s: field %q has unknown type %q (this panel knows text, select, textarea, checkbox, datetime, number and file)",
				where, fl.Name, fl.Type)
			continue
		}
		if fl.Type == shared.FieldFile && f.Post == "" {
			v.addf("%s: file field %q needs a form that posts to the host (post): a plugin's actions take JSON", where, fl.Name)
		}
		if fl.Type == shared.FieldSelect && len(fl.Options) == 0 {
			v.addf("%s: select field %q has no options", where, fl.Name)
		}
		if len(fl.Templates) > 0 && fl.Type != shared.FieldTextarea && fl.Type != shared.FieldText {
			v.addf("%s: field %q has templates, which only text and textarea fields take", where, fl.Name)
		}
	}
}

func isJSONObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}
