package minioadmin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// Status values of a service account as MinIO reports them.
const (
	StatusOn  = "on"
	StatusOff = "off"
)

// AddServiceAccountRequest creates a service account (an access key) under a
// parent user.
type AddServiceAccountRequest struct {
	// AccessKey (3–20 characters) and SecretKey (8–40) are chosen by the
	// caller; left empty, MinIO generates them.
	AccessKey string
	SecretKey string
	// Name (at most 32 characters: a letter, then letters, digits, _ or -)
	// and Description (at most 256 bytes) are optional labels.
	Name        string
	Description string
	// Policy is an IAM policy document (JSON) embedded in the account,
	// which restricts it further than its parent. Empty: the account has
	// its parent's policies.
	Policy []byte
	// Expiration is when the account stops working; zero: never.
	Expiration time.Time
	// TargetUser is the parent user; empty: the caller, i.e. the root user.
	TargetUser string
}

// Credentials are a created service account's keys. SecretKey is only ever
// returned here.
type Credentials struct {
	AccessKey  string
	SecretKey  string
	Expiration time.Time // zero: never
}

// ServiceAccount describes a service account, without its secret.
type ServiceAccount struct {
	AccessKey   string
	ParentUser  string
	Status      string // StatusOn or StatusOff
	Name        string
	Description string
	// ImpliedPolicy is true when the account has no embedded policy and
	// acts with its parent's policies.
	ImpliedPolicy bool
	Expiration    time.Time // zero: never
}

// ServiceAccountInfo is a service account with its policy.
type ServiceAccountInfo struct {
	ServiceAccount
	// Policy is the embedded policy (JSON) when ImpliedPolicy is false;
	// when true, MinIO returns the parent's combined policy here instead.
	Policy string
}

// UpdateServiceAccountRequest changes a service account. Empty fields are
// left unchanged, except Policy (see there).
type UpdateServiceAccountRequest struct {
	// Policy is the embedded policy the account has after the update.
	// MinIO removes an existing embedded policy when an update carries
	// none, so an empty Policy removes it, unless KeepPolicy is set.
	Policy []byte
	// KeepPolicy, with an empty Policy, keeps the current embedded policy:
	// the client reads it first (one more encrypted call) and resends it.
	KeepPolicy  bool
	SecretKey   string    // new secret (8–40 characters)
	Status      string    // StatusOn or StatusOff
	Name        string    // MinIO cannot clear a name, only change it
	Description string    // MinIO cannot clear a description, only change it
	Expiration  time.Time // new expiry
	// NoExpiry removes the expiry: the account never expires (MinIO's
	// "never" is the Unix epoch).
	NoExpiry bool
}

var saNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]*$`)

// Limits MinIO enforces on service accounts.
const (
	maxPolicySize = 4096 // bytes of the embedded policy, as compact JSON
	minExpiry     = 15 * time.Minute
	maxExpiry     = 365 * 24 * time.Hour
)

// checkLabels checks what MinIO checks with a generic or wrong message
// (a bad name is "names are not allowed to begin or end with space
// characters", an expiry out of range is an internal error, an oversized
// policy cites half the real limit), so that the caller gets a precise one.
func checkLabels(name, desc string, policy []byte, exp time.Time) error {
	if name != "" && (len(name) > 32 || !saNameRE.MatchString(name)) {
		return shared.FieldError("name", "access key name %q must be at most 32 characters: a letter, then letters, digits, underscores or hyphens", name)
	}
	if len(desc) > 256 {
		return shared.FieldError("description", "access key description is %d bytes; it must be at most 256", len(desc))
	}
	if len(policy) > 0 {
		var compact bytes.Buffer
		if err := json.Compact(&compact, policy); err != nil {
			return shared.FieldError("policy", "policy is not valid JSON (%v): give an IAM policy document such as {\"Version\":\"2012-10-17\",\"Statement\":[…]}", err)
		}
		if compact.Len() > maxPolicySize {
			return shared.FieldError("policy", "policy is %d bytes as compact JSON; MinIO allows at most %d: shorten it or attach fewer statements", compact.Len(), maxPolicySize)
		}
	}
	if !exp.IsZero() {
		now := time.Now()
		if exp.Before(now.Add(minExpiry)) {
			return shared.FieldError("expiration", "expiry %s is less than 15 minutes from now: give a later time", exp.UTC().Format(time.RFC3339))
		}
		if exp.After(now.Add(maxExpiry)) {
			return shared.FieldError("expiration", "expiry %s is more than 365 days from now: give an earlier time, or none", exp.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// AddServiceAccount creates a service account and returns its credentials.
// One call; request and reply are encrypted. An access key already in use is
// a conflict; a policy MinIO rejects is invalid_argument with MinIO's reason.
func (c *Client) AddServiceAccount(ctx context.Context, req AddServiceAccountRequest) (Credentials, error) {
	op := "create access key"
	if req.AccessKey != "" {
		op += " " + req.AccessKey
	}
	if err := checkLabels(req.Name, req.Description, req.Policy, req.Expiration); err != nil {
		return Credentials{}, err
	}
	if req.AccessKey != "" && req.AccessKey == c.accessKey {
		return Credentials{}, shared.FieldError("access_key", "access key %q is the root user's: choose another", req.AccessKey)
	}
	wire := struct {
		Policy      json.RawMessage `json:"policy,omitempty"`
		TargetUser  string          `json:"targetUser,omitempty"`
		AccessKey   string          `json:"accessKey,omitempty"`
		SecretKey   string          `json:"secretKey,omitempty"`
		Name        string          `json:"name,omitempty"`
		Description string          `json:"description,omitempty"`
		Expiration  *time.Time      `json:"expiration,omitempty"`
	}{
		Policy:      json.RawMessage(req.Policy),
		TargetUser:  req.TargetUser,
		AccessKey:   req.AccessKey,
		SecretKey:   req.SecretKey,
		Name:        req.Name,
		Description: req.Description,
		Expiration:  timePtr(req.Expiration),
	}
	plain, err := json.Marshal(wire)
	if err != nil {
		return Credentials{}, shared.Errorf(shared.CodeInternal, "%s: encode request: %w", op, err)
	}
	body, err := c.encrypt(op, plain)
	if err != nil {
		return Credentials{}, err
	}
	r, err := c.call(ctx, op, http.MethodPut, "/add-service-account", nil, body)
	if err != nil {
		return Credentials{}, err
	}
	plain, err = c.decrypt(op, r.body)
	if err != nil {
		return Credentials{}, err
	}
	var resp struct {
		Credentials struct {
			AccessKey  string    `json:"accessKey"`
			SecretKey  string    `json:"secretKey"`
			Expiration time.Time `json:"expiration"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(plain, &resp); err != nil {
		return Credentials{}, shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is not the expected JSON: %w", op, err)
	}
	return Credentials{
		AccessKey:  resp.Credentials.AccessKey,
		SecretKey:  resp.Credentials.SecretKey,
		Expiration: noExpiry(resp.Credentials.Expiration),
	}, nil
}

// ListServiceAccounts lists the service accounts of a parent user (empty:
// the root user), without secrets or policies. One call; the reply is
// encrypted.
func (c *Client) ListServiceAccounts(ctx context.Context, user string) ([]ServiceAccount, error) {
	const op = "list access keys"
	q := url.Values{}
	if user != "" {
		q.Set("user", user)
	}
	r, err := c.call(ctx, op, http.MethodGet, "/list-service-accounts", q, nil)
	if err != nil {
		return nil, err
	}
	plain, err := c.decrypt(op, r.body)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Accounts []wireAccount `json:"accounts"`
	}
	if err := json.Unmarshal(plain, &resp); err != nil {
		return nil, shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is not the expected JSON: %w", op, err)
	}
	out := make([]ServiceAccount, 0, len(resp.Accounts))
	for _, a := range resp.Accounts {
		out = append(out, a.account(a.AccessKey))
	}
	return out, nil
}

