// Package buckets manages the node's buckets through the S3 API: name
// checks, creation, visibility (bucket policies) and deletion.
package buckets

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/quazzar/object-storage/plugin/minioerr"
	"github.com/quazzar/object-storage/shared"
)

// Info is a bucket as the S3 API and its policy describe it.
type Info struct {
	Name       string
	CreatedAt  time.Time
	Visibility shared.Visibility
}

// Manager creates, lists, changes and deletes buckets with root
// credentials. It caches each bucket's visibility; Refresh re-reads the
// policies in the background. Once Refresh has run, the cache is also the
// bucket list (S3 ListBuckets of 1,000 buckets takes MinIO tens of
// milliseconds): List answers from it, the Manager's own creates and
// deletes change it at once, and buckets made or removed outside the
// add-on show at the next Refresh, which the add-on runs every usage
// interval.
type Manager struct {
	s3 *minio.Client

	mu      sync.Mutex
	vis     map[string]shared.Visibility
	created map[string]time.Time // creation time of the buckets in vis
	listed  bool                 // a Refresh has filled vis with every bucket
	// changes counts the add-on's own changes per bucket, so that a
	// refresh that read a policy before a change does not undo it in the
	// cache.
	changes map[string]uint64
}

// New returns a Manager over an S3 client with root credentials.
func New(s3 *minio.Client) *Manager {
	return &Manager{s3: s3, vis: map[string]shared.Visibility{}, created: map[string]time.Time{}, changes: map[string]uint64{}}
}

// ParseVisibility checks a visibility input: only private and public can be
// chosen.
func ParseVisibility(v shared.Visibility) (shared.Visibility, error) {
	switch v {
	case shared.Private, shared.Public:
		return v, nil
	case "":
		return "", shared.FieldError("visibility", "visibility is required: choose private or public")
	}
	return "", shared.FieldError("visibility", "visibility %q is not known: choose private or public", v)
}

// CheckInput checks a bucket name and a chosen visibility, before any call.
func CheckInput(name string, vis shared.Visibility) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	_, err := ParseVisibility(vis)
	return err
}

// Create makes a bucket with the given visibility, with object lock on
// when objectLock is set (S3 turns it on only at creation, with
// versioning). An existing bucket is a conflict. If attaching the public
// policy fails, the new bucket is removed again so that nothing is left
// half-made.
func (m *Manager) Create(ctx context.Context, name string, vis shared.Visibility, objectLock bool) (Info, error) {
	if err := CheckInput(name, vis); err != nil {
		return Info{}, err
	}
	if err := m.s3.MakeBucket(ctx, name, minio.MakeBucketOptions{ObjectLocking: objectLock}); err != nil {
		return Info{}, S3Error(err, name)
	}
	if vis == shared.Public {
		if err := m.s3.SetBucketPolicy(ctx, name, PublicPolicy(name)); err != nil {
			_ = m.s3.RemoveBucket(context.WithoutCancel(ctx), name)
			return Info{}, S3Error(err, name)
		}
	}
	now := time.Now().UTC()
	m.mu.Lock()
	m.created[name] = now
	m.mu.Unlock()
	m.setVis(name, vis)
	return Info{Name: name, CreatedAt: now, Visibility: vis}, nil
}

// Visibility reads a bucket's policy and classifies it.
func (m *Manager) Visibility(ctx context.Context, name string) (shared.Visibility, error) {
	p, err := m.s3.GetBucketPolicy(ctx, name)
	if err != nil {
		return "", S3Error(err, name)
	}
	v := Classify(name, p)
	m.setVis(name, v)
	return v, nil
}

// SetVisibility makes a bucket private or public. A custom policy (set
// outside the add-on) is kept unless overwrite is true.
func (m *Manager) SetVisibility(ctx context.Context, name string, vis shared.Visibility, overwrite bool) (Info, error) {
	if err := CheckInput(name, vis); err != nil {
		return Info{}, err
	}
	cur, err := m.Visibility(ctx, name)
	if err != nil {
		return Info{}, err
	}
	if cur == shared.Custom && !overwrite {
		return Info{}, shared.Errorf(shared.CodeConflict,
			"bucket %s has a custom policy set outside Cloud OS: confirm that it should be replaced to make it %s", name, vis)
	}
	if cur != vis {
		policy := ""
		if vis == shared.Public {
			policy = PublicPolicy(name)
		}
		if err := m.s3.SetBucketPolicy(ctx, name, policy); err != nil {
			return Info{}, S3Error(err, name)
		}
	}
	m.setVis(name, vis)
	return Info{Name: name, Visibility: vis}, nil
}

