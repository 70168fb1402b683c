// Package bucketconfig reads and changes a bucket's settings beyond its
// visibility: its hard quota (MinIO's admin API), versioning, lifecycle
// rules and object lock's default retention (the S3 API), and keeps them
// cached so that listing buckets costs no call per bucket.
//
// It is apart from package buckets because it is another idea with
// another life: buckets makes and removes buckets and decides who may
// read them; bucketconfig keeps data safe and bounded inside a bucket,
// and speaks two APIs to do it. Object lock itself is turned on by
// buckets.Create (S3 allows it only at creation); its default retention
// is here.
package bucketconfig

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/randtext"
	"github.com/quazzar/object-storage/shared"
)

// Settings are one bucket's settings as MinIO has them.
type Settings struct {
	Quota        uint64
	Versioning   shared.Versioning
	ObjectLock   bool
	Retention    *shared.Retention
	Lifecycle    []shared.LifecycleRule
	LifecycleXML string
}

// Apply copies the settings into a bucket of the contract.
func (s Settings) Apply(b *shared.Bucket) {
	b.Quota, b.Versioning, b.ObjectLock, b.Retention = s.Quota, s.Versioning, s.ObjectLock, s.Retention
	b.Lifecycle, b.LifecycleXML = s.Lifecycle, s.LifecycleXML
	if b.Lifecycle == nil {
		b.Lifecycle = []shared.LifecycleRule{}
	}
	if b.Versioning == "" {
		b.Versioning = shared.VersioningOff
	}
}

// Manager reads and changes bucket settings with root credentials.
type Manager struct {
	s3    *minio.Client
	admin *minioadmin.Client

	// lifecycle serialises the add-on's own read-modify-write of
	// lifecycle configurations, so that two rules added at once are both
	// kept.
	lifecycle sync.Mutex

	mu    sync.Mutex
	cache map[string]Settings
	// changes counts the add-on's own changes per bucket, so that a
	// refresh that read settings before a change does not undo it.
	changes map[string]uint64
}

// New returns a Manager over clients with root credentials.
func New(s3 *minio.Client, admin *minioadmin.Client) *Manager {
	return &Manager{s3: s3, admin: admin, cache: map[string]Settings{}, changes: map[string]uint64{}}
}

// Cached returns a bucket's settings as last read, if they were.
func (m *Manager) Cached(bucket string) (Settings, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.cache[bucket]
	return s, ok
}

// Get returns a bucket's cached settings, reading them when they are not
// cached yet.
func (m *Manager) Get(ctx context.Context, bucket string) (Settings, error) {
	if s, ok := m.Cached(bucket); ok {
		return s, nil
	}
	return m.Read(ctx, bucket)
}

// Read reads a bucket's settings from MinIO (four calls) and caches them.
func (m *Manager) Read(ctx context.Context, bucket string) (Settings, error) {
	m.mu.Lock()
	before := m.changes[bucket]
	m.mu.Unlock()
	s, err := m.read(ctx, bucket)
	if err != nil {
		return Settings{}, err
	}
	m.mu.Lock()
	if m.changes[bucket] == before {
		m.cache[bucket] = s
	}
	m.mu.Unlock()
	return s, nil
}

// store caches settings the add-on has just written and read back.
func (m *Manager) store(bucket string, s Settings) {
	m.mu.Lock()
	m.cache[bucket] = s
	m.changes[bucket]++
	m.mu.Unlock()
}

// Forget drops a bucket's cached settings (a deleted bucket).
func (m *Manager) Forget(bucket string) {
	m.mu.Lock()
	delete(m.cache, bucket)
	m.changes[bucket]++
	m.mu.Unlock()
}

// Refresh re-reads the settings of the named buckets, a few at a time, so
// that changes made elsewhere show up, and forgets the others. A bucket
// the add-on changed meanwhile keeps what the add-on wrote; one that could
// not be read keeps what was cached.
func (m *Manager) Refresh(ctx context.Context, names []string) error {
	return m.RefreshWith(ctx, m.Mark(), names, nil)
}

// Mark notes the add-on's own changes so far, for RefreshWith: take it
// before reading the export the refresh will use.
func (m *Manager) Mark() Mark {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Mark{changes: maps.Clone(m.changes)}
}

// Mark is the add-on's own changes at a moment (Manager.Mark).
type Mark struct{ changes map[string]uint64 }

