package panel_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// standIn is a pure in-memory plugin page for the renderer's tests: a
// bucket list and a key list with the object-storage page's shape. It holds
// no server; the renderer only needs something that answers Page and
// Action.
type standIn struct {
	mu      sync.Mutex
	refresh int
	buckets []standInBucket
	keys    []standInKey
	last    map[string]json.RawMessage // action id -> last input
	pageErr error                      // returned by Page when set
	page    *shared.Page               // returned by Page when set
	// pageSize, when set, shows the buckets that many at a time, with a
	// pager on the query parameters "bp" (page) and "bq" (filter).
	pageSize  int
	lastQuery map[string]string // the query of the last Page call
}

type standInBucket struct {
	Name, Visibility string
	Objects          int
}

type standInKey struct {
	Name, AccessKey string
}

func newStandIn() *standIn {
	return &standIn{last: map[string]json.RawMessage{}}
}

func (s *standIn) addBucket(name string, objects int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets = append(s.buckets, standInBucket{Name: name, Visibility: "private", Objects: objects})
}

func (s *standIn) lastInput(action string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[action]
}

func (s *standIn) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pageErr != nil {
		return shared.Page{}, s.pageErr
	}
	if s.page != nil {
		return *s.page, nil
	}
	s.lastQuery = req.Query
	if s.pageSize == 0 {
		return standInPage(s.refresh, s.buckets, s.keys), nil
	}
	var list []standInBucket
	for _, b := range s.buckets {
		if strings.Contains(b.Name, req.Query["bq"]) {
			list = append(list, b)
		}
	}
	pager := &shared.Pager{Param: "bp", Page: 1, Pages: max(1, (len(list)+s.pageSize-1)/s.pageSize), Size: s.pageSize, Total: len(list),
		FilterParam: "bq", Filter: req.Query["bq"], FilterLabel: "Bucket name contains…"}
	if n, err := strconv.Atoi(req.Query["bp"]); err == nil && n >= 1 && n <= pager.Pages {
		pager.Page = n
	}
	from := (pager.Page - 1) * s.pageSize
	p := standInPage(s.refresh, list[from:min(from+s.pageSize, len(list))], s.keys)
	p.Sections[1].Table.Pager = pager
	return p, nil
}

func (s *standIn) query() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastQuery
}

