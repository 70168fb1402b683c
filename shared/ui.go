package shared

import (
	"encoding/json"
	"fmt"
	"time"
)

// SchemaVersion is the version of the UI schema below. A renderer refuses a
// page whose version it does not know.
const SchemaVersion = 1

// PageRequest asks for a plugin's page, built from live state.
type PageRequest struct {
	// Query is the query of the page's URL, first value of each parameter:
	// what the page's pagers ask for (Pager.Param, Pager.FilterParam).
	Query map[string]string `json:"query,omitempty"`
}

// Page is a plugin's page in the panel, declared as data: the host renders
// it; the plugin never sends HTML.
type Page struct {
	SchemaVersion int    `json:"schema_version"`
	Title         string `json:"title"`
	Route         string `json:"route"`
	// RefreshSeconds asks the panel to reload the page's data this often;
	// 0 means never.
	RefreshSeconds int `json:"refresh_seconds,omitempty"`
	// Banner is shown above everything (server state, install command).
	Banner   *Notice   `json:"banner,omitempty"`
	Sections []Section `json:"sections"`
}

// SectionKind says which block a Section is.
type SectionKind string

// Section kinds.
const (
	SectionInfo   SectionKind = "info"
	SectionTable  SectionKind = "table"
	SectionForm   SectionKind = "form"
	SectionNotice SectionKind = "notice"
	// SectionCharts is a row of time charts (Charts).
	SectionCharts SectionKind = "charts"
)