// RefreshWith is Refresh with MinIO's metadata export at hand, read after
// mark was taken: a bucket in it is read from it, and only one missing
// from it (made since) or whose files cannot be read costs calls of its
// own; a bucket the add-on changed since mark keeps what the add-on wrote.
func (m *Manager) RefreshWith(ctx context.Context, mark Mark, names []string, exported minioadmin.BucketMetadata) error {
	before := mark.changes
	fresh := make(map[string]Settings, len(names))
	var ask []string
	for _, name := range names {
		files, ok := exported[name]
		if !ok {
			ask = append(ask, name)
			continue
		}
		st, err := FromExport(files)
		if err != nil {
			ask = append(ask, name)
			continue
		}
		fresh[name] = st
	}
	read, errs := m.readMany(ctx, ask)
	maps.Copy(fresh, read)
	var firstErr error
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range names {
		err, failed := errs[name]
		if !failed || shared.CodeOf(err) == shared.CodeNotFound {
			continue // read, or deleted meanwhile
		}
		if firstErr == nil {
			firstErr = err
		}
		if s, ok := m.cache[name]; ok {
			fresh[name] = s
		}
	}
	for name, n := range m.changes {
		if before[name] != n {
			if s, ok := m.cache[name]; ok {
				fresh[name] = s
			} else {
				delete(fresh, name)
			}
		}
	}
	m.cache = fresh
	return firstErr
}

// GetAll returns the settings of the named buckets: cached ones as they
// are, the others read (a few at a time) and cached. A bucket whose
// settings could not be read has its error in errs.
func (m *Manager) GetAll(ctx context.Context, names []string) (out map[string]Settings, errs map[string]error) {
	out = make(map[string]Settings, len(names))
	var missing []string
	m.mu.Lock()
	for _, name := range names {
		if s, ok := m.cache[name]; ok {
			out[name] = s
		} else {
			missing = append(missing, name)
		}
	}
	m.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	read, errs := m.readMany(ctx, missing)
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, s := range read {
		out[name] = s
		if _, ok := m.cache[name]; !ok {
			m.cache[name] = s
		}
	}
	return out, errs
}

// readMany reads the settings of the named buckets, eight at a time.
func (m *Manager) readMany(ctx context.Context, names []string) (map[string]Settings, map[string]error) {
	out := make(map[string]Settings, len(names))
	errs := map[string]error{}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	sem := make(chan struct{}, 8)
	for _, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s, err := m.read(ctx, name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[name] = err
			} else {
				out[name] = s
			}
		}()
	}
	wg.Wait()
	return out, errs
}

// FromExport reads a bucket's settings from its files in MinIO's metadata
// export (minioadmin.ExportBucketMetadata): the same documents the
// per-setting calls return, with a setting's file absent when it is off.
func FromExport(files map[string][]byte) (Settings, error) {
	var s Settings
	var err error
	if raw, ok := files[minioadmin.FileQuota]; ok {
		if s.Quota, err = minioadmin.QuotaBytes(raw); err != nil {
			return s, err
		}
	}
	s.Versioning = shared.VersioningOff
	if raw, ok := files[minioadmin.FileVersioning]; ok {
		var v minio.BucketVersioningConfiguration
		if err := xml.Unmarshal(raw, &v); err != nil {
			return s, fmt.Errorf("MinIO's versioning is not the expected XML: %w", err)
		}
		s.Versioning = versioningOf(v)
	}
	if raw, ok := files[minioadmin.FileObjectLock]; ok {
		var l objectLockDoc
		if err := xml.Unmarshal(raw, &l); err != nil {
			return s, fmt.Errorf("MinIO's object lock is not the expected XML: %w", err)
		}
		if l.Enabled == "Enabled" {
			s.ObjectLock = true
			if r := l.Rule; r != nil {
				s.Retention = retention(r.Mode, r.Days, r.Years)
			}
		}
	}
	cfg := lifecycle.NewConfiguration()
	if raw, ok := files[minioadmin.FileLifecycle]; ok {
		if err := xml.Unmarshal(raw, cfg); err != nil {
			return s, fmt.Errorf("MinIO's lifecycle is not the expected XML: %w", err)
		}
	}
	s.Lifecycle, s.LifecycleXML = describeAll(cfg)
	return s, nil
}

// objectLockDoc is S3's object lock configuration.
type objectLockDoc struct {
	Enabled string `xml:"ObjectLockEnabled"`
	Rule    *struct {
		Mode  string `xml:"DefaultRetention>Mode"`
		Days  int    `xml:"DefaultRetention>Days"`
		Years int    `xml:"DefaultRetention>Years"`
	} `xml:"Rule"`
}