// Delete removes an empty bucket. A non-empty one is refused with the
// product page's advice, unless force is set: then every object version
// and delete marker is removed first, and the number of objects removed is
// returned.
func (m *Manager) Delete(ctx context.Context, name string, force bool) (int, error) {
	if err := ValidateName(name); err != nil {
		return 0, err
	}
	removed := 0
	if force {
		n, err := m.empty(ctx, name)
		removed = n
		if err != nil {
			return removed, err
		}
	}
	if err := m.s3.RemoveBucket(ctx, name); err != nil {
		return removed, S3Error(err, name)
	}
	m.mu.Lock()
	delete(m.vis, name)
	delete(m.created, name)
	m.changes[name]++
	m.mu.Unlock()
	return removed, nil
}

// empty removes every version of every object; it counts object versions,
// not delete markers.
func (m *Manager) empty(ctx context.Context, name string) (int, error) {
	if ok, err := m.s3.BucketExists(ctx, name); err != nil {
		return 0, S3Error(err, name)
	} else if !ok {
		return 0, shared.Errorf(shared.CodeNotFound, "bucket %s does not exist", name)
	}
	list := func(ctx context.Context) <-chan minio.ObjectInfo {
		return m.s3.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true, WithVersions: true})
	}
	remove := func(ctx context.Context, objects <-chan minio.ObjectInfo) <-chan minio.RemoveObjectResult {
		return m.s3.RemoveObjectsWithResult(ctx, name, objects, minio.RemoveObjectsOptions{GovernanceBypass: true})
	}
	// A removal error comes first: once the remover stops, the listing is
	// cancelled and may report that cancellation as its own error.
	removed, listErr, removeErr := removeListed(ctx, list, remove)
	if removeErr != nil {
		return removed, shared.Errorf(shared.CodeUnavailable, "emptying bucket %s failed: %w", name, removeErr)
	}
	if listErr != nil {
		return removed, S3Error(listErr, name)
	}
	return removed, nil
}

// removeListed hands every object version that list yields to remove, and
// returns how many object versions (not delete markers) remove took, the
// listing's error and the first removal error. The lister runs beside the
// remover and is always joined before its count and error are read: a
// remover may stop before it has taken everything.
func removeListed(ctx context.Context,
	list func(context.Context) <-chan minio.ObjectInfo,
	remove func(context.Context, <-chan minio.ObjectInfo) <-chan minio.RemoveObjectResult,
) (removed int, listErr, removeErr error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type listing struct {
		handed int
		err    error
	}
	objects := make(chan minio.ObjectInfo)
	listed := make(chan listing, 1)
	go func() {
		defer close(objects)
		var l listing
		defer func() { listed <- l }()
		for obj := range list(ctx) {
			if obj.Err != nil {
				l.err = obj.Err
				return
			}
			select {
			case objects <- obj:
			case <-ctx.Done():
				return
			}
			if !obj.IsDeleteMarker {
				l.handed++
			}
		}
	}()
	for res := range remove(ctx, objects) {
		if res.Err != nil && removeErr == nil {
			removeErr = res.Err
		}
	}
	cancel() // a remover that stopped early leaves the lister waiting to hand over
	l := <-listed
	return l.handed, l.err, removeErr
}