// Section is one block of a page. Kind says which of the pointers is set.
type Section struct {
	ID          string      `json:"id"`
	Kind        SectionKind `json:"kind"`
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`

	Info   *InfoPanel `json:"info,omitempty"`
	Table  *Table     `json:"table,omitempty"`
	Form   *Form      `json:"form,omitempty"`
	Notice *Notice    `json:"notice,omitempty"`
	Charts []Chart    `json:"charts,omitempty"`
}

// Level is how serious a notice is.
type Level string

// Notice levels.
const (
	LevelInfo    Level = "info"
	LevelWarning Level = "warning"
	LevelError   Level = "error"
	LevelSuccess Level = "success"
)

// Notice is a message with a level, and optionally a command to copy.
type Notice struct {
	Level Level  `json:"level"`
	Text  string `json:"text"`
	// Code is shown as a copyable block (an install command).
	Code string `json:"code,omitempty"`
}

// InfoPanel is a list of labelled values, optionally followed by a form
// (the Endpoint panel's domain field).
type InfoPanel struct {
	Items []InfoItem `json:"items"`
	Form  *Form      `json:"form,omitempty"`
}

type InfoItem struct {
	Label string `json:"label"`
	Value string `json:"value"`
	// Copy shows a copy button for Value.
	Copy bool   `json:"copy,omitempty"`
	Hint string `json:"hint,omitempty"`
}

// Table is rows of cells with per-row actions.
type Table struct {
	Columns []Column `json:"columns"`
	Rows    []Row    `json:"rows"`
	// Empty is shown when there are no rows.
	Empty string `json:"empty,omitempty"`
	// Pager, when set, says that Rows are one page of a longer list.
	Pager *Pager `json:"pager,omitempty"`
}

// Pager places a table's rows in a longer list: the panel says which rows
// are shown, links to the other pages and, with FilterParam, shows a filter
// field. Following a link or sending the filter loads the page's URL with
// the parameters below set, which the plugin receives in PageRequest.Query.
type Pager struct {
	// Param is the query parameter of the page number; Page counts from 1,
	// Pages is at least 1.
	Param string `json:"param"`
	Page  int    `json:"page"`
	Pages int    `json:"pages"`
	// Size is the number of rows of a full page; Total the rows of the
	// whole list (after the filter).
	Size  int `json:"size"`
	Total int `json:"total"`
	// FilterParam, when set, is the query parameter of a filter text;
	// Filter is the text in effect, FilterLabel names what it matches.
	FilterParam string `json:"filter_param,omitempty"`
	Filter      string `json:"filter,omitempty"`
	FilterLabel string `json:"filter_label,omitempty"`
}

type Column struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

type Row struct {
	ID string `json:"id"`
	// Cells by column id.
	Cells   map[string]Cell `json:"cells"`
	Actions []RowAction     `json:"actions,omitempty"`
}

type Cell struct {
	Text string `json:"text"`
	// Hint is secondary text (e.g. "scanned 40 s ago").
	Hint string `json:"hint,omitempty"`
	Copy bool   `json:"copy,omitempty"`
	// Meter, when set, draws a bar under the text (used of a quota).
	Meter *Meter `json:"meter,omitempty"`
}

// Meter is a filled bar: Value of Max, coloured by Level (info when
// empty). Value may exceed Max (the bar is then full).
type Meter struct {
	Value float64 `json:"value"`
	Max   float64 `json:"max"`
	Level Level   `json:"level,omitempty"`
}

// RowAction is a button on a row. Input is sent as the action's JSON input.
type RowAction struct {
	Action string          `json:"action"`
	Label  string          `json:"label"`
	Input  json.RawMessage `json:"input,omitempty"`
	// Confirm, when set, is asked before the action is sent.
	Confirm string `json:"confirm,omitempty"`
	// Prompt, when set, asks the user to type a text before the action is
	// sent (the id of what a purge deletes, as GitHub asks for a
	// repository's name); the typed text goes into the input.
	Prompt *Prompt `json:"prompt,omitempty"`
	// Choices, with Confirm, are checkboxes the confirmation shows (what
	// else to do with the action: revoke a plugin's keys as it is
	// uninstalled); each puts its Field in the input, true when ticked.
	Choices []Choice `json:"choices,omitempty"`
	// Danger marks a destructive action.
	Danger bool `json:"danger,omitempty"`
}

// Choice is a checkbox of a row action's confirmation.
type Choice struct {
	Field   string `json:"field"`
	Label   string `json:"label"`
	Checked bool   `json:"checked,omitempty"`
}

// Prompt asks for a typed confirmation: the action is sent only once the
// user typed Expect, and the typed text is put in the input's Field.
type Prompt struct {
	Text   string `json:"text"`
	Expect string `json:"expect"`
	Field  string `json:"field"`
}

// FieldType is the input a form field is.
type FieldType string

// Field types.
const (
	FieldText     FieldType = "text"
	FieldSelect   FieldType = "select"
	FieldTextarea FieldType = "textarea"
	FieldCheckbox FieldType = "checkbox"
	FieldDateTime FieldType = "datetime"
	// FieldFile uploads a file: only in a form with Post, which then sends
	// the file's bytes as the body (the other fields as query parameters).
	FieldFile FieldType = "file"
	// FieldNumber is a whole number, sent as a JSON number (null when
	// left empty).
	FieldNumber FieldType = "number"
)

// Form posts its fields, by name, as the JSON input of Action: text,
// select, textarea and datetime fields as strings (a datetime as RFC 3339 in
// UTC, or "" when left empty), a checkbox as a JSON boolean, a number as a
// JSON number (null when left empty).
type Form struct {
	Action string  `json:"action"`
	Submit string  `json:"submit"`
	Fields []Field `json:"fields"`
	// Confirm, when set, is asked before the form is sent.
	Confirm string `json:"confirm,omitempty"`
	// Post, when set, sends the form to this path of the host's own API
	// (it starts with /api/) instead of the plugin's Action: the host's
	// own pages, and the settings section it adds to a plugin's page. The
	// answer is an ActionResult all the same.
	Post string `json:"post,omitempty"`
}

type Field struct {
	Name        string    `json:"name"`
	Label       string    `json:"label"`
	Type        FieldType `json:"type"`
	Required    bool      `json:"required,omitempty"`
	Placeholder string    `json:"placeholder,omitempty"`
	Help        string    `json:"help,omitempty"`
	Default     string    `json:"default,omitempty"`
	Options     []Option  `json:"options,omitempty"`
	// Templates fill the field with a value on click (policy templates).
	Templates []Template `json:"templates,omitempty"`
	// Accept lists the file types a file field takes (".tar.gz").
	Accept string `json:"accept,omitempty"`
}

type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
	// Warning is shown while this option is selected.
	Warning string `json:"warning,omitempty"`
	// Confirm, when set, is asked before the form is sent with this
	// option selected (a choice that cannot be undone).
	Confirm string `json:"confirm,omitempty"`
}

type Template struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// ChartUnit says what a chart's values are, so that the panel formats
// them.
type ChartUnit string

// Chart units.
const (
	// UnitNone: plain numbers.
	UnitNone ChartUnit = ""
	// UnitBytes: sizes, shown in binary units (KiB, MiB, …).
	UnitBytes ChartUnit = "bytes"
)

// Chart is a small time chart: series of (time, value) points drawn as
// lines, an optional limit drawn as a dashed line (a quota, a drive's
// size), and an optional forecast sentence under it. The panel draws it as
// inline SVG.
type Chart struct {
	ID     string        `json:"id,omitempty"`
	Title  string        `json:"title"`
	Unit   ChartUnit     `json:"unit,omitempty"`
	Series []ChartSeries `json:"series"`
	Limit  *ChartLimit   `json:"limit,omitempty"`
	// Forecast is a sentence about where the line is heading; Level
	// colours it (and the limit line).
	Forecast string `json:"forecast,omitempty"`
	Level    Level  `json:"level,omitempty"`
	// Empty is shown when no series has a point.
	Empty string `json:"empty,omitempty"`
}

// ChartSeries is one line of a chart; its points are oldest first.
type ChartSeries struct {
	Label  string       `json:"label,omitempty"`
	Points []ChartPoint `json:"points"`
}

// ChartPoint is one value at one time.
type ChartPoint struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// ChartLimit is a horizontal line at Value, named by Label ("quota 1 GiB").
type ChartLimit struct {
	Value float64 `json:"value"`
	Label string  `json:"label,omitempty"`
}

// HumanBytes formats a size in binary units ("1.5 MiB"), as the panel shows
// values of UnitBytes.
func HumanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// StateRequest asks for the page's data. Query holds the request's query
// parameters (such as history=1), each with its first value.
type StateRequest struct {
	Query map[string]string `json:"query,omitempty"`
}

// StateResponse carries the page's data as one JSON document.
type StateResponse struct {
	Document json.RawMessage `json:"document"`
}

// ActionRequest is one action of the page: its id and its JSON input.
type ActionRequest struct {
	Action string          `json:"action"`
	Input  json.RawMessage `json:"input,omitempty"`
}

// ActionResult is what an action answers. A failed action has OK false and
// a Message, and FieldErrors for the inputs at fault; it has changed
// nothing.
type ActionResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"`
	// FieldErrors maps an input field to what is wrong with it, so that
	// the panel shows each message under its field. It is a map, not one
	// field, because the wire format is the panel's and any plugin's: a
	// plugin may report several fields at once. A shared.Error names one
	// field, so a failed action built from one (the object-storage
	// add-on checks fields in order and stops at the first) has one entry.
	FieldErrors map[string]string `json:"field_errors,omitempty"`
	// Code is the error code of a failed action.
	Code Code `json:"code,omitempty"`
	// Modal is shown to the user (the one-time secret).
	Modal *Modal `json:"modal,omitempty"`
	// Refresh asks the panel to reload the page.
	Refresh bool `json:"refresh,omitempty"`
	// Retry, on a failed result, asks the user to confirm and, if they
	// do, sends the same input again with Retry.Field set to true: a
	// change that needs a restart the user must agree to.
	Retry *Retry `json:"retry,omitempty"`
	// AccessKey and SecretKey are set by the actions that make a key
	// (create_key, rotate_key) only.
	AccessKey string `json:"access_key,omitempty"`
	SecretKey string `json:"secret_key,omitempty"`
	// Token is set by the actions that make a token only (create_replica_target:
	// the pairing token; create_cluster: the join token, which holds the
	// cluster's root credentials, encrypted): like a secret, it is in this
	// answer and nowhere else.
	Token string `json:"token,omitempty"`
}

// Retry is a confirmation asked after a failed action (see ActionResult).
type Retry struct {
	Confirm string `json:"confirm"`
	Field   string `json:"field"`
	// OK is the confirm button's label.
	OK string `json:"ok,omitempty"`
}

// Modal is a dialog; Secret, when set, is shown once with a copy button.
type Modal struct {
	Title   string      `json:"title"`
	Text    string      `json:"text,omitempty"`
	Warning string      `json:"warning,omitempty"`
	Values  []InfoItem  `json:"values,omitempty"`
	Blocks  []CodeBlock `json:"blocks,omitempty"`
}

// CodeBlock is a ready-to-paste snippet.
type CodeBlock struct {
	Label string `json:"label"`
	Text  string `json:"text"`
}