// read asks MinIO for a bucket's settings.
func (m *Manager) read(ctx context.Context, bucket string) (Settings, error) {
	var s Settings
	q, err := m.admin.BucketQuota(ctx, bucket)
	if err != nil {
		return s, adminError(err, bucket)
	}
	s.Quota = q
	if s.Versioning, err = m.versioning(ctx, bucket); err != nil {
		return s, err
	}
	if s.ObjectLock, s.Retention, err = m.objectLock(ctx, bucket); err != nil {
		return s, err
	}
	cfg, err := m.lifecycleConfig(ctx, bucket)
	if err != nil {
		return s, err
	}
	s.Lifecycle, s.LifecycleXML = describeAll(cfg)
	return s, nil
}

func (m *Manager) versioning(ctx context.Context, bucket string) (shared.Versioning, error) {
	v, err := m.s3.GetBucketVersioning(ctx, bucket)
	if err != nil {
		return "", s3Error(err, bucket)
	}
	return versioningOf(v), nil
}

func versioningOf(v minio.BucketVersioningConfiguration) shared.Versioning {
	switch v.Status {
	case minio.Enabled:
		return shared.VersioningEnabled
	case minio.Suspended:
		return shared.VersioningSuspended
	}
	return shared.VersioningOff
}

func (m *Manager) objectLock(ctx context.Context, bucket string) (bool, *shared.Retention, error) {
	enabled, mode, validity, unit, err := m.s3.GetObjectLockConfig(ctx, bucket)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "ObjectLockConfigurationNotFoundError" {
			return false, nil, nil
		}
		return false, nil, s3Error(err, bucket)
	}
	if enabled != "Enabled" {
		return false, nil, nil
	}
	if mode == nil || validity == nil || unit == nil {
		return true, nil, nil
	}
	if *unit == minio.Years {
		return true, retention(string(*mode), 0, int(*validity)), nil
	}
	return true, retention(string(*mode), int(*validity), 0), nil
}

// retention is an object lock default retention as the contract has it
// (a year counts 365 days); nil when S3's rule sets none.
func retention(mode string, days, years int) *shared.Retention {
	if mode == "" || days+years <= 0 {
		return nil
	}
	return &shared.Retention{Mode: shared.RetentionMode(strings.ToLower(mode)), Days: days + 365*years}
}

// lifecycleConfig reads a bucket's lifecycle configuration; none is an
// empty one.
func (m *Manager) lifecycleConfig(ctx context.Context, bucket string) (*lifecycle.Configuration, error) {
	cfg, err := m.s3.GetBucketLifecycle(ctx, bucket)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchLifecycleConfiguration" {
			return lifecycle.NewConfiguration(), nil
		}
		return nil, s3Error(err, bucket)
	}
	return cfg, nil
}

func describeAll(cfg *lifecycle.Configuration) ([]shared.LifecycleRule, string) {
	rules := make([]shared.LifecycleRule, 0, len(cfg.Rules))
	for _, r := range cfg.Rules {
		rules = append(rules, Describe(r))
	}
	if len(cfg.Rules) == 0 {
		return rules, ""
	}
	raw, err := xml.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return rules, ""
	}
	return rules, string(raw)
}

// ---- changes ----

// SetQuota sets a bucket's hard quota; 0 removes it.
func (m *Manager) SetQuota(ctx context.Context, bucket string, bytes uint64) (Settings, error) {
	if err := buckets.ValidateName(bucket); err != nil {
		return Settings{}, err
	}
	if err := m.admin.SetBucketQuota(ctx, bucket, bytes); err != nil {
		return Settings{}, adminError(err, bucket)
	}
	return m.reread(ctx, bucket)
}

// SetVersioning enables or suspends versioning, keeping MinIO's own
// versioning settings (excluded prefixes) as they are.
func (m *Manager) SetVersioning(ctx context.Context, bucket string, state shared.Versioning) (Settings, error) {
	if err := buckets.ValidateName(bucket); err != nil {
		return Settings{}, err
	}
	if err := ParseVersioning(state); err != nil {
		return Settings{}, err
	}
	cfg, err := m.s3.GetBucketVersioning(ctx, bucket)
	if err != nil {
		return Settings{}, s3Error(err, bucket)
	}
	cfg.Status = minio.Enabled
	if state == shared.VersioningSuspended {
		cfg.Status = minio.Suspended
		cfg.ExcludedPrefixes, cfg.ExcludeFolders = nil, false // MinIO takes them only with versioning enabled
	}
	if err := m.s3.SetBucketVersioning(ctx, bucket, cfg); err != nil {
		if minio.ToErrorResponse(err).Code == "InvalidBucketState" {
			return Settings{}, shared.Errorf(shared.CodeConflict,
				"bucket %s has object lock, which keeps versioning on: it cannot be suspended", bucket)
		}
		return Settings{}, s3Error(err, bucket)
	}
	return m.reread(ctx, bucket)
}

