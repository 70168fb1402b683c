package addon

import (
	"context"
	"time"

	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/owners"
	"github.com/quazzar/object-storage/plugin/rotation"
	"github.com/quazzar/object-storage/shared"
)

// Keys over their life: owner, last use, status, edit, disable, rotation.

// rotationTick is how often rotations are checked; saveEvery ticks, the
// last-use table is saved.
const (
	rotationTick = 2 * time.Second
	saveEvery    = 30 // one minute
)

// describe fills what the add-on knows of a key beyond MinIO's list:
// owner, last use, rotation, and its status as of now.
func (svc *services) describe(k *shared.Key, now time.Time) {
	if svc.owners != nil {
		k.Owner = svc.owners.Of(owners.Key, k.AccessKey)
	}
	if u, ok := svc.lastUsed.Usage(k.AccessKey); ok && svc.tracked() {
		k.LastUsed, k.LastOperation, k.LastSource = u.LastUsed, u.LastOperation, u.LastSource
		k.Requests24h, k.Bytes24h, k.Errors24h = u.Requests24h, u.Bytes24h, u.Errors24h
	}
	k.Rotation = nil
	if svc.rotations != nil {
		if r, ok := svc.rotations.Of(k.AccessKey); ok {
			k.Rotation = &shared.KeyRotation{Role: shared.RotationOld, Peer: r.New, Started: r.Started, Deadline: r.Deadline}
			if r.New == k.AccessKey {
				k.Rotation.Role, k.Rotation.Peer = shared.RotationNew, r.Old
			}
		}
	}
	switch {
	case !k.Expiry.IsZero() && !now.Before(k.Expiry):
		k.Status = shared.KeyExpired
	case k.Status == shared.KeyOff:
	case k.Rotation != nil:
		k.Status = shared.KeyRotating
	case k.Status == "":
		k.Status = shared.KeyOn
	}
}

// recordOwner records the plugin that made a key or a bucket.
func (a *Addon) recordOwner(svc *services, kind owners.Kind, name, plugin string) {
	if plugin == "" {
		return
	}
	if svc.owners == nil {
		a.log.Warn("owner not recorded: the add-on's database is not open", "kind", kind, "name", name, "plugin", plugin)
		return
	}
	if err := svc.owners.Set(kind, name, plugin); err != nil {
		a.log.Warn("owner not recorded", "kind", kind, "name", name, "plugin", plugin, "error", err)
	}
}

// revoke revokes one key and forgets what the add-on kept of it: owner,
// last use, and a rotation it was a half of (revoking the new half ends
// the rotation and leaves the old key working).
func (a *Addon) revoke(ctx context.Context, svc *services, accessKey string) error {
	if err := svc.keys.Revoke(ctx, accessKey); err != nil {
		return err
	}
	svc.lastUsed.Forget(accessKey)
	if svc.owners != nil {
		if err := svc.owners.Forget(owners.Key, accessKey); err != nil {
			a.log.Debug("owner of a revoked key not removed", "access_key", accessKey, "error", err)
		}
	}
	if svc.rotations != nil {
		if r, ok := svc.rotations.Of(accessKey); ok {
			if err := svc.rotations.Remove(r.Old); err != nil {
				a.log.Warn("rotation record not removed", "old", r.Old, "error", err)
			}
		}
	}
	return nil
}

// followKnownKeys tells the last-use table which keys exist, so that it
// keeps following them and forgets the others.
func (a *Addon) followKnownKeys(svc *services) {
	list, err := svc.keys.List(svc.ctx)
	if err != nil {
		return
	}
	aks := make([]string, len(list.Keys))
	for i, k := range list.Keys {
		aks[i] = k.AccessKey
	}
	svc.lastUsed.SetKnown(aks)
}

