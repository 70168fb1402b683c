package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/internal/atomicfile"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/shared"
)

// Manager creates, lists and revokes access keys. It keeps no secret: the
// secret is in the create reply only. It remembers, in a file of the state
// dir, each of its keys' creation time and embedded policy (MinIO's list
// reports neither, and reading a policy costs an encrypted call; the add-on
// never changes one), so that a restarted add-on lists 200 keys at once.
//
// The list itself is cached: reading it from MinIO is an encrypted admin
// call (tens of milliseconds of argon2id on both sides). The first List
// reads it; Run re-reads it on an interval, so that keys made or revoked
// elsewhere show within one interval; the add-on's own creates and
// revokes change the cache at once, and a refresh that read MinIO before
// one of them never undoes it, so a key revoked here is never listed again.
type Manager struct {
	admin    *minioadmin.Client
	metaPath string

	createMu  sync.Mutex // serialises name checks with creation
	refreshMu sync.Mutex // one read of the list from MinIO at a time

	mu        sync.Mutex
	created   map[string]time.Time // access key -> creation time (keys made here)
	firstSeen map[string]time.Time // access key -> first listed (keys made elsewhere)
	policies  map[string]string    // access key -> embedded policy
	cache     keyCache

	// changed holds a pending report of a change made elsewhere (Changed).
	changed chan struct{}
}

// New returns a manager; stateDir holds keys.json.
func New(admin *minioadmin.Client, stateDir string) (*Manager, error) {
	m := &Manager{
		admin:     admin,
		metaPath:  filepath.Join(stateDir, "keys.json"),
		created:   map[string]time.Time{},
		firstSeen: map[string]time.Time{},
		policies:  map[string]string{},
		cache:     newKeyCache(),
		changed:   make(chan struct{}, 1),
	}
	b, err := os.ReadFile(m.metaPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var meta map[string]keyMeta
		if err := json.Unmarshal(b, &meta); err != nil {
			// The first format kept creation times only.
			var times map[string]time.Time
			if json.Unmarshal(b, &times) != nil {
				return nil, shared.Errorf(shared.CodeInternal, "%s is damaged (%v): move it away to start a new one", m.metaPath, err)
			}
			meta = map[string]keyMeta{}
			for ak, t := range times {
				meta[ak] = keyMeta{Created: t}
			}
		}
		for ak, km := range meta {
			if !km.FirstSeen.IsZero() {
				m.firstSeen[ak] = km.FirstSeen
			} else {
				m.created[ak] = km.Created
			}
			m.policies[ak] = km.Policy
		}
	}
	return m, nil
}