// NoLockMessage says why a bucket made without object lock cannot get it.
func NoLockMessage(bucket string) string {
	return "bucket " + bucket + " was created without object lock, and S3 turns object lock on only when a bucket is created: create a new bucket with object lock and copy the objects into it"
}

// SetRetention sets an object-locked bucket's default retention; an empty
// mode (and 0 days) removes it. A bucket made without object lock cannot
// get it: conflict, with NoLockMessage.
func (m *Manager) SetRetention(ctx context.Context, bucket string, mode shared.RetentionMode, days int) (Settings, error) {
	if err := buckets.ValidateName(bucket); err != nil {
		return Settings{}, err
	}
	if err := CheckRetention(mode, days, "mode", "days"); err != nil {
		return Settings{}, err
	}
	locked, _, err := m.objectLock(ctx, bucket)
	if err != nil {
		return Settings{}, err
	}
	if !locked {
		// MinIO answers "no object lock configuration" for a bucket that
		// does not exist, too.
		if ok, err := m.s3.BucketExists(ctx, bucket); err != nil {
			return Settings{}, s3Error(err, bucket)
		} else if !ok {
			return Settings{}, shared.Errorf(shared.CodeNotFound, "bucket %s does not exist", bucket)
		}
		return Settings{}, &shared.Error{Code: shared.CodeConflict, Field: "name", Message: NoLockMessage(bucket)}
	}
	if err := m.putRetention(ctx, bucket, mode, days); err != nil {
		return Settings{}, err
	}
	return m.reread(ctx, bucket)
}

// putRetention writes an object-locked bucket's default retention.
func (m *Manager) putRetention(ctx context.Context, bucket string, mode shared.RetentionMode, days int) error {
	var err error
	if mode == "" {
		err = m.s3.SetObjectLockConfig(ctx, bucket, nil, nil, nil)
	} else {
		md := minio.RetentionMode(strings.ToUpper(string(mode)))
		validity, unit := uint(days), minio.Days
		err = m.s3.SetObjectLockConfig(ctx, bucket, &md, &validity, &unit)
	}
	if err != nil {
		if minio.ToErrorResponse(err).Code == "InvalidBucketState" {
			return &shared.Error{Code: shared.CodeConflict, Field: "name", Message: NoLockMessage(bucket)}
		}
		return s3Error(err, bucket)
	}
	return nil
}

// InitRetention sets the default retention of a bucket just made with
// object lock (buckets.Create); the caller removes the bucket on error.
func (m *Manager) InitRetention(ctx context.Context, bucket string, mode shared.RetentionMode, days int) error {
	if mode == "" {
		return nil
	}
	return m.putRetention(ctx, bucket, mode, days)
}

// AddRule adds a lifecycle rule, keeping every rule the bucket has
// (whoever set them), and returns it as the page shows it. Its
// abort_multipart_days part is not a rule (MinIO drops it): see
// AbortUploadsWithin. A request with nothing else adds no rule (an empty
// rule is returned).
func (m *Manager) AddRule(ctx context.Context, req shared.AddLifecycleRuleRequest) (shared.LifecycleRule, Settings, error) {
	if err := CheckRule(req); err != nil {
		return shared.LifecycleRule{}, Settings{}, err
	}
	if RuleIsEmpty(req) {
		s, err := m.Read(ctx, req.Name)
		return shared.LifecycleRule{}, s, err
	}
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	cfg, err := m.lifecycleConfig(ctx, req.Name)
	if err != nil {
		return shared.LifecycleRule{}, Settings{}, err
	}
	if len(cfg.Rules) >= MaxRules {
		return shared.LifecycleRule{}, Settings{}, shared.Errorf(shared.CodeConflict,
			"bucket %s has %d lifecycle rules, S3's limit: delete one first", req.Name, len(cfg.Rules))
	}
	id, err := newRuleID(cfg)
	if err != nil {
		return shared.LifecycleRule{}, Settings{}, shared.Errorf(shared.CodeInternal, "lifecycle rule id: %w", err)
	}
	rule := NewRule(id, req)
	cfg.Rules = append(cfg.Rules, rule)
	if err := m.s3.SetBucketLifecycle(ctx, req.Name, cfg); err != nil {
		return shared.LifecycleRule{}, Settings{}, s3Error(err, req.Name)
	}
	s, err := m.reread(ctx, req.Name)
	return Describe(rule), s, err
}

// DefaultUploadExpiry is MinIO's stale_uploads_expiry when not set.
const DefaultUploadExpiry = 24 * time.Hour