// List returns every bucket with its cached visibility: from the cache
// once a Refresh has run, else from one S3 ListBuckets call, reading the
// visibility of a bucket not cached yet once.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	m.mu.Lock()
	if m.listed {
		out := make([]Info, 0, len(m.vis))
		for name, v := range m.vis {
			out = append(out, Info{Name: name, CreatedAt: m.created[name], Visibility: v})
		}
		m.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	m.mu.Unlock()
	bs, err := m.s3.ListBuckets(ctx)
	if err != nil {
		return nil, S3Error(err, "")
	}
	out := make([]Info, 0, len(bs))
	for _, b := range bs {
		m.mu.Lock()
		v, ok := m.vis[b.Name]
		m.mu.Unlock()
		if !ok {
			if v, err = m.Visibility(ctx, b.Name); err != nil {
				v = shared.Custom
			}
		}
		out = append(out, Info{Name: b.Name, CreatedAt: b.CreationDate, Visibility: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Refresh re-reads every bucket's policy (a few at a time) so that changes
// made outside the add-on show up, and forgets buckets that are gone.
func (m *Manager) Refresh(ctx context.Context) error { return m.RefreshWith(ctx, m.Mark(), nil) }

// Mark notes the add-on's own changes so far, for RefreshWith: take it
// before reading what the refresh will use.
func (m *Manager) Mark() Mark {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Mark{changes: maps.Clone(m.changes)}
}

// Mark is the add-on's own changes at a moment (Manager.Mark).
type Mark struct{ changes map[string]uint64 }

// RefreshWith is Refresh with the policies already read in one call
// (bucket → policy JSON, "" for none; minioadmin.ExportBucketMetadata)
// after mark was taken: a bucket the add-on changed since mark keeps what
// the add-on wrote, and only a bucket missing from policies costs a call
// of its own.
func (m *Manager) RefreshWith(ctx context.Context, mark Mark, policies map[string]string) error {
	before := mark.changes
	bs, err := m.s3.ListBuckets(ctx)
	if err != nil {
		return S3Error(err, "")
	}
	fresh := make(map[string]shared.Visibility, len(bs))
	created := make(map[string]time.Time, len(bs))
	for _, b := range bs {
		created[b.Name] = b.CreationDate
	}
	var mu sync.Mutex
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, b := range bs {
		if p, ok := policies[b.Name]; ok {
			mu.Lock() // the goroutines below write fresh too
			fresh[b.Name] = Classify(b.Name, p)
			mu.Unlock()
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(name string) {
			defer wg.Done()
			defer func() { <-sem }()
			p, err := m.s3.GetBucketPolicy(ctx, name)
			v := Classify(name, p)
			if err != nil {
				v = shared.Custom
			}
			mu.Lock()
			fresh[name] = v
			mu.Unlock()
		}(b.Name)
	}
	wg.Wait()
	m.mu.Lock()
	for name, n := range m.changes {
		if before[name] != n { // changed by the add-on meanwhile: keep that
			if v, ok := m.vis[name]; ok {
				fresh[name] = v
				if t, ok := m.created[name]; ok {
					created[name] = t
				}
			} else {
				delete(fresh, name)
				delete(created, name)
			}
		}
	}
	m.vis, m.created, m.listed = fresh, created, true
	m.mu.Unlock()
	return nil
}

// Names returns the buckets known since the last listing or refresh,
// sorted.
func (m *Manager) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Collect(maps.Keys(m.vis))
	slices.Sort(out)
	return out
}

// CachedVisibility returns a bucket's visibility as last read, if it was.
func (m *Manager) CachedVisibility(name string) (shared.Visibility, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vis[name]
	return v, ok
}

func (m *Manager) setVis(name string, v shared.Visibility) {
	m.mu.Lock()
	m.vis[name] = v
	m.changes[name]++
	m.mu.Unlock()
}

// S3Error turns an S3 error response into the contract's typed error. Its
// code always comes from minioerr's table; only the wording is about
// buckets. Packages that word some codes for their own calls (bucket
// settings) hand it the others.
func S3Error(err error, bucket string) error {
	if err == nil {
		return nil
	}
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return shared.Errorf(shared.CodeUnavailable, "object server unreachable: %w", err)
	}
	code := minioerr.Code(er.Code, er.StatusCode)
	var e *shared.Error
	switch er.Code {
	case "NoSuchBucket":
		e = shared.Errorf(code, "bucket %s does not exist", bucket)
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
		e = shared.Errorf(code, "bucket %s already exists: pick another name", bucket)
		e.Field = "name"
	case "BucketNotEmpty":
		e = shared.Errorf(code,
			"bucket %s is not empty: empty it first via the console, the S3 API, or `mc rb --force`", bucket)
	case "InvalidBucketName":
		e = shared.Errorf(code, "bucket name %q is not valid: %s", bucket, er.Message)
		e.Field = "name"
	case "MalformedPolicy":
		e = shared.Errorf(code, "bucket policy refused: %s", er.Message)
	default:
		if code == shared.CodePermission {
			e = shared.Errorf(code, "object server refused the request (%s): %s", er.Code, er.Message)
		} else {
			e = shared.Errorf(code, "object server error %s: %s", er.Code, er.Message)
		}
	}
	return e
}
