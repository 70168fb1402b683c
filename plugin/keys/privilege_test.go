package keys

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestGrantsAdmin(t *testing.T) {
	cases := []struct {
		policy string
		admin  bool
	}{
		{DefaultPolicy, false},
		{ReadOnlyPolicy("photos"), false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}]}`, false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"],"Resource":["arn:minio:admin:::*"]}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"admin:ServerInfo"}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ADMIN:CreateServiceAccount"]}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*"]}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["admin:*"]}]}`, false},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["s3:DeleteObject"],"Resource":["arn:aws:s3:::*"]}]}`, true},
		{`not json`, false},
	}
	for _, c := range cases {
		require.Equal(t, c.admin, GrantsAdmin(c.policy), c.policy)
	}
}

func TestClassify(t *testing.T) {
	kind, admin := classify("", true)
	require.Equal(t, shared.PolicyInherited, kind)
	require.True(t, admin, "a key without a policy of its own inherits root: administrator")
	kind, admin = classify(`{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"] } ] }`, false)
	require.Equal(t, shared.PolicyAllBuckets, kind, "the default policy is recognised whatever its spacing")
	require.False(t, admin)
	kind, admin = classify(ReadOnlyPolicy("a"), false)
	require.Equal(t, shared.PolicyCustom, kind)
	require.False(t, admin)
	kind, admin = classify(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"]}]}`, false)
	require.Equal(t, shared.PolicyCustom, kind)
	require.True(t, admin)
}

func TestCheckCreate(t *testing.T) {
	now := time.Now()
	p, err := CheckCreate(shared.CreateKeyRequest{Name: "app"}, now)
	require.NoError(t, err)
	require.Equal(t, DefaultPolicy, p, "no policy: all buckets, no administration")
	p, err = CheckCreate(shared.CreateKeyRequest{Name: "ops", Admin: true}, now)
	require.NoError(t, err)
	require.Empty(t, p, "an administrator key inherits root")
	_, err = CheckCreate(shared.CreateKeyRequest{Name: "ops", Admin: true, Policy: ReadOnlyPolicy("a")}, now)
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
	require.Equal(t, "policy", shared.AsError(err).Field)
	_, err = CheckCreate(shared.CreateKeyRequest{Name: "sneaky", Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","admin:*"],"Resource":["arn:aws:s3:::*"]}]}`}, now)
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
	require.Contains(t, err.Error(), "administrator key")
	_, err = CheckCreate(shared.CreateKeyRequest{Name: ""}, now)
	require.Equal(t, "name", shared.AsError(err).Field)
}

func TestLinkCreators(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	keys := []shared.Key{
		{AccessKey: "quazzar-ADMIN00001", Admin: true, Managed: true, CreatedAt: t0},
		{AccessKey: "quazzar-APP0000001", Managed: true, CreatedAt: t0.Add(time.Minute)},
		{AccessKey: "before", Managed: false, FirstSeen: t0.Add(-time.Hour)},
		{AccessKey: "after", Managed: false, FirstSeen: t0.Add(time.Hour)},
		{AccessKey: "legacy-admin", Admin: true, Managed: false, FirstSeen: t0.Add(30 * time.Minute)},
	}
	linkCreators(keys)
	require.Equal(t, []string{"after", "legacy-admin"}, keys[0].MayHaveCreated, "keys made elsewhere after the admin key; not the page's own, not older ones")
	require.Empty(t, keys[1].MayHaveCreated, "a key that cannot administer the server makes no keys")
	require.Equal(t, []string{"after"}, keys[4].MayHaveCreated)
}