// standInPage is a page with every section kind and field type.
func standInPage(refresh int, buckets []standInBucket, keys []standInKey) shared.Page {
	bucketRows := make([]shared.Row, 0, len(buckets))
	for _, b := range buckets {
		input, _ := json.Marshal(map[string]any{"name": b.Name, "force": false})
		usage := shared.Cell{Text: "0 / —", Hint: "not scanned yet"}
		if b.Objects > 0 {
			usage = shared.Cell{Text: fmt.Sprintf("%d KiB / %d", b.Objects*4, b.Objects), Hint: "scanned 40 s ago",
				Meter: &shared.Meter{Value: float64(b.Objects * 4), Max: 16, Level: shared.LevelWarning}}
		}
		bucketRows = append(bucketRows, shared.Row{
			ID: b.Name,
			Cells: map[string]shared.Cell{
				"name":       {Text: b.Name, Copy: true},
				"visibility": {Text: b.Visibility},
				"usage":      usage,
			},
			Actions: []shared.RowAction{{
				Action: "delete_bucket", Label: "Delete", Input: input, Danger: true,
				Confirm: fmt.Sprintf("Delete bucket %s? This cannot be undone.", b.Name),
			}},
		})
	}
	keyRows := make([]shared.Row, 0, len(keys))
	for _, k := range keys {
		input, _ := json.Marshal(map[string]string{"access_key": k.AccessKey})
		keyRows = append(keyRows, shared.Row{
			ID: k.AccessKey,
			Cells: map[string]shared.Cell{
				"name":       {Text: k.Name},
				"access_key": {Text: k.AccessKey, Copy: true},
			},
			Actions: []shared.RowAction{{Action: "revoke_key", Label: "Revoke", Input: input, Danger: true,
				Confirm: "Revoke key " + k.AccessKey + "? Apps using it lose access at once."}},
		})
	}
	return shared.Page{
		SchemaVersion:  shared.SchemaVersion,
		Title:          "Object Storage",
		Route:          "/storage/objects",
		RefreshSeconds: refresh,
		Banner:         &shared.Notice{Level: shared.LevelWarning, Text: "MinIO is not installed.", Code: "go install github.com/minio/minio@latest"},
		Sections: []shared.Section{
			{ID: "endpoint", Kind: shared.SectionInfo, Title: "Endpoint", Info: &shared.InfoPanel{
				Items: []shared.InfoItem{
					{Label: "S3 API", Value: "http://127.0.0.1:9000", Copy: true},
					{Label: "Web console", Value: "http://127.0.0.1:9001", Copy: true},
					{Label: "Region", Value: "us-east-1", Hint: "the S3 convention"},
					{Label: "Domain", Value: ""},
				},
				Form: &shared.Form{Action: "expose", Submit: "Expose", Fields: []shared.Field{
					{Name: "domain", Label: "Domain", Type: shared.FieldText, Placeholder: "s3.example.com", Required: true},
				}},
			}},
			{ID: "buckets", Kind: shared.SectionTable, Title: "Buckets", Table: &shared.Table{
				Columns: []shared.Column{{ID: "name", Label: "Name"}, {ID: "visibility", Label: "Visibility"}, {ID: "usage", Label: "Size / objects"}},
				Rows:    bucketRows,
				Empty:   "No buckets yet.",
			}},
			{ID: "new-bucket", Kind: shared.SectionForm, Title: "New bucket", Form: &shared.Form{
				Action: "create_bucket", Submit: "Create bucket", Fields: []shared.Field{
					{Name: "name", Label: "Name", Type: shared.FieldText, Required: true, Help: "3–63 lowercase letters, digits, dots and hyphens"},
					{Name: "visibility", Label: "Visibility", Type: shared.FieldSelect, Default: "private", Options: []shared.Option{
						{Value: "private", Label: "Private"},
						{Value: "public", Label: "Public", Warning: "Anyone can download every object of a public bucket. Never use it for sensitive data."},
					}},
				},
			}},
			{ID: "keys", Kind: shared.SectionTable, Title: "Access keys", Table: &shared.Table{
				Columns: []shared.Column{{ID: "name", Label: "Name"}, {ID: "access_key", Label: "Access key"}},
				Rows:    keyRows,
				Empty:   "No access keys yet.",
			}},
			{ID: "create-key", Kind: shared.SectionForm, Title: "Create key", Form: &shared.Form{
				Action: "create_key", Submit: "Create key", Fields: []shared.Field{
					{Name: "name", Label: "Name", Type: shared.FieldText, Required: true},
					{Name: "policy", Label: "Policy JSON", Type: shared.FieldTextarea, Help: "Empty inherits the parent's permissions.",
						Templates: []shared.Template{{Label: "Read-only", Value: `{"Version":"2012-10-17","Statement":[]}`}}},
					{Name: "expiry", Label: "Expiry", Type: shared.FieldDateTime},
					{Name: "notify", Label: "Tell me before it expires", Type: shared.FieldCheckbox, Default: "true"},
				},
			}},
			{ID: "tip", Kind: shared.SectionNotice, Notice: &shared.Notice{Level: shared.LevelInfo, Text: "Keys are shown once."}},
			{ID: "quota", Kind: shared.SectionForm, Title: "Quota", Form: &shared.Form{
				Action: "set_quota", Submit: "Set quota", Fields: []shared.Field{
					{Name: "name", Label: "Bucket", Type: shared.FieldText},
					{Name: "days", Label: "Days", Type: shared.FieldNumber, Placeholder: "30"},
					{Name: "mode", Label: "Mode", Type: shared.FieldSelect, Default: "soft", Options: []shared.Option{
						{Value: "soft", Label: "Soft"},
						{Value: "hard", Label: "Hard", Confirm: "Hard mode cannot be undone. Go on?"},
					}},
				},
			}},
			{ID: "growth", Kind: shared.SectionCharts, Title: "Growth", Charts: standInCharts()},
		},
	}
}

