package keys

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/quazzar/object-storage/plugin/atomicfile"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/shared"
)

// Manager creates, lists and revokes access keys. It keeps no secret: the
// secret is in the create reply only. It remembers, in a file of the state
// dir, each of its keys' creation time and embedded policy (MinIO's list
// reports neither, and reading a policy costs an encrypted call; the add-on
// never changes one), so that a restarted add-on lists 200 keys at once;
// which keys exist always comes from MinIO.
type Manager struct {
	admin    *minioadmin.Client
	metaPath string

	createMu sync.Mutex // serialises name checks with creation

	mu       sync.Mutex
	created  map[string]time.Time // access key -> creation time
	policies map[string]string    // access key -> embedded policy
	names    map[string]string    // name -> access key, of managed keys, as last listed
	listed   bool
}

// New returns a manager; stateDir holds keys.json.
func New(admin *minioadmin.Client, stateDir string) (*Manager, error) {
	m := &Manager{
		admin:    admin,
		metaPath: filepath.Join(stateDir, "keys.json"),
		created:  map[string]time.Time{},
		policies: map[string]string{},
		names:    map[string]string{},
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
			m.created[ak] = km.Created
			m.policies[ak] = km.Policy
		}
	}
	return m, nil
}

// keyMeta is what keys.json keeps of one key: nothing secret.
type keyMeta struct {
	Created time.Time `json:"created"`
	Policy  string    `json:"policy,omitempty"`
}

// Create makes a service account named req.Name and returns its secret,
// once. Bad input is refused before MinIO is asked, and nothing is made.
func (m *Manager) Create(ctx context.Context, req shared.CreateKeyRequest) (shared.CreateKeyResponse, error) {
	if err := ValidateName(req.Name); err != nil {
		return shared.CreateKeyResponse{}, err
	}
	if err := ValidateDescription(req.Description); err != nil {
		return shared.CreateKeyResponse{}, err
	}
	policy, err := ValidatePolicy(req.Policy)
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	if err := ValidateExpiry(req.Expiry, time.Now()); err != nil {
		return shared.CreateKeyResponse{}, err
	}

	m.createMu.Lock()
	defer m.createMu.Unlock()
	if err := m.checkNameFree(ctx, req.Name); err != nil {
		return shared.CreateKeyResponse{}, err
	}
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
			AccessKey: ak, SecretKey: secret, Name: req.Name, Description: req.Description,
			Policy: []byte(policy), Expiration: req.Expiry,
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
	m.mu.Lock()
	m.created[creds.AccessKey] = now
	m.policies[creds.AccessKey] = policy
	m.names[req.Name] = creds.AccessKey
	err = m.saveLocked()
	m.mu.Unlock()
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	kind := shared.PolicyInherited
	if policy != "" {
		kind = shared.PolicyCustom
	}
	return shared.CreateKeyResponse{
		Key: shared.Key{
			Name: req.Name, AccessKey: creds.AccessKey, Description: req.Description,
			PolicyKind: kind, Policy: policy, Expiry: creds.Expiration, Status: minioadmin.StatusOn,
			CreatedAt: now, Managed: true,
		},
		SecretKey: creds.SecretKey,
	}, nil
}

// checkNameFree refuses a name already used by one of the add-on's keys.
// A name seen in the cache is checked against MinIO again, so that a key
// revoked elsewhere frees its name.
func (m *Manager) checkNameFree(ctx context.Context, name string) error {
	m.mu.Lock()
	_, taken := m.names[name]
	listed := m.listed
	m.mu.Unlock()
	if !listed || taken {
		if _, err := m.List(ctx); err != nil {
			return err
		}
		m.mu.Lock()
		_, taken = m.names[name]
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
// others', without secrets. Which keys exist comes from MinIO on every
// call, so a revoked key is never listed.
func (m *Manager) List(ctx context.Context) ([]shared.Key, error) {
	accounts, err := m.admin.ListServiceAccounts(ctx, "")
	if err != nil {
		return nil, err
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

	m.mu.Lock()
	defer m.mu.Unlock()
	names := map[string]string{}
	out := make([]shared.Key, 0, len(accounts))
	for _, a := range accounts {
		k := shared.Key{
			Name: a.Name, AccessKey: a.AccessKey, Description: a.Description,
			PolicyKind: shared.PolicyInherited, Expiry: a.Expiration, Status: a.Status,
			CreatedAt: m.created[a.AccessKey], Managed: IsManaged(a.AccessKey),
		}
		if !a.ImpliedPolicy {
			k.PolicyKind = shared.PolicyCustom
			k.Policy = m.policies[a.AccessKey]
		}
		if k.Managed && a.Name != "" {
			names[a.Name] = a.AccessKey
		}
		out = append(out, k)
	}
	m.names = names
	m.listed = true
	sort.Slice(out, func(i, j int) bool {
		if out[i].Managed != out[j].Managed {
			return out[i].Managed
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].AccessKey < out[j].AccessKey
	})
	return out, nil
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

// Revoke deletes one of the add-on's keys; it stops working at once.
// Other service accounts are refused, so that they are not revoked here by
// mistake; an unknown key is not_found.
func (m *Manager) Revoke(ctx context.Context, accessKey string) error {
	if accessKey == "" {
		return shared.FieldError("access_key", "access key is required")
	}
	if !IsManaged(accessKey) {
		if len(accessKey) > 64 {
			accessKey = accessKey[:64] + "…"
		}
		return &shared.Error{Code: shared.CodePermission, Field: "access_key",
			Message: "key " + accessKey + " was not created by Cloud OS: manage it in the MinIO console"}
	}
	if err := m.admin.DeleteServiceAccount(ctx, accessKey); err != nil {
		if errors.Is(err, shared.ErrNotFound) {
			return &shared.Error{Code: shared.CodeNotFound, Field: "access_key", Message: "there is no key " + accessKey + ": it may have been revoked already"}
		}
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.created, accessKey)
	delete(m.policies, accessKey)
	for n, ak := range m.names {
		if ak == accessKey {
			delete(m.names, n)
		}
	}
	return m.saveLocked()
}

func (m *Manager) saveLocked() error {
	meta := make(map[string]keyMeta, len(m.created))
	for ak, t := range m.created {
		meta[ak] = keyMeta{Created: t, Policy: m.policies[ak]}
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(m.metaPath, b, 0o600)
}