// InfoServiceAccount returns one service account with its policy. An
// unknown access key is not_found. One call; the reply is encrypted.
func (c *Client) InfoServiceAccount(ctx context.Context, accessKey string) (ServiceAccountInfo, error) {
	op := "read access key " + accessKey
	if accessKey == "" {
		return ServiceAccountInfo{}, shared.FieldError("access_key", "access key is empty")
	}
	r, err := c.call(ctx, op, http.MethodGet, "/info-service-account", url.Values{"accessKey": {accessKey}}, nil)
	if err != nil {
		return ServiceAccountInfo{}, err
	}
	plain, err := c.decrypt(op, r.body)
	if err != nil {
		return ServiceAccountInfo{}, err
	}
	var resp struct {
		wireAccount
		Policy string `json:"policy"`
	}
	if err := json.Unmarshal(plain, &resp); err != nil {
		return ServiceAccountInfo{}, shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is not the expected JSON: %w", op, err)
	}
	return ServiceAccountInfo{ServiceAccount: resp.account(accessKey), Policy: resp.Policy}, nil
}

// UpdateServiceAccount changes a service account. One encrypted call, two
// with KeepPolicy and an empty Policy. An unknown access key is not_found.
func (c *Client) UpdateServiceAccount(ctx context.Context, accessKey string, req UpdateServiceAccountRequest) error {
	op := "update access key " + accessKey
	if accessKey == "" {
		return shared.FieldError("access_key", "access key is empty")
	}
	if err := checkLabels(req.Name, req.Description, req.Policy, req.Expiration); err != nil {
		return err
	}
	policy := req.Policy
	if len(policy) == 0 && req.KeepPolicy {
		info, err := c.InfoServiceAccount(ctx, accessKey)
		if err != nil {
			return err
		}
		if !info.ImpliedPolicy {
			policy = []byte(info.Policy)
		}
	}
	wire := struct {
		NewPolicy      json.RawMessage `json:"newPolicy,omitempty"`
		NewSecretKey   string          `json:"newSecretKey,omitempty"`
		NewStatus      string          `json:"newStatus,omitempty"`
		NewName        string          `json:"newName,omitempty"`
		NewDescription string          `json:"newDescription,omitempty"`
		NewExpiration  *time.Time      `json:"newExpiration,omitempty"`
	}{
		NewPolicy:      json.RawMessage(policy),
		NewSecretKey:   req.SecretKey,
		NewStatus:      req.Status,
		NewName:        req.Name,
		NewDescription: req.Description,
		NewExpiration:  timePtr(req.Expiration),
	}
	if req.NoExpiry {
		never := time.Unix(0, 0).UTC()
		wire.NewExpiration = &never
	}
	plain, err := json.Marshal(wire)
	if err != nil {
		return shared.Errorf(shared.CodeInternal, "%s: encode request: %w", op, err)
	}
	body, err := c.encrypt(op, plain)
	if err != nil {
		return err
	}
	_, err = c.call(ctx, op, http.MethodPost, "/update-service-account", url.Values{"accessKey": {accessKey}}, body)
	return err
}

// DeleteServiceAccount deletes a service account; its keys stop working at
// once. An unknown access key is not_found. One unencrypted call.
func (c *Client) DeleteServiceAccount(ctx context.Context, accessKey string) error {
	op := "delete access key " + accessKey
	if accessKey == "" {
		return shared.FieldError("access_key", "access key is empty")
	}
	_, err := c.call(ctx, op, http.MethodDelete, "/delete-service-account", url.Values{"accessKey": {accessKey}}, nil)
	return err
}

// wireAccount is a service account as MinIO's list and info replies carry
// it.
type wireAccount struct {
	ParentUser    string     `json:"parentUser"`
	AccountStatus string     `json:"accountStatus"`
	ImpliedPolicy bool       `json:"impliedPolicy"`
	AccessKey     string     `json:"accessKey"`
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	Expiration    *time.Time `json:"expiration"`
}

func (w wireAccount) account(accessKey string) ServiceAccount {
	a := ServiceAccount{
		AccessKey:     accessKey,
		ParentUser:    w.ParentUser,
		Status:        w.AccountStatus,
		Name:          w.Name,
		Description:   w.Description,
		ImpliedPolicy: w.ImpliedPolicy,
	}
	if w.Expiration != nil {
		a.Expiration = noExpiry(*w.Expiration)
	}
	return a
}

// noExpiry turns MinIO's "never" (zero time or the Unix epoch) into the zero
// time.
func noExpiry(t time.Time) time.Time {
	if t.IsZero() || t.Unix() <= 0 {
		return time.Time{}
	}
	return t
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