// AbortUploadsWithin makes MinIO abort incomplete multipart uploads within
// days, and says how in a sentence. The pinned MinIO drops
// AbortIncompleteMultipartUpload from lifecycle rules; instead it aborts
// every incomplete upload older than its api stale_uploads_expiry (24 h by
// default, checked every 6 h), on every bucket. So when that expiry is
// already shorter nothing is set; when it is longer it is lowered, live,
// for the whole node. Reading and setting MinIO's configuration are
// encrypted admin calls.
func (m *Manager) AbortUploadsWithin(ctx context.Context, n int) (string, error) {
	want := time.Duration(n) * 24 * time.Hour
	_, kvs, err := m.admin.GetConfigKV(ctx, "api")
	if err != nil {
		return "", err
	}
	cur := DefaultUploadExpiry
	for _, kv := range kvs {
		if v, ok := kv.Values["stale_uploads_expiry"]; ok && v != "" {
			if d, err := time.ParseDuration(v); err == nil {
				cur = d
			}
		}
	}
	if cur <= want {
		return fmt.Sprintf("Incomplete multipart uploads: MinIO aborts them on every bucket after %s by itself (its stale-upload expiry), within the %s asked; MinIO does not keep this as a rule.", hoursText(cur), days(n)), nil
	}
	if _, err := m.admin.SetConfigKV(ctx, fmt.Sprintf("api stale_uploads_expiry=%dh", n*24)); err != nil {
		return "", err
	}
	return fmt.Sprintf("Incomplete multipart uploads: MinIO aborts them after its stale-upload expiry, for every bucket; it was %s and is now %s. MinIO does not keep this as a rule.", hoursText(cur), days(n)), nil
}

func hoursText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return days(int(d / (24 * time.Hour)))
	}
	return d.String()
}

// DeleteRule removes one lifecycle rule by id, keeping the others.
func (m *Manager) DeleteRule(ctx context.Context, bucket, id string) (Settings, error) {
	if err := buckets.ValidateName(bucket); err != nil {
		return Settings{}, err
	}
	if id == "" {
		return Settings{}, shared.FieldError("id", "id is required: the id of the rule to delete")
	}
	m.lifecycle.Lock()
	defer m.lifecycle.Unlock()
	cfg, err := m.lifecycleConfig(ctx, bucket)
	if err != nil {
		return Settings{}, err
	}
	i := slices.IndexFunc(cfg.Rules, func(r lifecycle.Rule) bool { return r.ID == id })
	if i < 0 {
		return Settings{}, &shared.Error{Code: shared.CodeNotFound, Field: "id",
			Message: "bucket " + bucket + " has no lifecycle rule " + clip(id) + ": it may have been deleted already"}
	}
	cfg.Rules = slices.Delete(cfg.Rules, i, i+1)
	if err := m.s3.SetBucketLifecycle(ctx, bucket, cfg); err != nil {
		return Settings{}, s3Error(err, bucket)
	}
	return m.reread(ctx, bucket)
}

// reread reads a bucket's settings after the add-on changed them, and
// caches them as the add-on's own change.
func (m *Manager) reread(ctx context.Context, bucket string) (Settings, error) {
	s, err := m.read(ctx, bucket)
	if err != nil {
		m.Forget(bucket) // read again on next use
		return Settings{}, err
	}
	m.store(bucket, s)
	return s, nil
}

// newRuleID draws an id not used by cfg's rules (36^8 ids: a clash is
// drawn again, a few times at most).
func newRuleID(cfg *lifecycle.Configuration) (string, error) {
	for range 8 {
		s, err := randtext.String(randtext.LowerDigits, 8)
		if err != nil {
			return "", err
		}
		id := RulePrefix + s
		if !slices.ContainsFunc(cfg.Rules, func(r lifecycle.Rule) bool { return r.ID == id }) {
			return id, nil
		}
	}
	return "", errors.New("no free rule id after 8 draws")
}

// s3Error words an S3 error about a bucket's settings; codes with nothing
// particular to say are worded by package buckets.
func s3Error(err error, bucket string) error {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		switch er.Code {
		case "MalformedXML", "InvalidArgument", "InvalidRequest":
			return shared.Errorf(shared.CodeInvalidArgument, "MinIO refused the setting of bucket %s: %s", bucket, er.Message)
		}
	}
	return buckets.S3Error(err, bucket)
}

// adminError words an admin API error about a bucket.
func adminError(err error, bucket string) error {
	if shared.CodeOf(err) == shared.CodeNotFound {
		return shared.Errorf(shared.CodeNotFound, "bucket %s does not exist", bucket)
	}
	return err
}

// clip shortens an echoed input for a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