// chartStart is the first point of the stand-in's charts.
var chartStart = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// standInCharts are a growing series with a limit and a forecast, and an
// empty chart.
func standInCharts() []shared.Chart {
	var pts []shared.ChartPoint
	for i := range 25 {
		pts = append(pts, shared.ChartPoint{T: chartStart.Add(time.Duration(i) * time.Hour), V: float64(i * i << 20)})
	}
	return []shared.Chart{
		{ID: "disk", Title: "Disk /data", Unit: shared.UnitBytes, Series: []shared.ChartSeries{{Label: "used", Points: pts}},
			Limit: &shared.ChartLimit{Value: 1 << 30, Label: "size 1.0 GiB"}, Level: shared.LevelWarning,
			Forecast: "at the last 24 hours' rate, the disk is full in about 9 hours"},
		{ID: "idle", Title: "Bucket idle", Unit: shared.UnitBytes, Empty: "No samples yet."},
	}
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// State answers the stand-in's buckets and keys as its own JSON document.
func (s *standIn) State(ctx context.Context, req shared.StateRequest) (shared.StateResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(map[string]any{"buckets": s.buckets, "keys": s.keys, "query": req.Query})
	return shared.StateResponse{Document: b}, err
}

func (s *standIn) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last[req.Action] = req.Input
	switch req.Action {
	case "create_bucket":
		var in struct{ Name, Visibility string }
		if err := json.Unmarshal(req.Input, &in); err != nil {
			return shared.ActionResult{}, shared.Errorf(shared.CodeInvalidArgument, "malformed input: %w", err)
		}
		if !bucketName.MatchString(in.Name) {
			return shared.ActionResult{}, shared.FieldError("name", "bucket name must be 3–63 characters of lowercase letters, digits, dots and hyphens")
		}
		for _, b := range s.buckets {
			if b.Name == in.Name {
				return shared.ActionResult{}, &shared.Error{Code: shared.CodeConflict, Field: "name", Message: "a bucket named " + in.Name + " exists already"}
			}
		}
		if in.Visibility != "private" && in.Visibility != "public" {
			return shared.ActionResult{}, shared.FieldError("visibility", "visibility must be private or public")
		}
		s.buckets = append(s.buckets, standInBucket{Name: in.Name, Visibility: in.Visibility})
		return shared.ActionResult{OK: true, Message: "Bucket " + in.Name + " created.", Refresh: true}, nil
	case "delete_bucket":
		var in struct{ Name string }
		_ = json.Unmarshal(req.Input, &in)
		for i, b := range s.buckets {
			if b.Name == in.Name {
				if b.Objects > 0 {
					return shared.ActionResult{}, shared.Errorf(shared.CodeConflict, "bucket %s is not empty: empty it first", in.Name)
				}
				s.buckets = append(s.buckets[:i], s.buckets[i+1:]...)
				return shared.ActionResult{OK: true, Message: "Bucket " + in.Name + " deleted.", Refresh: true}, nil
			}
		}
		return shared.ActionResult{}, shared.Errorf(shared.CodeNotFound, "no bucket named %s", in.Name)
	case "create_key":
		var in struct{ Name, Policy, Expiry string }
		if err := json.Unmarshal(req.Input, &in); err != nil {
			return shared.ActionResult{}, shared.Errorf(shared.CodeInvalidArgument, "malformed input: %w", err)
		}
		if in.Name == "" {
			return shared.ActionResult{}, shared.FieldError("name", "give the key a name")
		}
		if in.Policy != "" && !json.Valid([]byte(in.Policy)) {
			return shared.ActionResult{}, shared.FieldError("policy", "the policy is not valid JSON")
		}
		if in.Expiry != "" {
			if _, err := time.Parse(time.RFC3339, in.Expiry); err != nil {
				return shared.ActionResult{}, shared.FieldError("expiry", "expiry must be RFC 3339")
			}
		}
		buf := make([]byte, 16)
		_, _ = rand.Read(buf)
		secret := "SECRET" + hex.EncodeToString(buf)
		access := fmt.Sprintf("quazzar-%010d", len(s.keys)+1)
		s.keys = append(s.keys, standInKey{Name: in.Name, AccessKey: access})
		return shared.ActionResult{
			OK: true, Message: "Key " + in.Name + " created.", Refresh: true,
			AccessKey: access, SecretKey: secret,
			Modal: &shared.Modal{
				Title:   "Access key created",
				Text:    "Give these credentials to one app.",
				Warning: "Copy it now — there is no way to retrieve it later.",
				Values: []shared.InfoItem{
					{Label: "Access key", Value: access, Copy: true},
					{Label: "Secret key", Value: secret, Copy: true},
				},
				Blocks: []shared.CodeBlock{{Label: "AWS CLI", Text: "aws configure set aws_access_key_id " + access + "\naws configure set aws_secret_access_key '" + secret + "'"}},
			},
		}, nil
	case "revoke_key":
		var in struct {
			AccessKey string `json:"access_key"`
		}
		_ = json.Unmarshal(req.Input, &in)
		for i, k := range s.keys {
			if k.AccessKey == in.AccessKey {
				s.keys = append(s.keys[:i], s.keys[i+1:]...)
				return shared.ActionResult{OK: true, Message: "Key revoked.", Refresh: true}, nil
			}
		}
		return shared.ActionResult{}, shared.Errorf(shared.CodeNotFound, "no key %s", in.AccessKey)
	case "expose":
		return shared.ActionResult{}, shared.Errorf(shared.CodeNotEnabled, "Reverse Proxy is not enabled on this node")
	case "set_quota":
		return shared.ActionResult{OK: true, Message: "Quota set."}, nil
	case "soft_fail":
		return shared.ActionResult{OK: false, Code: shared.CodeConflict, Message: "refused without an error"}, nil
	case "echo":
		return shared.ActionResult{OK: true, Message: string(req.Input)}, nil
	}
	return shared.ActionResult{}, shared.Errorf(shared.CodeNotFound, "unknown action %q", req.Action)
}