// keyLoop revokes the old halves of rotations when they are due (at once
// for those due while the add-on was down) and saves the last-use table
// every minute, until the services end.
func (a *Addon) keyLoop(svc *services) {
	t := time.NewTicker(rotationTick)
	defer t.Stop()
	for tick := 1; ; tick++ {
		a.finishRotations(svc, time.Now())
		if tick%saveEvery == 0 && svc.db != nil {
			if err := svc.lastUsed.Save(svc.db); err != nil && svc.ctx.Err() == nil {
				a.log.Warn("last use of keys not saved", "error", err)
			}
		}
		select {
		case <-svc.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// finishRotations revokes each old key whose rotation is due (rotation.Due)
// and forgets rotations whose halves are gone.
func (a *Addon) finishRotations(svc *services, now time.Time) {
	if svc.rotations == nil {
		return
	}
	for _, r := range svc.rotations.All() {
		u, _ := svc.lastUsed.Usage(r.Old)
		due, why := rotation.Due(r, u.LastUsed, svc.tracked(), now)
		if !due {
			continue
		}
		err := a.revoke(svc.ctx, svc, r.Old)
		switch {
		case err == nil:
			a.log.Info("access key revoked: its rotation is done", "access_key", r.Old, "replaced_by", r.New, "because", why)
		case shared.CodeOf(err) == shared.CodeNotFound:
			_ = svc.rotations.Remove(r.Old) // revoked elsewhere meanwhile
		case svc.ctx.Err() == nil:
			a.log.Warn("the old key of a rotation could not be revoked; trying again", "access_key", r.Old, "error", err)
		}
	}
}

// mayChange refuses a plugin's change of a key it did not make.
func mayChange(ctx context.Context, svc *services, k shared.Key) error {
	caller := shared.CallerOf(ctx)
	if caller == "" {
		return nil
	}
	if svc.owners == nil || svc.owners.Of(owners.Key, k.AccessKey) != caller {
		return &shared.Error{Code: shared.CodePermission, Field: "access_key",
			Message: "plugin " + caller + " may change only the keys it made, and key " + k.AccessKey + " is not one of them; nothing was changed"}
	}
	return nil
}

// UpdateKey changes a key's policy (checked as at creation), description
// or expiry. Its secret never changes. A plugin may change only its own
// keys, and never make one an administrator key.
func (a *Addon) UpdateKey(ctx context.Context, req shared.UpdateKeyRequest) (shared.Key, error) {
	if req.AccessKey == "" {
		return shared.Key{}, shared.FieldError("access_key", "access key is required: which key to change?")
	}
	if req.Policy == nil && req.Description == nil && req.Expiry == nil {
		if req.Admin {
			return shared.Key{}, shared.FieldError("admin", "admin goes with a policy: give an empty policy to make the key an administrator key; nothing was changed")
		}
		return shared.Key{}, shared.FieldError("access_key", "nothing to change: give a policy, a description or an expiry")
	}
	var ch keys.Change
	if req.Policy != nil {
		if caller := shared.CallerOf(ctx); caller != "" && (req.Admin || keys.GrantsAdmin(*req.Policy)) {
			return shared.Key{}, shared.Errorf(shared.CodePermission,
				"plugin %s may not give a key permissions that administer the server: keep to an S3 policy; nothing was changed", caller)
		}
		policy, err := keys.CheckPolicy(*req.Policy, req.Admin)
		if err != nil {
			return shared.Key{}, err
		}
		ch.Policy = &policy
	} else if req.Admin {
		return shared.Key{}, shared.FieldError("admin", "admin goes with a policy: give an empty policy to make the key an administrator key; nothing was changed")
	}
	if req.Description != nil {
		if *req.Description == "" {
			return shared.Key{}, shared.FieldError("description", "MinIO cannot clear a description, only replace it: give a new one, or leave it out to keep it")
		}
		if err := keys.ValidateDescription(*req.Description); err != nil {
			return shared.Key{}, err
		}
		ch.Description = req.Description
	}
	if req.Expiry != nil {
		if err := keys.ValidateExpiry(*req.Expiry, time.Now()); err != nil {
			return shared.Key{}, err
		}
		ch.Expiry = req.Expiry
	}
	return a.changeKey(ctx, req.AccessKey, ch, "access key changed")
}

// SetKeyStatus disables a key (S3 refuses it at once) or enables it again
// with the same secret.
func (a *Addon) SetKeyStatus(ctx context.Context, req shared.SetKeyStatusRequest) (shared.Key, error) {
	if req.AccessKey == "" {
		return shared.Key{}, shared.FieldError("access_key", "access key is required: which key to enable or disable?")
	}
	what := "access key disabled"
	if req.Enabled {
		what = "access key enabled"
	}
	return a.changeKey(ctx, req.AccessKey, keys.Change{Enabled: &req.Enabled}, what)
}

// changeKey applies a checked change to a key the caller may change.
func (a *Addon) changeKey(ctx context.Context, accessKey string, ch keys.Change, what string) (shared.Key, error) {
	svc, err := a.conn.services()
	if err != nil {
		return shared.Key{}, err
	}
	old, err := svc.keys.Get(ctx, accessKey)
	if err != nil {
		return shared.Key{}, err
	}
	if err := mayChange(ctx, svc, old); err != nil {
		return shared.Key{}, err
	}
	k, err := svc.keys.Update(ctx, accessKey, ch)
	if err != nil {
		return shared.Key{}, err
	}
	svc.describe(&k, time.Now())
	a.log.Info(what, "access_key", k.AccessKey, "name", k.Name, "policy", k.PolicyKind, "admin", k.Admin, "status", k.Status, "caller", shared.CallerOf(ctx))
	return k, nil
}

// RotateKey makes a new key with the old one's name, description, policy
// and owner, returns its secret once, and records the rotation: the old
// key is revoked at the deadline, or once unused for an hour, whichever is
// first, even across restarts.
func (a *Addon) RotateKey(ctx context.Context, req shared.RotateKeyRequest) (shared.RotateKeyResponse, error) {
	if req.AccessKey == "" {
		return shared.RotateKeyResponse{}, shared.FieldError("access_key", "access key is required: which key to rotate?")
	}
	overlap := time.Duration(req.OverlapSeconds) * time.Second
	if req.OverlapSeconds == 0 {
		overlap = shared.DefaultRotationOverlap
	}
	if err := rotation.CheckOverlap(overlap); err != nil {
		return shared.RotateKeyResponse{}, err
	}
	if err := keys.ValidateExpiry(req.Expiry, time.Now()); err != nil {
		return shared.RotateKeyResponse{}, err
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.RotateKeyResponse{}, err
	}
	if svc.rotations == nil || svc.owners == nil {
		return shared.RotateKeyResponse{}, shared.Errorf(shared.CodeUnavailable, "keys cannot be rotated now: the add-on's database is not open (%v); nothing was changed", svc.dbErr)
	}
	old, err := svc.keys.Get(ctx, req.AccessKey)
	if err != nil {
		return shared.RotateKeyResponse{}, err
	}
	if err := mayChange(ctx, svc, old); err != nil {
		return shared.RotateKeyResponse{}, err
	}
	if r, ok := svc.rotations.Of(old.AccessKey); ok {
		return shared.RotateKeyResponse{}, &shared.Error{Code: shared.CodeConflict, Field: "access_key",
			Message: "key " + old.AccessKey + " is already half of a rotation (" + r.Old + " → " + r.New + ", deadline " + r.Deadline.UTC().Format(time.RFC3339) + "): wait for it to finish, or revoke one of the two; nothing was changed"}
	}
	res, err := svc.keys.CreateLike(ctx, old, req.Expiry)
	if err != nil {
		return shared.RotateKeyResponse{}, err
	}
	owner := svc.owners.Of(owners.Key, old.AccessKey)
	a.recordOwner(svc, owners.Key, res.Key.AccessKey, owner)
	now := time.Now().UTC().Truncate(time.Second)
	r := rotation.Rotation{Old: old.AccessKey, New: res.Key.AccessKey, Started: now, Deadline: now.Add(overlap)}
	if err := svc.rotations.Add(r); err != nil {
		if rerr := a.revoke(context.WithoutCancel(ctx), svc, res.Key.AccessKey); rerr != nil {
			a.log.Warn("new key left behind after its rotation could not be recorded", "access_key", res.Key.AccessKey, "error", rerr)
		}
		return shared.RotateKeyResponse{}, shared.Errorf(shared.CodeUnavailable, "the rotation could not be recorded, so no new key was kept: %w", err)
	}
	now2 := time.Now()
	svc.describe(&res.Key, now2)
	svc.describe(&old, now2)
	a.log.Info("access key rotation started", "old", old.AccessKey, "new", res.Key.AccessKey, "name", res.Key.Name,
		"deadline", r.Deadline, "owner", owner, "caller", shared.CallerOf(ctx))
	return shared.RotateKeyResponse{Key: res.Key, SecretKey: res.SecretKey, Old: old}, nil
}

// Owned lists the keys and buckets a plugin made through the host. Only
// the host may ask about any plugin; a plugin only about itself.
func (a *Addon) Owned(ctx context.Context, req shared.OwnedRequest) (shared.OwnedResponse, error) {
	if req.Plugin == "" {
		return shared.OwnedResponse{}, shared.FieldError("plugin", "plugin is required: whose keys and buckets?")
	}
	if caller := shared.CallerOf(ctx); caller != "" && caller != req.Plugin {
		return shared.OwnedResponse{}, &shared.Error{Code: shared.CodePermission, Field: "plugin",
			Message: "plugin " + caller + " may ask only what it owns itself, not what plugin " + req.Plugin + " owns"}
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.OwnedResponse{}, err
	}
	out := shared.OwnedResponse{Keys: []shared.Key{}, Buckets: []string{}}
	if svc.owners == nil {
		return out, nil
	}
	list, err := a.ListKeys(ctx, shared.ListKeysRequest{})
	if err != nil {
		return shared.OwnedResponse{}, err
	}
	for _, k := range list.Keys {
		if k.Owner == req.Plugin {
			out.Keys = append(out.Keys, k)
		}
	}
	names, err := svc.buckets.List(ctx)
	if err != nil {
		return shared.OwnedResponse{}, err
	}
	exists := map[string]bool{}
	for _, b := range names {
		exists[b.Name] = true
	}
	for _, b := range svc.owners.Owned(owners.Bucket, req.Plugin) {
		if exists[b] {
			out.Buckets = append(out.Buckets, b)
		}
	}
	return out, nil
}