// keyMeta is what keys.json keeps of one key: nothing secret. A key made
// here has Created; a key made elsewhere has FirstSeen.
type keyMeta struct {
	Created   time.Time `json:"created,omitzero"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	Policy    string    `json:"policy,omitempty"`
}

// CheckCreate checks a create request without asking MinIO and returns
// the policy the key gets: the given one, DefaultPolicy when none is
// given, or "" (inherit the root user's permissions) for an administrator
// key. A policy granting more than S3 needs Admin.
func CheckCreate(req shared.CreateKeyRequest, now time.Time) (string, error) {
	if err := ValidateName(req.Name); err != nil {
		return "", err
	}
	if err := ValidateDescription(req.Description); err != nil {
		return "", err
	}
	policy, err := CheckPolicy(req.Policy, req.Admin)
	if err != nil {
		return "", err
	}
	if err := ValidateExpiry(req.Expiry, now); err != nil {
		return "", err
	}
	return policy, nil
}

// CheckPolicy checks a key's policy as given at creation or in an edit
// and returns the policy the key gets: the given one (compacted),
// DefaultPolicy when none is given, or "" for an administrator key.
func CheckPolicy(given string, admin bool) (string, error) {
	policy, err := ValidatePolicy(given)
	if err != nil {
		return "", err
	}
	switch {
	case admin && policy != "":
		return "", shared.FieldError("policy", "an administrator key has the root user's full permissions, so it takes no policy: leave the policy empty, or untick administrator key")
	case admin:
		return "", nil
	case policy == "":
		return DefaultPolicy, nil
	case GrantsAdmin(policy):
		return "", shared.FieldError("policy", "this policy allows actions beyond S3 (admin:…, kms:… or *), which let a key administer the server: keep to s3: actions, or create an administrator key")
	}
	return policy, nil
}

// Create makes a service account named req.Name and returns its secret,
// once. Bad input is refused before MinIO is asked, and nothing is made.
func (m *Manager) Create(ctx context.Context, req shared.CreateKeyRequest) (shared.CreateKeyResponse, error) {
	policy, err := CheckCreate(req, time.Now())
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}

	m.createMu.Lock()
	defer m.createMu.Unlock()
	if err := m.checkNameFree(ctx, req.Name); err != nil {
		return shared.CreateKeyResponse{}, err
	}
	return m.create(ctx, req.Name, req.Description, policy, req.Expiry)
}

// CreateLike makes a new key with the name, description and policy of
// old (a rotation: the name is old's, so it is not checked), expiring at
// expiry (zero: never).
func (m *Manager) CreateLike(ctx context.Context, old shared.Key, expiry time.Time) (shared.CreateKeyResponse, error) {
	if err := ValidateExpiry(expiry, time.Now()); err != nil {
		return shared.CreateKeyResponse{}, err
	}
	policy := old.Policy
	switch {
	case old.PolicyKind == shared.PolicyInherited:
		policy = ""
	case policy == "":
		return shared.CreateKeyResponse{}, shared.Errorf(shared.CodeUnavailable,
			"the policy of key %s could not be read from MinIO yet, so a key like it cannot be made: try again in a moment", old.AccessKey)
	}
	name := old.Name
	if ValidateName(name) != nil {
		name = "" // made elsewhere without a name MinIO's rules allow here
	}
	m.createMu.Lock()
	defer m.createMu.Unlock()
	return m.create(ctx, name, old.Description, policy, expiry)
}

// create makes the service account; the caller checked everything.
func (m *Manager) create(ctx context.Context, name, description, policy string, expiry time.Time) (shared.CreateKeyResponse, error) {
	secret, err := NewSecret()
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	var creds minioadmin.Credentials
	for attempt := 0; ; attempt++ {
		ak, err := NewAccessKey()
		if err != nil {
			return shared.CreateKeyResponse{}, err
		}
		creds, err = m.admin.AddServiceAccount(ctx, minioadmin.AddServiceAccountRequest{
			AccessKey: ak, SecretKey: secret, Name: name, Description: description,
			Policy: []byte(policy), Expiration: expiry,
		})
		if err == nil {
			break
		}
		if errors.Is(err, shared.ErrConflict) && attempt < 5 {
			continue // access key collision: draw another
		}
		if e := shared.AsError(err); e.Code == shared.CodeInvalidArgument && e.Field == "" && policy != "" {
			return shared.CreateKeyResponse{}, &shared.Error{Code: e.Code, Field: "policy", Message: "policy refused by MinIO: " + e.Message}
		}
		return shared.CreateKeyResponse{}, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	kind, admin := classify(policy, policy == "")
	key := shared.Key{
		Name: name, AccessKey: creds.AccessKey, Description: description,
		PolicyKind: kind, Policy: policy, Admin: admin, Expiry: creds.Expiration, Status: shared.KeyOn,
		CreatedAt: now, Managed: true,
	}
	m.mu.Lock()
	m.created[creds.AccessKey] = now
	m.policies[creds.AccessKey] = policy
	m.cache.put(key)
	err = m.saveLocked()
	m.mu.Unlock()
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	return shared.CreateKeyResponse{Key: key, SecretKey: creds.SecretKey}, nil
}

// checkNameFree refuses a name already used by one of the add-on's keys.
// A name taken in the cache is checked against MinIO again, so that a key
// revoked elsewhere frees its name at once.
func (m *Manager) checkNameFree(ctx context.Context, name string) error {
	if err := m.fill(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	taken := m.cache.managedName(name)
	m.mu.Unlock()
	if taken {
		if err := m.Refresh(ctx); err != nil {
			return err
		}
		m.mu.Lock()
		taken = m.cache.managedName(name)
		m.mu.Unlock()
	}
	if taken {
		e := shared.Errorf(shared.CodeConflict, "a key named %s already exists: pick another name, or revoke that key first", name)
		e.Field = "name"
		return e
	}
	return nil
}

// List returns every service account of the root user, the add-on's and
// others', without secrets, from the cache; the first call reads MinIO.
// AsOf is when the list was last read from MinIO; the add-on's own
// creates and revokes since then are in it.
func (m *Manager) List(ctx context.Context) (shared.ListKeysResponse, error) {
	if err := m.fill(ctx); err != nil {
		return shared.ListKeysResponse{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := m.cache.sorted()
	linkCreators(keys)
	return shared.ListKeysResponse{Keys: keys, AsOf: m.cache.asOf}, nil
}

// fill reads the list from MinIO unless it is cached already.
func (m *Manager) fill(ctx context.Context) error {
	m.mu.Lock()
	filled := !m.cache.asOf.IsZero()
	m.mu.Unlock()
	if filled {
		return nil
	}
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	m.mu.Lock()
	filled = !m.cache.asOf.IsZero() // filled by another caller meanwhile
	m.mu.Unlock()
	if filled {
		return nil
	}
	return m.refreshLocked(ctx)
}

// Refresh reads the list from MinIO now.
func (m *Manager) Refresh(ctx context.Context) error {
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	return m.refreshLocked(ctx)
}

// Run refreshes the list at once, then every interval() until ctx ends,
// so that keys made or revoked elsewhere (console, mc) show within one
// interval, and soon after a change reported by Changed. While reported
// (nil: never) says such changes are reported, the list is read every
// reportedEvery intervals instead (see refreshWait). A failed refresh
// keeps the previous list (its AsOf says how old it is) and is tried
// again next interval.
func (m *Manager) Run(ctx context.Context, interval func() time.Duration, reported func() bool, log hclog.Logger) {
	for {
		began := time.Now()
		err := m.Refresh(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("access key list refresh failed; listing the last one read", "error", err)
		}
		took := time.Since(began)
		t := time.NewTimer(refreshWait(interval(), took, err == nil && reported != nil && reported()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-m.changed:
			t.Stop()
			// A burst of changes (a script making keys) is read once:
			// wait changeSettle, and keep to refreshShare.
			settle := time.NewTimer(max(changeSettle, refreshShare*took-time.Since(began)))
			select {
			case <-ctx.Done():
				settle.Stop()
				return
			case <-settle.C:
			}
			select {
			case <-m.changed: // reported during the wait: read below
			default:
			}
		}
	}
}

// Changed reports that the list may have changed elsewhere (MinIO's audit
// log showed a change of service accounts that the add-on did not make):
// Run reads it again within about changeSettle, once for a burst of
// reports.
func (m *Manager) Changed() {
	select {
	case m.changed <- struct{}{}:
	default: // one is pending already
	}
}

// changeSettle is how long Run waits after a reported change before it
// reads the list, so that the changes of a burst are read at once.
const changeSettle = time.Second

// reportedEvery is how many usage intervals apart the list is read when
// changes made elsewhere are reported (Changed): a read costs MinIO and the
// add-on an argon2id derivation each, and the reports make the periodic
// reads a safety net, for a report MinIO dropped (its audit queue drops
// entries when full rather than slow a request).
const reportedEvery = 10

// refreshWait is the wait before the next refresh: the interval
// (reportedEvery intervals after a successful read while changes made
// elsewhere are reported), but at least refreshShare times what the last
// refresh took, so that refreshing takes at most a tenth of the time. A
// refresh is an encrypted admin call (an argon2id derivation of 64 MiB on
// each side): at the default 30 s interval it takes a few hundred
// milliseconds and the interval holds; a short interval (1 s in tests) on
// a busy machine would otherwise keep a core busy.
func refreshWait(interval, took time.Duration, reported bool) time.Duration {
	if reported {
		interval *= reportedEvery
	}
	return max(interval, refreshShare*took)
}

// refreshShare bounds the time spent refreshing, see refreshWait.
const refreshShare = 9

// refreshLocked reads the list; the caller holds refreshMu.
func (m *Manager) refreshLocked(ctx context.Context) error {
	m.mu.Lock()
	since := m.cache.seq
	m.mu.Unlock()
	asOf := time.Now()
	accounts, err := m.admin.ListServiceAccounts(ctx, "")
	if err != nil {
		return err
	}
	// Embedded policies not cached yet (keys made elsewhere, or before a
	// restart) are read once each.
	var missing []string
	m.mu.Lock()
	for _, a := range accounts {
		if m.policies[a.AccessKey] == "" && !a.ImpliedPolicy {
			missing = append(missing, a.AccessKey)
		}
	}
	m.mu.Unlock()
	m.fetchPolicies(ctx, missing)
	return m.install(since, asOf, accounts)
}

// install replaces the cached list with accounts, read from MinIO at asOf
// when the cache's change count was since; the add-on's own changes made
// after since are applied on top.
func (m *Manager) install(since uint64, asOf time.Time, accounts []minioadmin.ServiceAccount) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make(map[string]shared.Key, len(accounts))
	seen := false
	for _, a := range accounts {
		k := shared.Key{
			Name: a.Name, AccessKey: a.AccessKey, Description: a.Description,
			Expiry: a.Expiration, Status: shared.KeyStatus(a.Status),
			CreatedAt: m.created[a.AccessKey], Managed: IsManaged(a.AccessKey),
		}
		if !a.ImpliedPolicy {
			k.Policy = m.policies[a.AccessKey]
		}
		k.PolicyKind, k.Admin = classify(k.Policy, a.ImpliedPolicy)
		if !k.Managed {
			if _, ok := m.firstSeen[a.AccessKey]; !ok {
				m.firstSeen[a.AccessKey] = asOf.UTC()
				seen = true
			}
			k.FirstSeen = m.firstSeen[a.AccessKey]
		}
		keys[a.AccessKey] = k
	}
	m.cache.replace(since, asOf, keys)
	if seen {
		if err := m.saveLocked(); err != nil {
			return fmt.Errorf("the key list was read, but when keys made elsewhere were first seen could not be saved: %w", err)
		}
	}
	return nil
}

func (m *Manager) fetchPolicies(ctx context.Context, accessKeys []string) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, ak := range accessKeys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			info, err := m.admin.InfoServiceAccount(ctx, ak)
			if err != nil || info.ImpliedPolicy {
				return
			}
			m.mu.Lock()
			m.policies[ak] = info.Policy
			m.mu.Unlock()
		}()
	}
	wg.Wait()
}

// Revoke deletes a key, made here or elsewhere; it stops working at once.
// An unknown key is not_found.
func (m *Manager) Revoke(ctx context.Context, accessKey string) error {
	if accessKey == "" {
		return shared.FieldError("access_key", "access key is required")
	}
	if len(accessKey) > 128 {
		return shared.FieldError("access_key", "access key is too long (%d characters): copy it from the key list", len(accessKey))
	}
	err := m.admin.DeleteServiceAccount(ctx, accessKey)
	if err != nil && !errors.Is(err, shared.ErrNotFound) {
		return err
	}
	// Gone from MinIO, by this call or before it: gone from the list.
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cache.remove(accessKey)
	if err != nil {
		return &shared.Error{Code: shared.CodeNotFound, Field: "access_key", Message: "there is no key " + accessKey + ": it may have been revoked already"}
	}
	delete(m.created, accessKey)
	delete(m.firstSeen, accessKey)
	delete(m.policies, accessKey)
	return m.saveLocked()
}

// Change is an edit of a key: a nil field is left as it is.
type Change struct {
	// Policy is the policy the key gets (checked by CheckPolicy: "" is
	// an administrator key).
	Policy      *string
	Description *string
	// Expiry: the zero time removes the expiry.
	Expiry *time.Time
	// Enabled turns the key on or off.
	Enabled *bool
}

// Update changes a key in MinIO and in the cached list, and returns it as
// it is now. MinIO removes an embedded policy from an update without one,
// so a change that leaves the policy alone resends the current one, read
// from MinIO in the same call (never from the cache, which may be a
// refresh old). An unknown key is not_found.
func (m *Manager) Update(ctx context.Context, accessKey string, c Change) (shared.Key, error) {
	old, err := m.Get(ctx, accessKey)
	if err != nil {
		return shared.Key{}, err
	}
	req := minioadmin.UpdateServiceAccountRequest{KeepPolicy: c.Policy == nil}
	if c.Policy != nil {
		req.Policy = []byte(*c.Policy)
	}
	if c.Description != nil {
		req.Description = *c.Description
	}
	if c.Expiry != nil {
		req.Expiration, req.NoExpiry = *c.Expiry, c.Expiry.IsZero()
	}
	if c.Enabled != nil {
		req.Status = minioadmin.StatusOff
		if *c.Enabled {
			req.Status = minioadmin.StatusOn
		}
	}
	if err := m.admin.UpdateServiceAccount(ctx, accessKey, req); err != nil {
		if shared.CodeOf(err) == shared.CodeNotFound {
			m.mu.Lock()
			m.cache.remove(accessKey)
			m.mu.Unlock()
			return shared.Key{}, &shared.Error{Code: shared.CodeNotFound, Field: "access_key", Message: "there is no key " + accessKey + ": it may have been revoked already"}
		}
		if e := shared.AsError(err); c.Policy != nil && e.Code == shared.CodeInvalidArgument && e.Field == "" {
			return shared.Key{}, &shared.Error{Code: e.Code, Field: "policy", Message: "policy refused by MinIO: " + e.Message}
		}
		return shared.Key{}, err
	}
	k := old
	if c.Policy != nil {
		k.Policy = *c.Policy
		k.PolicyKind, k.Admin = classify(k.Policy, k.Policy == "")
	}
	if c.Description != nil {
		k.Description = *c.Description
	}
	if c.Expiry != nil {
		k.Expiry = c.Expiry.UTC()
	}
	if req.Status != "" {
		k.Status = shared.KeyStatus(req.Status)
	}
	k.MayHaveCreated = nil
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Policy != nil {
		m.policies[accessKey] = k.Policy
	}
	m.cache.put(k)
	return k, m.saveLocked()
}

// Get returns one key from the list, reading the list from MinIO again
// when it is not in the cached one (made elsewhere since the last
// refresh). An unknown key is not_found, naming the field access_key.
func (m *Manager) Get(ctx context.Context, accessKey string) (shared.Key, error) {
	if accessKey == "" {
		return shared.Key{}, shared.FieldError("access_key", "access key is required")
	}
	if len(accessKey) > 128 {
		return shared.Key{}, shared.FieldError("access_key", "access key is too long (%d characters): copy it from the key list", len(accessKey))
	}
	for attempt := 0; ; attempt++ {
		list, err := m.List(ctx)
		if err != nil {
			return shared.Key{}, err
		}
		for _, k := range list.Keys {
			if k.AccessKey == accessKey {
				return k, nil
			}
		}
		if attempt > 0 {
			return shared.Key{}, &shared.Error{Code: shared.CodeNotFound, Field: "access_key", Message: "there is no key " + accessKey + ": it may have been revoked already"}
		}
		if err := m.Refresh(ctx); err != nil {
			return shared.Key{}, err
		}
	}
}

func (m *Manager) saveLocked() error {
	meta := make(map[string]keyMeta, len(m.created)+len(m.firstSeen))
	for ak, t := range m.created {
		meta[ak] = keyMeta{Created: t, Policy: m.policies[ak]}
	}
	for ak, t := range m.firstSeen {
		meta[ak] = keyMeta{FirstSeen: t, Policy: m.policies[ak]}
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(m.metaPath, b, 0o600)
}
